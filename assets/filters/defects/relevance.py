"""Off-topic answers: a fluent answer to another question. A cascade keeps it cheap: an answer
that shares enough content words with its request is on topic; the rest are embedded
(all-MiniLM-L6-v2, through the warehouse's embedding cache) and an answer whose cosine to its
request is below `min_cosine` is dropped.

A same-domain wrong answer (bubble sort for "the time complexity of binary search", a French
press for "green tea") sits closer to its request than an unrelated one. It is dropped by a
second, higher bar, `focused_cosine`, read only where a sound answer would name what it was
asked about: a question about how, why or what something is (not one that asks for a thing to
be named, recommended or written), with no input or earlier turns, answered in at least
`focused_answer_words` words of prose (no code, no question back) that share at most a third
of the question's content words.

A question between two named things ("QWERTY or Dvorak?", "the difference between a stock and
a bond") is answered by naming at least one of them: an answer of prose that names neither,
and no "both", "neither" or yes/no, answers something else; so does one that names the
question's numbered thing ("type 2 diabetes") only with another number ("Type 1 diabetes is
..."). These need no embedding.

Not judged: a piece asked for (a poem, a sentence to finish, and a short follow-up such as
"Another one!" that asks for more of it), a short answer that ends asking back, and an answer
in the first person to a question about the assistant itself ("What can't you do?")."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, ClassVar

import numpy as np
import polars as pl
from pydantic import Field

from assets.filters.asked import ASKS_FOR_ANY_HARM
from assets.filters.defects.response_language import ASKS_FOR_LANGUAGE
from assets.filters.defects.roles import ROLE_PLAY
from assets.filters.defects.spans import DefectRule, RuleConfig
from assets.filters.defects.units import decisions, shortened, units
from assets.filters.language import CODE_FENCE, CODE_LINE
from assets.steps import Step
from warehouse.connection import Warehouse

if TYPE_CHECKING:
    from assets.run_context import RunContext

# A question about how, why or what something is: its answer names what it is about.
_EXPLAIN = (
    r"(?i)(?:^|[.!?]\s+)(?:how|why|what|explain|describe|(?:can|could) you (?:explain|describe|"
    r"help me|tell me (?:how|why|what)))\b"
)
# A question answered by naming a thing the question does not ("Who wrote ...?", "What's a
# good houseplant?", "Recommend a trail"): the answer's words need not be the question's.
_NAMES_A_THING = (
    r"(?i)(?:^|[.!?]\s+)(?:who|which|whom|whose|where|when)\b|\bwhat(?:'s|’s| is| are| was|"
    r" were)? (?:a |an |some |the )?(?:good|great|nice|popular|best|capital|name|word|symbol|"
    r"meaning|term|title|author|realistic|typical|normal|reasonable|simple|easy|quick|healthy)\b|"
    r"\b(?:recommend|suggest|name|examples?|ideas?)\b"
)
# "What's the best way to ...?" asks how, not for a thing to be named.
_WAY = (
    r"(?i)\bwhat(?:'s|’s| is| are)? (?:the |a )?(?:best|good|easiest|quickest|right|simplest) "
    r"ways? (?:to|of)\b"
)
# Code or a template token in an answer: MiniLM puts it far from any prose question.
_CODE_MARK = r"`|<\|"

# A request for a creative piece: the piece is the answer ("Write a haiku about snow").
# A piece finished or continued on request ("Finish the sentence: 'The cat looked at the
# Roomba and...'") is one too.
_CREATIVE = (
    r"(?i)\b(?:write|compose|make up|create|give me|draft|come up with|finish|complete|continue"
    r")\b[^.?!\n]{0,60}\b(?:haiku|poem|limerick|sonnet|song|lyrics|verse|rhyme|story|tale|"
    r"caption|slogan|tagline|joke|riddle|dialogue|script|play|monologue|scene|tongue[- ]twister|"
    r"proverb|pun|punchline|one-liner|toast|chant|cheer|ode|triolet|acrostic|mnemonic|novel|"
    r"chapter|ending|sentence|(?:opening|first|closing|last) (?:line|sentence|paragraph))s?\b"
)
# A short follow-up ("Another one!", "Do another") asks for more of what the conversation
# asked for before: a creative piece there makes this answer one too.
_MORE_OF_THE_SAME_WORDS = 5
# An answer that opens on an instruction, a verb and its object ("Use a longer, cooler
# fermentation", "Add a line such as ...", "Dry it completely"), answers a how-to in steps
# that need not name what was asked: it is judged at `min_cosine` only. (A capitalized word
# and an object word; prepositions and quantifiers open no instruction.)
_INSTRUCTS = (
    r"^\W*(?<verb>[A-Z][a-z]+)\s+(?:a|an|the|it|them|your|this|that|these|those|some|each|one|up|"
    r"out|off|down)\s"
)
_NOT_A_VERB = [
    "In",
    "On",
    "At",
    "For",
    "With",
    "As",
    "By",
    "Of",
    "From",
    "Like",
    "All",
    "Both",
    "Not",
    "Only",
    "If",
    "When",
    "Once",
    "After",
    "Before",
    "During",
    "Since",
    "Unlike",
    "Into",
    "About",
    "To",
    "Is",
    "Are",
    "Was",
    "Were",
]
# Answers of at most this many words that end in a question ask back.
_ASKING_BACK_WORDS = 40
# A short answer that asks for the user's material ("Of course! Paste it in and tell me which
# role it's for.") to a request about something of theirs ("my cover letter"): it asks back in
# an imperative, not about something else; whether it had to is `empty_question`'s and
# `needless_clarification`'s to judge.
_ASKS_FOR_THEIRS = (
    r"(?i)(?:^|[.!?]\s+)(?:(?:sure|of course|certainly|yes|ok|okay|absolutely|gladly)[,!.]?\s+)?"
    r"(?:please\s+)?(?:paste|share|send|upload|post|drop|copy)\s+(?:it|them|that|"
    r"(?:it|them) (?:in|here|below)|(?:the|your) \p{L}+)(?-u:\b)"
)
_MINE = r"(?i)(?-u:\b)(?:my|our)(?-u:\b)"
# A question about the assistant itself ("What can't you do?", "Are you able to remember
# ...?") is answered in the first person, in words of its own.
_ABOUT_YOU = (
    r"(?i)\b(?:yourself|(?:are|were|do|did|can|could|will|have) you|what (?:can(?:'t|not)?|"
    r"do(?:n't)?) you)\b"
)
_FIRST_PERSON = (
    r"\bI(?:'m| am| can(?:'t|not)?| don't| do not| have(?:n't)?| was| won't| keep| know| "
    r"remember| sometimes)\b"
)

# An answer that declines ("I can't help with sedating someone ...").
_DECLINING = (
    r"(?i)^\W*(?:(?:sorry|i'm sorry|i am sorry|no)[,.!]?\s+)?(?:i|we) (?:can't|cannot|can not|"
    r"won't|will not|am not able to|'m not able to|am unable to|'m unable to) (?:help|assist|"
    r"provide|give|tell|share|support)"
)

# A refusal in its own words, near the answer's opening: a negation, then within a few words
# a verb of helping or doing ("I'm not going to help build one", "I won't be writing that").
_DECLINES_IN_OWN_WORDS = (
    r"(?i)(?-u:\b)(?:not|n't|never|refuse|decline)(?-u:\b)[^.!?\n]{0,24}?(?-u:\b)(?:help|"
    r"assist|provide|give|tell|share|support|write|writing|build|make|explain|describe|do that|"
    r"go along|be part)(?-u:\b)"
)

# A question between two things: "the difference between a stock and a bond", "..., QWERTY or
# Dvorak?" (the last word before "or" and the first after it, in a question's last clause).
# ASCII letters: a Unicode letter class is compiled on every call (about 1 ms each).
_BETWEEN = (
    r"(?i)(?-u:\b)difference between (?:an? |the )?(?:[A-Za-z-]+ ){0,2}?(?<x>[A-Za-z-]{3,}) and "
    r"(?:an? |the )?(?<y>[A-Za-z-]{3,})"
)
_EITHER_OR = (
    r"(?i)(?<x>[A-Za-z-]{3,}),? or (?:an? |the )?(?<y>[A-Za-z-]{3,})(?: [A-Za-z-]+){0,4}\s*\?\s*$"
)
# "Roth IRA vs traditional IRA: what's the difference?": the first word of each side.
_VERSUS = (
    r"(?i)(?:^|[.?!:]\s+)(?:an? |the )?(?<x>[A-Za-z-]{3,})(?: [A-Za-z0-9()-]+){0,2} (?:vs\.?|"
    r"versus) (?:an? |the )?(?<y>[A-Za-z-]{3,})"
)
# An answer that takes up both or neither, or answers yes or no ("No, they are toxic"), need
# not name them; "or not?" and "or so?" ask no choice.
_TAKES_BOTH = (
    r"(?i)^[^A-Za-z0-9]*(?:yes|no|yeah|nope)(?-u:\b)|(?-u:\b)(?:both|neither|either|former|latter|"
    r"depends|same|whichever)(?-u:\b)"
)
# A thing the question names by a word and a number ("type 2 diabetes", "Python 3", "World
# War 2"): an answer that names the same word with another number, and never the asked one,
# answers about its neighbour ("Type 1 diabetes is ...").
# Only small numbers name a variant: "reach 60 words per minute" is a measure.
_NUMBERED = r"(?i)(?-u:\b)(?<name>[A-Za-z]{3,})\s+(?<number>1?\d|20)(?-u:\b)(?:[^\d.,:/]|$)"
_NOT_A_NAME = ["for", "over", "under", "about", "than", "top", "with", "from", "into", "and"]
# ... nor does a verb and its figure ("my loop prints 10"): a measure, not a variant.
_NOT_A_NAME += ["prints", "returns", "outputs", "shows", "gives", "takes", "costs", "equals"]
_NOT_A_NAME += ["makes", "gets", "has", "have", "had", "was", "were", "are", "is", "got"]
_NO_CHOICE = ["not", "else", "less", "more", "otherwise", "later", "never", "now", "two", "three"]

_STOP = [
    "the",
    "and",
    "for",
    "are",
    "but",
    "not",
    "you",
    "your",
    "all",
    "any",
    "can",
    "had",
    "her",
    "was",
    "one",
    "our",
    "out",
    "has",
    "have",
    "him",
    "his",
    "how",
    "its",
    "may",
    "new",
    "now",
    "see",
    "way",
    "who",
    "did",
    "get",
    "let",
    "say",
    "she",
    "too",
    "use",
    "what",
    "when",
    "where",
    "which",
    "why",
    "with",
    "this",
    "that",
    "from",
    "they",
    "them",
    "then",
    "than",
    "there",
    "these",
    "those",
    "will",
    "would",
    "could",
    "should",
    "been",
    "being",
    "into",
    "about",
    "over",
    "such",
    "only",
    "also",
    "some",
    "more",
    "most",
    "very",
    "just",
    "like",
    "make",
    "made",
    "many",
    "much",
    "each",
    "other",
    "their",
    "does",
    "doing",
    "done",
    "here",
    "well",
    "give",
    "tell",
    "please",
    "write",
    "explain",
    "describe",
    "list",
    "using",
    "used",
    "example",
    "examples",
    "answer",
    "question",
    "following",
    "below",
    "above",
    "want",
    "need",
    "know",
    "help",
    "show",
    "find",
    "good",
    "best",
    "way",
    "ways",
    "thing",
    "things",
]


# The request's frame and the answer's opening in it: "Who designed X?" / "Y was designed by";
# "In X, how ...?" / "In Y, ..."; "get X out of ..." / "To get Y out of ...".
_WHO_DID = re.compile(r"(?i)^\W*who (\w+) (.{3,80}?)\s*\?")
_DONE_BY = re.compile(r"^\W*(.{3,80}?) (?:was|were) (?:first |originally )?(\w+) by\b")
_IN_NAMED = re.compile(r"^\W*In ((?:[A-Z][\w.+-]*\s?){1,4}),")
_TO_DO = re.compile(r"^\W*To (\w+) (\w+(?: \w+){0,4}?)(?: out of| out| off| from| on| in|,)")
# "What's the capital of Australia?" / "The capital of New Zealand is ..."; "When was the
# Eiffel Tower finished?" / "The Statue of Liberty was finished in 1886".
_WHAT_OF = re.compile(
    r"(?i)^\W*what(?:'s| is| was| are| were) the ([a-z][a-z ]{2,30}?) of (.{2,60}?)\s*\?"
)
_THE_OF = re.compile(r"^\W*The ([a-z][a-z ]{2,30}?) of (.{2,60}?) (?:is|was|are|were)\b")
_WHEN_DONE = re.compile(r"(?i)^\W*when (?:was|were) (.{3,80}?) (\w+)\s*\?")
_DONE_IN = re.compile(r"^\W*(.{3,80}?) (?:was|were) (?:first |originally |only )?(\w+) (?:in|on)\b")
_FRAME_WORDS = {"the", "and", "for", "with", "from", "into", "your", "our", "their", "his", "her"}
_FRAME_WORDS |= {"some", "this", "that", "its", "out", "off"}


def _content(words: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]{3,}", words.lower()) if w not in _FRAME_WORDS}


def _substitution(prompt: str, text: str) -> tuple[str, str] | None:
    """(what was asked, what the answer names instead) where the answer's opening puts
    another thing in the request's frame and never names the asked one."""
    said = _content(text)
    pairs: list[tuple[str, str]] = []
    who, done = _WHO_DID.search(prompt), _DONE_BY.search(text)
    if who and done and who[1].lower() == done[2].lower():
        pairs.append((who[2], done[1]))
    what, the_of = _WHAT_OF.search(prompt), _THE_OF.search(text)
    if what and the_of and what[1].lower() == the_of[1].lower():
        pairs.append((what[2], the_of[2]))
    when, done_in = _WHEN_DONE.search(prompt), _DONE_IN.search(text)
    if when and done_in and when[2].lower() == done_in[2].lower():
        pairs.append((when[1], done_in[1]))
    place, there = _IN_NAMED.search(prompt), _IN_NAMED.search(text)
    if place and there:
        pairs.append((place[1], there[1]))
    task = _TO_DO.search(text)
    if task:
        asked = re.search(
            r"(?i)\b"
            + re.escape(task[1])
            + r" ([\w'-]+(?: [\w'-]+){0,4}?)(?: out of| out| off| from| on| in|[,?])",
            prompt,
        )
        if asked:
            pairs.append((asked[1], task[2]))
    for thing, other in pairs:
        asked_words, other_words = _content(thing), _content(other)
        # Something new in the answer's slot, and nothing that sets the asked thing apart
        # anywhere in the answer.
        distinct = asked_words - other_words
        if distinct and other_words - asked_words and not distinct & said:
            return thing.strip(), other.strip()
    return None


