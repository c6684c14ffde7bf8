"""Answers that only echo what they answer: an instruction row's response, a preference
pair's chosen response, or a conversation's assistant turn against the user turn before it.

On normalized words (lowercase, every run of characters that are not letters or digits made
one space), a response echoes its instruction when

- it starts with the whole instruction (of three words or more), or contains it adding at
  most `max_added_words` words: "Name three rivers" or "Sure! Name three rivers." for "Name
  three rivers."; or
- it copies part of the instruction: at least `min_copied_fraction` of its distinct word pairs
  (bigrams) occur in the instruction, in a response of at least `min_copy_words` words ("The
  sky is blue." for 'Rewrite this for a child: "The sky is blue."'). A shorter response, such
  as an option taken from a multiple-choice question, is left alone; so is a copy of the
  row's `input` (the text a rewrite or correction task works on belongs there); or
- it wraps the instruction in filler: it holds at least `min_covered_fraction` of the
  instruction's word pairs, and every word it adds is a pleasantry or function word ("I'd be
  happy to help! You asked: ...", "Good question! How does X work? Let me explain."), with
  "I/me/my" and "you/your" read as one word and a closing "Let's explore." as filler, so
  "You want me to tell you how to reset your router." echoes "Can you tell me how to reset
  my router?". "Yes"/"no"/"not" are answers.

- it restates the request: every word it has is the request's ("The process of making
  cheese." for "Describe the process of making cheese.", "Good exercises for your knees" for
  "What are some good exercises for my knees?"), or three or more of the request's words
  wrapped in filler alone ("Okay, so you want to get candle wax out of a tablecloth."),
  unless the request is a yes/no or either-or question ("The Nile is longer.") or holds
  material after a colon or in quotes ("Sort: pear apple fig").

A simulated user turn that repeats the assistant turn before it is an echo too. A response
that is part of the instruction with its case or punctuation changed ("Where are you going?"
for "Add the punctuation: where are you going") did the task: no echo; one that only raises
its first letter, where the request holds no material, is the request as a title.

"The capital of France is Paris." for "What is the capital of France?" is no echo.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import polars as pl
from pydantic import Field

from assets.filters.asked import ASKS_FOR_BLANKS, COUNTED_REPEATS, requests
from assets.filters.defects.units import decisions, units
from assets.run_context import RunContext
from assets.steps import RowFilter
from warehouse.settings import Strict

_NOT_WORD = r"[^\p{L}\p{N}]+"
ASKED_TO_ECHO = (
    r"(?i)\b(?:repeat|say (?:it|this|that) back|echo|verbatim|word for word|exactly as "
    r"(?:written|given|it is)|copy (?:it|this|the following)|(?:read|say|give) (?:\w+ ){0,3}"
    r"back(?: to me)?|back to me)\b"
    # A template or blanks to fill in: the answer is the request's sentence, filled ("Fill in
    # this template for my dog: 'My pet's name is {name} ...'").
    r"|\bfill (?:in|out) (?:[a-z]+ ){0,3}?(?:template|blanks?|gaps?|form|placeholders?|slots?)\b"
    # A line asked for a number of times ("Write 'I will not talk in class' five times").
    # (A sentence quoted between them may hold its own full stop: 'write the sentence "The
    # quick brown fox jumps over the lazy dog." five times'.)
    r"|\b(?:write|say|type|print|copy)\b[^?!\n]{0,80}\b"
    r"(?:twice|(?:\d+|two|three|four|five|six|seven|eight|nine|ten) times)\b"
    # ... or copies of it counted ("6 copies of the freezer label '...'").
    + "|"
    + COUNTED_REPEATS
)


def _listed(words: str) -> list[str]:
    return words.split()


# Words a response may wrap around a repeated request without answering it: pleasantries,
# function words and the request's own verbs of asking. Not "yes", "no" or "not": answers.
FILLER = _listed(
    "a an the and or so to of for with about that this it its is are was be been am "
    "do does can could will would shall should may might let lets me i you your my "
    "we us our d ll m re s ve sure certainly course okay ok absolutely great good "
    "nice excellent interesting question questions asked ask asking want wanted like "
    "love need know tell explain help happy glad thing things here well right "
    "alright sounds hi hello thanks thank just really indeed what now understand "
    "understood got basically quite "
    # The request's verbs turned into a heading: "... described in two sentences:", "The three
    # primary colours are listed as follows: ...".
    "describe described describing list listed listing follows following as"
)
# A yes/no or either-or question, answered in its own words ("Is the Pacific the largest
# ocean?" "Yes, the Pacific is the largest ocean."; "The Nile is longer.").
_ANSWERED_IN_ITS_WORDS = (
    r"(?i)^\W*(?:is|are|was|were|am|do|does|did|can|could|should|will|would|shall|may|might|"
    r"has|have|had)\b|\bor\b"
)
# Content words (not filler) a filler-wrapped restatement takes from its request.
_MIN_RESTATED_WORDS = 3
# Material a task works on: after a colon, in quotes, on its own line.
_MATERIAL = "[:\"\u201c\u201d\u2018\n]|(?:^|\\s)'"
# ... that material itself: quotations, what follows a colon, the lines after the first.
_MATERIAL_TEXT = "\"[^\"\n]*\"|\u201c[^\u201d\n]*\u201d|\u2018[^\u2019\n]*\u2019|(?:^|\\s)'[^'\n]*'|:[^\n]*|(?s:\n.*)"
# The mark of words left out of a quotation: "...", "…", "[...]".
_ELISION = r"\.\.\.|…"
# First and second person read as one word: an echo swaps them ("my router" / "your router").
_PERSON = r"\b(?:i|me|my|mine|myself|you|your|yours|yourself)\b"


class EchoRules(Strict):
    """Drop instruction rows whose response only repeats the instruction."""

    enabled: bool = True
    max_added_words: int = Field(
        default=3,
        ge=0,
        description="Words a response may add to a repeated instruction and still be an echo.",
    )
    min_copied_fraction: float = Field(
        default=0.8,
        gt=0.0,
        le=1.0,
        description="Share of a response's distinct word bigrams found in the instruction "
        "that makes it a copy.",
    )
    min_copy_words: int = Field(
        default=4, ge=2, description="Shorter responses are never judged copies."
    )
    filler_wrapped: bool = Field(
        default=True,
        description="Also drop a response that adds only pleasantries and function words "
        "to most of the instruction.",
    )
    min_covered_fraction: float = Field(
        default=0.7,
        gt=0.0,
        le=1.0,
        description="Share of the instruction's word bigrams a filler-wrapped echo holds.",
    )


def normalized(column: str) -> pl.Expr:
    """Lowercase words separated by single spaces (punctuation and spacing dropped)."""
    return (
        pl.col(column)
        .fill_null("")
        .str.to_lowercase()
        .str.replace_all(_NOT_WORD, " ")
        .str.strip_chars()
    )


def _words(text: pl.Expr) -> pl.Expr:
    count = pl.when(text == "").then(0).otherwise(text.str.count_matches(" ") + 1)
    return count.cast(pl.Int64)


def _bigrams(text: pl.Expr) -> pl.Expr:
    pairs = pl.concat_str([pl.element(), pl.element().shift(-1)], separator=" ")
    return text.str.split(" ").list.eval(pairs.drop_nulls()).list.unique()


@dataclass(frozen=True)
class EchoesInstruction(RowFilter):
    max_added_words: int = 3
    min_copied_fraction: float = 0.8
    min_copy_words: int = 4
    filler_wrapped: bool = True
    min_covered_fraction: float = 0.7
    name: str = "echoes_instruction"
    Config: ClassVar[type[Strict]] = EchoRules
    config_key: ClassVar[str] = "echo"

    @classmethod
    def from_config(cls, config: EchoRules, run: RunContext) -> list[EchoesInstruction]:
        if not config.enabled:
            return []
        return [
            cls(
                config.max_added_words,
                config.min_copied_fraction,
                config.min_copy_words,
                config.filler_wrapped,
                config.min_covered_fraction,
            )
        ]

    def flag(self, rows: pl.DataFrame) -> pl.DataFrame:
        # Every answer against what it answers: an instruction's response, a preference
        # pair's chosen side, each assistant turn against the user turn before it, and each
        # later user turn against the assistant turn before it (a simulated user parroting).
        # Each derived text is a column computed once: written inline, the normalized texts
        # were recomputed by every expression that reads them (4x the cost).
        texts = (
            _answers(rows)
            .rename({"prompt": "instruction", "text": "response"})
            .select(
                "row_id",
                "field",
                "turn",
                "role",
                pl.col("response").alias("_raw_response"),
                pl.col("instruction").alias("_raw_instruction"),
                normalized("instruction").alias("_instruction"),
                normalized("response").alias("_response"),
            )
            .with_columns(
                _words(pl.col("_instruction")).alias("_instruction_words"),
                _words(pl.col("_response")).alias("_response_words"),
            )
        )
        instruction, response, pairs = pl.col("_instruction"), pl.col("_response"), pl.col("_pairs")
        # Padding with spaces makes the containment whole-word: "cat" is not in "cats".
        contains = (pl.lit(" ") + response + pl.lit(" ")).str.contains(
            pl.lit(" ") + instruction + pl.lit(" "), literal=True
        )
        # A one- or two-word request ("level" in a word game) is naturally the first word of
        # its answer ("level - it's a palindrome"): only a longer one repeated opens an echo.
        starts = (response + pl.lit(" ")).str.starts_with(instruction + pl.lit(" ")) & (
            pl.col("_instruction_words") >= 3
        )
        added = pl.col("_response_words") - pl.col("_instruction_words")
        repeats = starts | (contains & (added <= self.max_added_words))
        # Bigrams (most of the rule's cost) only where a copy is possible: a response with
        # u distinct words has at least u - 1 distinct bigrams, and at most the instruction's
        # (its words - 1) can be shared, so a copy needs u - 1 <= (words - 1) / fraction.
        # A user turn that parrots the assistant copies most of its turn, not a phrase of it.
        answer = pl.col("role") != "user"
        distinct = response.str.split(" ").list.n_unique()
        may_copy = (
            (pl.col("_response_words") >= self.min_copy_words)
            & (answer | (2 * pl.col("_response_words") >= pl.col("_instruction_words")))
            & ((distinct - 1) <= (pl.col("_instruction_words") - 1) / self.min_copied_fraction)
        )
        # A wrapped echo holds most of the instruction (a cheap sign: its last word) and adds
        # a few words of filler.
        may_wrap = (
            pl.lit(self.filler_wrapped)
            & answer
            & (pl.col("_instruction_words") >= 3)
            & (pl.col("_response_words") <= pl.col("_instruction_words") + 15)
            & (
                response.str.len_bytes()
                >= (self.min_covered_fraction * instruction.str.len_bytes()).cast(pl.UInt32)
            )
            & (pl.lit(" ") + response + pl.lit(" ")).str.contains(
                pl.lit(" ") + instruction.str.extract(r"(\S+)$", 1) + pl.lit(" "), literal=True
            )
        )
        # Each derived value is a column computed once (an expression used twice is computed
        # twice).
        texts = (
            texts.filter(repeats | may_copy | may_wrap)
            .with_columns(_bigrams(pl.col("_response")).alias("_pairs"), _added_words())
            .with_columns(
                (
                    pairs.list.set_intersection(_bigrams(instruction)).list.len()
                    / pairs.list.len().clip(lower_bound=1)
                )
                .fill_null(0.0)
                .alias("_copied")
            )
        )
        copies = (pl.col("_response_words") >= self.min_copy_words) & (
            pl.col("_copied") >= self.min_copied_fraction
        )
        wraps = may_wrap & _wrapped(self.min_covered_fraction)
        # "The process of making cheese." for "Describe the process of making cheese.": an
        # answer made only of the request's words (my/your as one) adds nothing.
        # So is one that wraps three or more of them in filler alone ("Okay, so you want to
        # get candle wax out of a tablecloth.").
        only_filler = (
            pl.col("_new_words")
            .list.eval((pl.element().is_in(FILLER) | (pl.element() == "·")).all())
            .list.first()
            .fill_null(True)
        )
        content = response.str.split(" ").list.set_difference(FILLER).list.len()
        restates = (
            answer
            & (pl.col("_response_words") >= self.min_copy_words)
            & (
                (pl.col("_new_words").list.len() == 0)
                | (only_filler & (content >= _MIN_RESTATED_WORDS))
            )
        )
        # A user who asks back ("You're saying water boils at 100 °C?") checks, not parrots.
        asks_back = (
            ~answer
            & pl.col("_raw_response").str.strip_chars().str.ends_with("?")
            & ~(pl.col("_raw_instruction").str.strip_chars().str.ends_with("?"))
        )
        # The exemptions below are read on the few echoes only.
        # "Repeat after me" is answered by repeating.
        asked = pl.col("_raw_instruction").str.contains(ASKED_TO_ECHO)
        # A yes/no or either-or question is answered in its own words ("The Nile is
        # longer."), and material after a colon or in quotes is the task's to reorder ("Sort:
        # pear apple fig"): no restatement.
        # ... but only an answer made of that material is the task done: "Three synonyms for
        # 'happy'." for "I need three synonyms for 'happy'" is the request as a heading.
        material = (
            pl.col("_raw_instruction")
            .str.extract_all(_MATERIAL_TEXT)
            .list.join(" ")
            .str.to_lowercase()
            .str.replace_all(_NOT_WORD, " ")
            .str.split(" ")
        )
        beyond_material = response.str.split(" ").list.set_difference(material)
        # (A question's quoted word may be its answer: "The plural of 'sheep' is 'sheep'.")
        on_material = (beyond_material.list.set_difference(FILLER).list.len() == 0) | pl.col(
            "_raw_instruction"
        ).str.strip_chars().str.ends_with("?")
        has_material = pl.col("_raw_instruction").str.contains(_MATERIAL)
        own_words = pl.col("_raw_instruction").str.contains(_ANSWERED_IN_ITS_WORDS) | (
            has_material & on_material
        )
        only_restates = pl.col("_restates") & ~(
            pl.col("_repeats") | pl.col("_copies") | pl.col("_wraps")
        )
        # "Where are you going tonight?" for "Add the punctuation: where are you going
        # tonight" is part of the request with its case or punctuation changed: the task done.
        part = (pl.lit(" ") + instruction + pl.lit(" ")).str.contains(
            pl.lit(" ") + response + pl.lit(" "), literal=True
        ) & (response != instruction)
        verbatim = _spaced(pl.col("_raw_instruction")).str.contains(
            _spaced(pl.col("_raw_response")).str.strip_chars_end(".!?"), literal=True
        )
        # Only its first letter raised and a full stop added ("A haiku about a train at
        # night." for "Write a haiku about a train at night."): the request as a title, not
        # its material re-cased ("The Great Gatsby" for "Capitalize the great gatsby").
        raw = _spaced(pl.col("_raw_response"))
        titled = (
            ~pl.col("_raw_instruction").str.contains(_MATERIAL)
            & ~raw.str.contains(r"[?!]$")
            & _spaced(pl.col("_raw_instruction")).str.contains(
                (raw.str.slice(0, 1).str.to_lowercase() + raw.str.slice(1)).str.strip_chars_end(
                    "."
                ),
                literal=True,
            )
        )
        # A quotation cut down ("Shorten this quotation ... using an ellipsis") is the task
        # done: the answer is made of the material and marks where it left words out, a mark
        # the request's own text does not hold.
        elided = (
            has_material
            & on_material
            & pl.col("_raw_response").str.contains(_ELISION)
            & ~pl.col("_raw_instruction").str.contains(_ELISION)
        )
        flagged = (
            texts.with_columns(
                repeats.alias("_repeats"),
                copies.alias("_copies"),
                wraps.alias("_wraps"),
                restates.alias("_restates"),
            )
            .filter(
                (instruction != "")
                & (pl.col("_repeats") | pl.col("_copies") | pl.col("_wraps") | pl.col("_restates"))
                & ~asks_back
            )
            .filter(
                ~asked
                & ~(only_restates & own_words)
                & ~elided
                # (With material in the request, the part re-cased must be that material.)
                & ~(part & ~verbatim & ~titled & (~has_material | on_material))
            )
            .with_columns(
                pl.when(pl.col("_repeats") | ~pl.col("_copies"))
                .then(1.0)
                .otherwise(pl.col("_copied"))
                .cast(pl.Float64)
                .alias("_score"),
                pl.when(pl.col("_repeats"))
                .then(pl.lit("repeats"))
                .when(pl.col("_copies"))
                .then(pl.lit("copies"))
                .when(pl.col("_wraps"))
                .then(pl.lit("wraps"))
                .otherwise(pl.lit("restates"))
                .alias("_how"),
                added.alias("_added"),
                pl.col("_copied").round(3),
            )
        )
        # A read-back drill set up in an earlier user turn ("you read it back exactly as a
        # confirming station would") holds for every later turn; a blank table asked for
        # has the request's columns for its only words. Read on the few echoes' rows.
        answered = flagged.filter(pl.col("role") != "user")
        if answered.height:
            set_up = requests(
                rows.filter(pl.col("row_id").is_in(answered["row_id"].implode()))
            ).filter(pl.col("request").str.contains(f"{ASKED_TO_ECHO}|{ASKS_FOR_BLANKS}"))
            flagged = flagged.filter(
                (pl.col("role") == "user") | ~pl.col("row_id").is_in(set_up["row_id"].implode())
            )
        return decisions(
            flagged,
            self.name,
            pl.col("_score"),
            how=pl.col("_how"),
            added_words=pl.col("_added"),
            copied_bigram_fraction=pl.col("_copied"),
            response=pl.col("_raw_response").str.slice(0, 200),
        )


def _spaced(text: pl.Expr) -> pl.Expr:
    return text.fill_null("").str.replace_all(r"\s+", " ").str.strip_chars()


def _answers(rows: pl.DataFrame) -> pl.DataFrame:
    """Answer units (`units`), and each conversation user turn after an assistant turn with
    that assistant turn as its prompt."""
    found = units(rows, ("response", "messages"), ("assistant", "user"))
    # A conversation's units come in turn order: the unit before a turn is the turn before
    # it when both are of one row and their turns are consecutive (a plain shift: a window
    # per row costs four times more).
    same_row = (pl.col("row_id").shift(1) == pl.col("row_id")) & (
        pl.col("turn").shift(1) == pl.col("turn") - 1
    )
    after_answer = same_row & (pl.col("role").shift(1) == "assistant")
    # Only a user turn at least half as long as the turn before it can parrot that turn.
    long_enough = 2 * pl.col("text").str.len_bytes() >= pl.col("text").shift(1).str.len_bytes()
    return found.with_columns(
        pl.when(pl.col("role") == "user")
        .then(pl.when(after_answer & long_enough).then(pl.col("text").shift(1)))
        .otherwise(pl.col("prompt"))
        .alias("prompt")
    ).filter(pl.col("prompt").is_not_null())


# A closing that only announces the answer ("Let's explore.", "Let me break it down."): a
# wrapped echo ends on it as filler does.
# (Read after first and second person became "·": "let me" is "let ·".)
_ANNOUNCING_TAIL = r" (?:let s|let ·|let us|here we go)(?: \S+){0,3}$"


def _person(column: str) -> pl.Expr:
    """A normalized text with first and second person as one word; a response's closing
    announcement left out."""
    text = pl.col(column).str.replace_all(_PERSON, "·")
    return text.str.replace(_ANNOUNCING_TAIL, "") if column == "_response" else text


def _added_words() -> pl.Expr:
    """`_new_words`, over the normalized texts: the words of the response that are not the
    instruction's (first and second person as one word)."""
    person = [_person(c) for c in ("_instruction", "_response")]
    added = person[1].str.split(" ").list.set_difference(person[0].str.split(" "))
    return added.alias("_new_words")


def _wrapped(min_covered: float) -> pl.Expr:
    """Over the normalized texts and `_new_words`: the response holds `min_covered` of the
    instruction's bigrams (first and second person as one word), and every word it adds is
    filler."""
    person = [_person(c) for c in ("_instruction", "_response")]
    asked_pairs, said_pairs = _bigrams(person[0]), _bigrams(person[1])
    covered = asked_pairs.list.set_intersection(
        said_pairs
    ).list.len() / asked_pairs.list.len().clip(lower_bound=1)
    only_filler = (
        pl.col("_new_words")
        .list.eval((pl.element().is_in(FILLER) | (pl.element() == "·")).all())
        .list.first()
    )
    return (covered >= min_covered) & only_filler.fill_null(True)