# A cosine between two normalized embeddings.
Cosine = Annotated[float, Field(ge=-1.0, le=1.0)]


class RelevanceConfig(RuleConfig):
    """Drop answers about something else than their request (embedding cosine)."""

    min_cosine: Cosine = Field(
        default=0.2,
        description="Cosine between request and answer embeddings below which an answer is "
        "off topic.",
    )
    max_overlap: float = Field(
        default=0.34,
        ge=0.0,
        le=1.0,
        description="Answers sharing more than this share of the request's content words are on "
        "topic without embedding.",
    )
    min_answer_words: int = Field(
        default=6, ge=1, description="Shorter answers (a number, a name) are not judged."
    )
    focused_cosine: Cosine = Field(
        default=0.37,
        description="Cosine below which a prose answer to a how/why/what question that shares "
        "few of its words is off topic (a same-domain wrong answer).",
    )
    focused_answer_words: int = Field(
        default=20,
        ge=1,
        description="Answers judged against `focused_cosine` have this many words.",
    )


def _stems(text: pl.Expr) -> pl.Expr:
    """Distinct content words, cut to 5 letters so 'photosynthesis' meets 'photosynthetic'."""
    return (
        text.str.to_lowercase()
        .str.extract_all(r"\p{L}{3,}|\p{N}+")
        .list.eval(pl.element().filter(~pl.element().is_in(_STOP)).str.slice(0, 5))
        .list.unique()
    )


@dataclass(frozen=True)
class OffTopic(DefectRule):
    """Answers whose request and answer are far apart in embedding space."""

    Config: ClassVar = RelevanceConfig
    config_key: ClassVar[str] = "off_topic"
    wh: Warehouse | None = None
    min_cosine: float = 0.2
    max_overlap: float = 0.34
    min_answer_words: int = 6
    focused_cosine: float = 0.37
    focused_answer_words: int = 20
    name: str = "off_topic"

    @classmethod
    def from_config(cls, config: RelevanceConfig, run: RunContext | None = None) -> list[Step]:
        if not config.enabled:
            return []
        # The run's warehouse caches embeddings; without one (a bench) they are computed.
        ctx = run.ctx if run is not None else None
        return [
            cls(
                wh=ctx.wh if ctx is not None else None,
                min_cosine=config.min_cosine,
                max_overlap=config.max_overlap,
                min_answer_words=config.min_answer_words,
                focused_cosine=config.focused_cosine,
                focused_answer_words=config.focused_answer_words,
            )
        ]

    def flag(self, rows: pl.DataFrame) -> pl.DataFrame:
        found_units = units(rows, ("response", "messages"), ("assistant",))
        unchosen = pl.concat(
            [
                self._neither_named(found_units),
                self._neighbour(found_units),
                self._substituted(found_units),
            ]
        )
        answers = (
            found_units.with_columns(
                # Code is part of an answer's topic (a request for a function is answered by
                # one), so the answer is compared whole.
                pl.col("text").alias("_answer"),
                # An instruction's input (a passage to summarize) and a conversation's earlier
                # turns are part of what an answer answers.
                pl.concat_str(["context", "prompt"], separator="\n").alias("_request"),
            )
            .with_columns(
                _stems(pl.col("_request")).alias("_asked"), _stems(pl.col("_answer")).alias("_said")
            )
            .with_columns(
                (
                    pl.col("_asked").list.set_intersection("_said").list.len()
                    / pl.col("_asked").list.len().clip(lower_bound=1)
                ).alias("_overlap")
            )
            .with_columns(
                # Prose of the request: a bare function to explain has no sentence to compare
                # an explanation with (MiniLM puts code and prose far apart).
                pl.col("_request")
                .str.replace_all(CODE_FENCE, " ")
                .str.replace_all(CODE_LINE, " ")
                .str.count_matches(r"\p{L}")
                .alias("_request_letters")
            )
            .filter(
                ~pl.col("prompt").str.contains(ASKS_FOR_LANGUAGE)
                # A poem, a caption or a role-play's line is the thing asked for, not an
                # answer about it: its words need not be the request's.
                & ~pl.col("prompt").str.contains(_CREATIVE)
                & ~(
                    (pl.col("prompt").str.count_matches(r"\S+") <= _MORE_OF_THE_SAME_WORDS)
                    & pl.col("context").str.contains(_CREATIVE)
                )
                # A short answer that ends asking back ("I'm sorry to hear that. Could you
                # check with your neighbours?") answers with a question, not about something
                # else: `needless_clarification` judges whether it had to ask.
                & ~(
                    pl.col("_answer").str.strip_chars().str.ends_with("?")
                    & (pl.col("_answer").str.count_matches(r"\S+") <= _ASKING_BACK_WORDS)
                )
                & ~(
                    pl.col("_answer").str.contains(_ASKS_FOR_THEIRS)
                    & pl.col("prompt").str.contains(_MINE)
                    & (pl.col("_answer").str.count_matches(r"\S+") <= _ASKING_BACK_WORDS)
                )
                & ~(
                    pl.col("prompt").str.contains(_ABOUT_YOU)
                    & (pl.col("_answer").str.count_matches(_FIRST_PERSON) >= 2)
                )
                & ~pl.col("_request").str.contains(ROLE_PLAY)
                & (pl.col("_request_letters") >= 20)
                & (pl.col("_asked").list.len() >= 2)
                & (pl.col("_answer").str.count_matches(r"\S+") >= self.min_answer_words)
                & (pl.col("_overlap") <= self.max_overlap)
            )
        )
        if answers.is_empty():
            return self._decided(unchosen)
        cosines = self._cosines(answers["_request"].to_list(), answers["_answer"].to_list())
        # Where a sound answer names what it was asked about, a closer answer that does not is
        # a same-domain wrong one.
        focused = (
            (pl.col("context").str.strip_chars() == "")
            & pl.col("prompt").str.contains(_EXPLAIN)
            & (~pl.col("prompt").str.contains(_NAMES_A_THING) | pl.col("prompt").str.contains(_WAY))
            & ~pl.col("_answer").str.contains(_CODE_MARK)
            & ~pl.col("_answer").str.contains("?", literal=True)
            & (pl.col("_answer").str.count_matches(r"\S+") >= self.focused_answer_words)
            & (
                pl.col("_answer").str.extract(_INSTRUCTS, 1).is_in(_NOT_A_VERB)
                | ~pl.col("_answer").str.contains(_INSTRUCTS)
            )
        )
        found = (
            answers.with_columns(pl.Series("_cosine", cosines, dtype=pl.Float64))
            .with_columns(
                pl.when(focused)
                .then(pl.lit(self.focused_cosine))
                .otherwise(pl.lit(self.min_cosine))
                .alias("_bar")
            )
            .filter(pl.col("_cosine") < pl.col("_bar"))
        )
        # A long conversation dilutes the request: a later turn's answer close to its own user
        # turn alone is on topic too. (An instruction's input is the task's material, not a
        # dilution: "Label this message" is answered about the message.)
        diluted = found.filter(
            pl.col("turn").is_not_null() & (pl.col("context").str.strip_chars() != "")
        )
        if diluted.height:
            alone = self._cosines(diluted["prompt"].to_list(), diluted["_answer"].to_list())
            on_topic = diluted.with_columns(pl.Series("_alone", alone, dtype=pl.Float64)).filter(
                pl.col("_alone") >= self.min_cosine
            )
            found = found.join(
                on_topic.select("row_id", "turn"),
                on=["row_id", "turn"],
                how="anti",
                nulls_equal=True,
            )
        # A request for harm is answered by declining it, in words of its own: the refusal
        # rule judges that answer (read on the few answers found).
        # In any words: "That's a booby trap, and I'm not going to help build one."
        declining = pl.col("_answer").str.contains(_DECLINING) | pl.col("_answer").str.slice(
            0, 240
        ).str.contains(_DECLINES_IN_OWN_WORDS)
        if found.height and found.select(declining.any()).item():
            harm = pl.any_horizontal(pl.col("prompt").str.contains(p) for p in ASKS_FOR_ANY_HARM)
            found = found.filter(~(declining & harm))
        # An answer found by both reads keeps its cosine's evidence.
        unchosen = unchosen.join(found.select("row_id"), on="row_id", how="anti")
        return pl.concat(
            [
                decisions(
                    found,
                    self.name,
                    pl.col("_cosine"),
                    cosine=pl.col("_cosine").round(4),
                    min_cosine=pl.col("_bar"),
                    word_overlap=pl.col("_overlap").round(3),
                    request=shortened(pl.col("prompt"), 120),
                    span=shortened(pl.col("text"), 120),
                ),
                self._decided(unchosen),
            ]
        )

    def _decided(self, unchosen: pl.DataFrame) -> pl.DataFrame:
        return decisions(
            unchosen,
            self.name,
            pl.lit(0.0),
            how=pl.col("_how"),
            asked=pl.col("_x"),
            named=pl.col("_y"),
            request=shortened(pl.col("prompt"), 120),
            span=shortened(pl.col("text"), 120),
        )

    def _neighbour(self, found: pl.DataFrame) -> pl.DataFrame:
        """Answers that name the question's numbered thing with another number only."""
        # A cheap first pass (ASCII classes): a Unicode class costs a scan of every prompt.
        asked = found.filter(pl.col("prompt").str.contains(r"[A-Za-z]{3} [0-9]")).filter(
            pl.col("prompt").str.contains(_NUMBERED)
            & (pl.col("text").str.count_matches(r"\S+") >= self.min_answer_words)
        )
        if asked.is_empty():
            return asked.with_columns(
                _x=pl.lit(None, pl.String), _y=pl.lit(None, pl.String), _how=pl.lit(None, pl.String)
            )
        numbered = pl.col("prompt").str.extract_groups(_NUMBERED)
        asked = asked.with_columns(
            numbered.struct.field("name").alias("_x"), numbered.struct.field("number").alias("_n")
        ).filter(
            ~pl.col("_x").str.to_lowercase().is_in(_STOP)
            & ~pl.col("_x").str.to_lowercase().is_in(_NOT_A_NAME)
        )
        name = pl.lit(r"(?i)\b") + pl.col("_x").str.escape_regex()
        return (
            asked.filter(
                pl.col("text").str.contains(name + pl.lit(r"\s+\d"))
                # "python3" names Python 3.
                & ~pl.col("text").str.contains(name + pl.lit(r"\s*") + pl.col("_n") + pl.lit(r"\b"))
            )
            .with_columns(
                pl.format("{} {}", "_x", "_n").alias("_x"),
                pl.col("text").str.extract(name + pl.lit(r"\s+\d+"), 0).alias("_y"),
                pl.lit("names another number").alias("_how"),
            )
            .drop("_n")
        )

    def _substituted(self, found: pl.DataFrame) -> pl.DataFrame:
        """Answers that open on the request's own frame with another thing in it: "Who
        designed the Sydney Opera House?" "The Guggenheim Museum Bilbao was designed by ...",
        "In Excel, how do I ...?" "In Google Sheets, go to ...", "How do I get candle wax out
        of a rug?" "To get chewing gum out of a rug, ...", when the answer never names what
        was asked."""
        # Literal first passes on the answer's opening and the request's (few open so).
        opening = pl.col("text").str.strip_chars_start(" '\"“‘*")
        asked = pl.col("prompt").str.strip_chars_start().str.to_lowercase()
        asks_who = asked.str.starts_with("who ")
        # ("What's the capital of ...?" / "The capital of ...", "When was ... finished?" / "...
        # was finished in": the literal words of both frames first.)
        asks_what_of = asked.str.starts_with("what") & asked.str.contains(" of ", literal=True)
        asks_when = asked.str.starts_with("when was ") | asked.str.starts_with("when were ")
        maybe = found.filter(
            opening.str.starts_with("In ")
            | opening.str.starts_with("To ")
            | (asks_who & opening.str.slice(0, 120).str.contains(" by ", literal=True))
            | (
                asks_what_of
                & opening.str.starts_with("The ")
                & opening.str.slice(0, 60).str.contains(" of ", literal=True)
            )
            | (
                asks_when
                & (
                    opening.str.slice(0, 120).str.contains(" was ", literal=True)
                    | opening.str.slice(0, 120).str.contains(" were ", literal=True)
                )
            )
        ).filter(pl.col("text").str.count_matches(r"\S+") >= self.min_answer_words)
        empty = found.clear().with_columns(
            _x=pl.lit(None, pl.String), _y=pl.lit(None, pl.String), _how=pl.lit(None, pl.String)
        )
        if maybe.is_empty():
            return empty
        keep, asked, named = [], [], []
        for prompt, text in maybe.select("prompt", "text").iter_rows():
            pair = _substitution(prompt or "", text or "")
            keep.append(pair is not None)
            asked.append(pair[0] if pair else None)
            named.append(pair[1] if pair else None)
        return (
            maybe.with_columns(
                pl.Series("_x", asked, pl.String),
                pl.Series("_y", named, pl.String),
                pl.lit("names another thing in the request's frame").alias("_how"),
            )
            .filter(pl.Series(keep, dtype=pl.Boolean))
            .select(empty.columns)
        )

    def _neither_named(self, found: pl.DataFrame) -> pl.DataFrame:
        """Answers of prose to a question between two things that name neither of them
        (a word starting with an option's stem counts as naming it)."""
        # Literal first passes: most prompts hold neither word.
        asked = found.filter(
            pl.col("prompt").str.contains_any([" or ", "between", " vs", "versus"])
        )
        # The question's shape first (few prompts have it), then the exemptions on those.
        asked = asked.filter(
            pl.col("prompt").str.contains(_BETWEEN)
            | pl.col("prompt").str.contains(_EITHER_OR)
            | pl.col("prompt").str.contains(_VERSUS)
        ).filter(
            ~pl.col("prompt").str.contains(ASKS_FOR_LANGUAGE)
            & ~pl.col("prompt").str.contains(_CREATIVE)
            & ~pl.concat_str(["context", "prompt"], separator="\n").str.contains(ROLE_PLAY)
            & (pl.col("text").str.count_matches(r"\S+") >= self.min_answer_words)
            & ~pl.col("text").str.contains(_CODE_MARK)
            & ~pl.col("text").str.contains(_TAKES_BOTH)
        )
        if asked.is_empty():
            return asked.with_columns(
                _x=pl.lit(None, pl.String), _y=pl.lit(None, pl.String), _how=pl.lit(None, pl.String)
            )
        between = pl.col("prompt").str.extract_groups(_BETWEEN)
        either = pl.col("prompt").str.extract_groups(_EITHER_OR)
        versus = pl.col("prompt").str.extract_groups(_VERSUS)
        # An option's stem: "tabs" is named by "the Tab key", "renting" by "rent"; a long
        # word keeps more ("longitude" is not named by "km long").
        stems = [pl.col(side).str.replace(r"(?:es|s)$", "") for side in ("_x", "_y")]
        # Literal searches in the lowercased answer: a pattern made per row is compiled per
        # row (2 us a row on the bench's rows).
        said = pl.col("text").str.to_lowercase()
        named = [
            said.str.contains(
                stem.str.to_lowercase().str.slice(
                    0, pl.max_horizontal(stem.str.len_chars() - 3, 4)
                ),
                literal=True,
            )
            for stem in stems
        ]
        return (
            asked.with_columns(
                pl.coalesce(
                    between.struct.field("x"), either.struct.field("x"), versus.struct.field("x")
                ).alias("_x"),
                pl.coalesce(
                    between.struct.field("y"), either.struct.field("y"), versus.struct.field("y")
                ).alias("_y"),
            )
            .filter(
                pl.col("_x").is_not_null()
                & ~pl.col("_y").str.to_lowercase().is_in(_NO_CHOICE)
                & ~pl.col("_x").str.to_lowercase().is_in(_NO_CHOICE)
            )
            .filter(~named[0] & ~named[1])
            .with_columns(pl.lit("names neither option").alias("_how"))
        )

    def _cosines(self, requests: list[str], answers: list[str]) -> list[float]:
        from assets.embeddings import Embedder

        embedder = Embedder()
        if self.wh is None:
            left, right = embedder.encode(requests), embedder.encode(answers)
        else:
            left, right = embedder.embed(self.wh, requests), embedder.embed(self.wh, answers)
        return np.einsum("ij,ij->i", left, right).astype(float).tolist()
