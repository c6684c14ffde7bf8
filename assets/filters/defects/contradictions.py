"""An answer that contradicts itself in a form a rule can see:

- the same claim asserted and negated: "Python lists are immutable ... lists are mutable",
  "Yes, 1 is a prime number ... it is not considered prime" (an opening yes or no answers a
  yes/no question's own claim, and "it" there is the question's subject);
- a comparison and its reverse: "A kilobyte is larger than a megabyte ... a megabyte holds a
  thousand times as much as a kilobyte";
- two different counts of the same thing, the first answer and a conclusion ("An adult has
  206 bones ... So in total, an adult skeleton has 212 bones", "seven continents ... That
  makes six continents"), unless the conclusion adds to what it counts ("with substitutes");
- a worked result and a conclusion with another figure of its kind: "$40 - $10 = $30. So the
  shirt costs $35" (unless the conclusion's figure was given before, or is the result plus or
  minus one: a saving, a total with tax);
- a verdict reversed: "Yes, penguins can fly ... so the answer is no";
- a pick between two things and its reverse: "Which is heavier, A or B?" "A is heavier ... so
  B is heavier" (or "... so they weigh the same");
- "Do I need to X?" answered no and later "X always needs to be done" (or yes and later "X
  isn't needed"), without a condition;
- a closing "Answer:" line with another figure than the working's last result of its kind:
  "... the total is 4 × $2 = $8. Answer: $6";
- an either-or question's pick reversed in the wrap-up: "Should I buy or lease?" "Buying is
  usually better ... In short, leasing is the better deal." (in the same answer or a later
  turn; a wrap-up that sets a condition, or names the pick first, picks nothing new);
- a thing defined by itself: "The Nile is a tributary of the Nile";
- one statement made twice with another figure: "At sea level, water boils at 100 °C ... At
  sea level, though, water boils at around 90 °C";
- a superlative and its rival: "Mercury is the hottest planet ... Venus is even hotter than
  Mercury", "Asia is the largest continent ... Africa is the largest continent", "Saturn has
  the most moons ... Jupiter has more moons than any other planet";
- a yes or a no that the wrap-up takes back (`wrap_up_verdict`): "Can I use soda instead?" "Yes,
  ... The short answer is that soda can't be used in place of powder.";
- a yes that the answer then denies, in the forms of a requirement or a category: "Do I need
  a visa?" "Yes, ... no visa is required"; "Are spiders insects?" "Yes, ... biologists do not
  count them as insects"; or, after an unreserved yes, as an act ("Can I mix them?" "Yes,
  that's perfectly fine ... you should never mix them");
- an opening yes or no that the answer's wrap-up takes back (`wrap_up_verdict`): "Can I use
  soda instead?" "Yes, ... The short answer is that soda can't be used in place of powder."

Claims are read sentence by sentence; a claim after words that report what others say or
believe, or that set a condition ("Many people think ...", "If ..."), asserts nothing. A
claim's key is its subject word, its tense and its predicate word, so "Pluto is not a planet"
and "Pluto was a planet until 2006" do not clash, nor do "lists are mutable" and "tuples are
immutable". These read what answers a request: instruction responses, the chosen side of a
preference pair and every assistant turn."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

import polars as pl

from assets.filters.defects.asked_figure import figures_restated
from assets.filters.defects.spans import DefectRule, prose
from assets.filters.defects.table_claims import tables_against_text
from assets.filters.defects.units import decisions, shortened, units
from assets.filters.defects.wrap_up_verdict import verdicts_taken_back

# A letter class under `(?i)` matches the letters and U+0345 (a combining mark whose case
# folding is a letter): checked over every code point in test_defect_cost_forms.
_FOLDED_LETTER_EXTRA = r"\x{345}"


def _unfolded(pattern: str) -> str:
    r"""`pattern` (case-insensitive throughout) with each class of letters written as its case
    folding (`(?-i:[\x{345}\p{L}])` for `\p{L}`): the same matches, and half the compile. A
    pattern is compiled again in every batch (see `_no_finding`), and folding a Unicode
    letter class is most of compiling it (_CLAIM: 6.2 -> 2.9 ms)."""
    if not pattern.startswith("(?i)") or "(?-i" in pattern or "(?i:" in pattern:
        raise ValueError(f"not a pattern case-insensitive throughout: {pattern!r}")
    out: list[str] = []
    at = 0
    while at < len(pattern):
        if pattern.startswith(r"\p{L}", at):
            out.append(rf"(?-i:[{_FOLDED_LETTER_EXTRA}\p{{L}}])")
            at += len(r"\p{L}")
        elif pattern[at] == "\\":
            out.append(pattern[at : at + 2])
            at += 2
        elif pattern[at] == "[":
            end = at + 1 + (pattern[at + 1] == "^")
            start = end
            while pattern[end] != "]" or end == start:
                end += 2 if pattern[end] == "\\" else 1
            body = pattern[start:end]
            if r"\p{L}" in body:
                out.append(f"(?-i:{pattern[at:start]}{_FOLDED_LETTER_EXTRA}{body}])")
            else:
                out.append(pattern[at : end + 1])
            at = end + 1
        else:
            out.append(pattern[at])
            at += 1
    return "".join(out)


# A sentence (or clause after a semicolon or dash) of an answer.
_SENTENCE = r"[^.!?;\n—]+"
# What turns the rest of a sentence into no assertion of the answer's own: "Many people
# think ...", "If ...". Read before the claim only ("Lists are mutable, so ..." asserts).
_NOT_ASSERTED = (
    r"(?i)\b(?:say|says|said|saying|claim|claims|claimed|believe|believes|believed|think|"
    r"thinks|thought|myth|misconception|assume|assumes|assumed|suppose|if|unless|whether|"
    r"would|might|could|used to|mistakenly|wrongly|popular|hear|question|ask|asks|asked|"
    r"instead of|rather than|whereas|while)\b"
)
_CLAIM = (
    r"(?i)(?:^|[^\p{L}\p{N}'])(?<subject>\p{L}[\p{L}\p{N}'-]*|\d[\d,.]*)\s+"
    r"(?<verb>is|are|was|were|isn't|aren't|wasn't|weren't)\s+(?<neg>not\s+|never\s+)?"
    r"(?:(?:considered|actually|really|truly|technically|in fact|still|also|indeed|"
    r"definitely|certainly|classed as|classified as|regarded as)\s+)?(?:(?:a|an|the)\s+)?"
    r"(?<word>\p{L}[\p{L}-]*)"
)
# Predicate words that carry no claim of their own ("is not always ...", "is not just ...").
_NO_CLAIM = [
    "always",
    "usually",
    "often",
    "sometimes",
    "generally",
    "necessarily",
    "only",
    "just",
    "quite",
    "exactly",
    "entirely",
    "strictly",
    "fully",
    "very",
    "more",
    "less",
    "most",
    "as",
    "so",
    "too",
    "one",
    "of",
    "in",
    "on",
    "at",
    "to",
    "for",
    "by",
    "with",
    "from",
    "that",
    "this",
    "there",
    "here",
    "what",
    "how",
    "due",
    "about",
    "because",
    "same",
    "different",
    "used",
    "called",
    "known",
    "made",
    "based",
    "set",
]
# Subjects that are no noun: a claim about "it" or after "and" is about the question's
# subject in an answer to a yes/no question, and otherwise about nothing a rule can tell.
_ANAPHORA = ["it", "and", "which", "that", "this", "so", "but", "they"]
_NEGATING_PREFIX = r"^(?:im|in|un|non-?|ir|il)(\p{L}{4,})$"
# "Is 1 a prime number?" (subject, then an article before the predicate) and "Are Python
# lists mutable?" (the predicate is the last word); an "or" makes it no yes/no question.
_YES_NO_NOMINAL = (
    r"(?i)^\s*(?<qverb>is|are|was|were)\s+(?:(?:a|an|the)\s+)?(?:[^\s?]+\s+){0,3}?"
    r"(?<qsubject>[^\s?]+)\s+(?:a|an|the)\s+(?<qword>\p{L}+)"
)
_YES_NO_ADJECTIVE = (
    r"(?i)^\s*(?<qverb>is|are|was|were)\s+(?:(?:a|an|the)\s+)?(?:[^\s?]+\s+){0,3}?"
    r"(?<qsubject>[^\s?]+)\s+(?<qword>\p{L}+)\s*\?\s*$"
)
_OPENING = r"(?i)^\W*(?<answer>yes|no)\b"

_COMPARATIVES = (
    r"larger|bigger|greater|heavier|longer|taller|higher|faster|older|more|smaller|lighter|"
    r"shorter|lower|slower|younger|less|fewer"
)
_COMPARISON = (
    r"(?i)(?:^|[^\p{L}])(?<left>\p{L}+)\s+(?:is|are|was|were|holds?|has|have|weighs?|costs?)\s+"
    r"(?:(?:much|far|slightly|about|roughly|around|nearly|almost|a|an|\S+)\s+){0,3}?"
    r"(?:(?<comp>" + _COMPARATIVES + r")(?:\s+\p{L}+){0,2}?\s+than|(?<times>times)\s+"
    r"(?:as\s+(?:much|many|large|big|long|heavy)|(?:" + _COMPARATIVES + r"))"
    r"(?:\s+\p{L}+){0,2}?\s+(?:as|than))\s+(?:(?:a|an|the)\s+)?(?<right>\p{L}+)"
)
# "Larger" words against "smaller" ones: a comparison and its reverse say opposite things.
_SMALLER = ["smaller", "lighter", "shorter", "lower", "slower", "younger", "less", "fewer"]

# Counts in figures or words ("206 bones", "seven continents"); "one" is left out ("one way").
_NUMBER_WORDS = {
    word: str(value)
    for value, word in enumerate(
        [
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
            "thirteen",
            "fourteen",
            "fifteen",
            "sixteen",
            "seventeen",
            "eighteen",
            "nineteen",
            "twenty",
        ]
    )
    if value >= 2
}
_NUMBER_WORD = "|".join(_NUMBER_WORDS)
_COUNT = (
    r"(?i)(?:^|[^\p{L}\p{N}])(?<number>\d[\d,]*(?:\.\d+)?|"
    + _NUMBER_WORD
    + r")\s+(?<noun>\p{L}{3,})"
)
_ADDED_TO = r"(?i)\b(?:with|including|plus|counting|excluding|besides|per|each|across)\b"
_CONCLUSION = (
    r"(?i)^\s*(?:so|thus|therefore|hence|in total|in all|altogether|overall|in short|"
    r"in summary|in sum|in conclusion|to sum up|to sum it up|to summari[sz]e|that makes|"
    r"this gives|which gives|all in all|the (?:final )?answer is)\b"
)

_SELF_DEFINED = (
    r"(?i)(?:^|[^\p{L}])(?:the\s+)?(?<x>\p{L}+(?:\s+\p{L}+)?)\s+(?:is|was|are|were)\s+"
    r"(?:a|an|the|one of the)\s+(?:\p{L}+\s+)?(?<relation>tributary|part|type|kind|member|"
    r"branch|subset|form|version|variant|component|subsidiary|city|capital|province|region|"
    r"district|suburb|descendant|ancestor|child|parent|dialect|subspecies|species|genus|"
    r"feature|function|cause|result)\s+of\s+(?:the\s+)?(?<y>\p{L}+(?:\s+\p{L}+)?)"
)
# "The language of Spanish is Spanish": a thing's attribute named as the thing itself.
_SELF_NAMED = (
    r"(?i)(?:^|[^\p{L}])the\s+(?<relation>\p{L}+)\s+of\s+(?:the\s+)?(?<x>\p{L}+(?:\s+\p{L}+)?)\s+"
    r"(?:is|was|are|were)\s+(?:the\s+)?(?<y>\p{L}+(?:\s+\p{L}+)?)"
)
# Only answers that negate (or open with yes or no), compare, conclude a count or define
# something by a relation can contradict themselves in these forms: the rest are not read.
# Each alternative is searched on its own: joined, they cost the regex engine 40 us a row
# against 10.
_CANDIDATES = (
    r"\bnot\b|n't\b|\bnever\b",
    # An opening yes or no, of the answer or of a later turn: two searches, as the joined
    # "(?:\A|\n)" costs 1.6 us a row against 0.25.
    r"(?i)\A\W{0,3}(?:yes|no)\b",
    r"(?i)\n\W{0,3}(?:yes|no)\b",
    r"\b(?:is|are|was|were) (?:\w+ )?(?:im|un|non-?|ir|il|in)\p{L}{4,}",
    r"\bthan\b|\btimes (?:as|more|larger|bigger)\b",
    r"(?i)\b(?:so|thus|therefore|hence|in total|in all|altogether|overall|in (?:short|sum|summary|"
    r"conclusion)|to sum (?:up|it up)|all in all|the (?:final )?answer is)\b[^.!?\n]{0,80}\d",
    # A count in words concluded with a total ("So a spider has ten legs in total").
    r"(?i)\b(?:in total|altogether|that makes)\b",
    r"\b(?:is|was|are|were) (?:a|an|the|one of the) (?:\w+ )?\w+ of\b",
    r"(?i)\bthe \w+ of (?:the )?\w+(?: \w+)? (?:is|was|are|were)\b",
    r"(?i)\b(?:is|are|was|were) (?:\w+ )?the (?:\w+est|most \w+)\b",
)
# Searched with ASCII word boundaries: the same rows (the words are ASCII), and a Unicode
# boundary pushes the regex engine off its fast path (6.4 us a row against 4.1 for all).
_CANDIDATE_SEARCHES = tuple(c.replace(r"\b", r"(?-u:\b)") for c in _CANDIDATES)
# A question between two things ("Which is heavier, A or B?") and an answer that picks one in
# its first words ("The iron is heavier."), at a turn's start: read only where the request
# asks which (few rows), as a pick is common wording.
_ASKS_WHICH = r"(?i)\bwhich\b[^?\n]*\bor\b"
_PICK_START = (
    r"(?i)(?:\A|\n)\W{0,3}(?:the\s+)?\p{L}+\s+(?:is|are|was|were|weighs?|has|have)\s+(?:\w+\s+)?"
    r"(?:\p{L}{2,}er|more|less)\b"
)
_PICK_TURN = (
    r"(?i)\bwhich\b[^?\n]*\bor\b[^?\n]*\?\s*\n\nassistant: \W{0,3}(?:the\s+)?\p{L}+\s+(?:is|are|was|"
    r"were|weighs?|has|have)\s"
)
# One statement made twice with another figure needs two figures.
_VALUE = r"\d[\d,]*(?:\.\d+)?"


def _no_finding(frame: pl.DataFrame) -> pl.DataFrame:
    """`_uid, _span, form` with no row: what a form returns as soon as it has nothing left to
    read. Polars compiles a pattern even for no rows, and keeps only 32 compiled patterns a
    thread (the filtered stage runs hundreds), so each batch compiles every pattern it runs
    again (1 to 5 ms each for these): a form stops before its patterns where it can."""
    return pl.DataFrame(
        schema={"_uid": frame.schema["_uid"], "_span": pl.String, "form": pl.String}
    )


def _sentences(frame: pl.DataFrame) -> pl.DataFrame:
    """`_uid, _sentence, _at` (its order): each answer's sentences, code left out."""
    return (
        frame.select("_uid", prose(pl.col("text")).str.extract_all(_SENTENCE).alias("_sentence"))
        .explode("_sentence")
        .drop_nulls("_sentence")
        .with_columns(pl.int_range(pl.len()).over("_uid").alias("_at"))
    )


def _asserted() -> pl.Expr:
    """Over `_sentence` and a match `_m` in it: nothing before the match makes it reported
    speech or a condition."""
    before = pl.col("_sentence").str.slice(
        0, pl.col("_sentence").str.find(pl.col("_m"), literal=True).fill_null(0)
    )
    return ~before.str.contains(_NOT_ASSERTED)


def _asserted_matches(sentences: pl.DataFrame, pattern: str) -> pl.DataFrame:
    """One row per asserted match `_m` of `pattern` in each sentence, its named groups as
    columns."""
    return (
        sentences.with_columns(pl.col("_sentence").str.extract_all(pattern).alias("_m"))
        .explode("_m")
        .drop_nulls("_m")
        .filter(_asserted())
        .with_columns(pl.col("_m").str.extract_groups(pattern).alias("_g"))
        .unnest("_g")
    )


def _claims(frame: pl.DataFrame, sentences: pl.DataFrame) -> pl.DataFrame:
    """`_uid, subject, _past, word, neg, _span`: the asserted copula claims ("lists are
    immutable"), with the yes/no question's own claim when the answer opens with yes or no,
    and each claim on a negated word read again as its stem negated."""
    question = pl.coalesce(
        pl.col("prompt").str.extract_groups(_YES_NO_NOMINAL),
        pl.col("prompt").str.extract_groups(_YES_NO_ADJECTIVE),
    )
    asked = (
        frame.select(
            "_uid",
            question.alias("_q"),
            pl.col("text").str.extract_groups(_OPENING).struct.field("answer").alias("_answer"),
            pl.col("prompt").str.contains(r"(?i)\bor\b").alias("_or"),
        )
        .unnest("_q")
        .with_columns(
            pl.col("qsubject").str.to_lowercase().str.strip_suffix("s"),
            pl.col("qword").str.to_lowercase(),
            pl.col("qverb").str.to_lowercase().is_in(["was", "were"]).alias("_past"),
        )
        .filter(pl.col("qsubject").is_not_null() & ~pl.col("_or"))
    )
    found = (
        sentences.filter(pl.col("_sentence").str.contains(r"(?i)\b(?:is|are|was|were)"))
        .pipe(_asserted_matches, _CLAIM)
        .with_columns(
            pl.col("subject").str.to_lowercase().str.strip_suffix("s"),
            pl.col("word").str.to_lowercase(),
            pl.col("verb").str.to_lowercase().str.starts_with("w").alias("_past"),
            (pl.col("neg").is_not_null() | pl.col("verb").str.ends_with("n't")).alias("neg"),
            pl.col("_m").str.strip_chars().alias("_span"),
        )
        .filter(~pl.col("word").is_in(_NO_CLAIM))
        .join(asked.select("_uid", "qsubject"), on="_uid", how="left")
        .with_columns(
            pl.when(pl.col("subject").is_in(_ANAPHORA))
            .then(pl.col("qsubject"))
            .otherwise(pl.col("subject"))
            .alias("subject")
        )
        .filter(pl.col("subject").is_not_null() & ~pl.col("subject").is_in(_ANAPHORA))
        .select("_uid", "subject", "_past", "word", "neg", "_span")
    )
    opening = asked.filter(pl.col("_answer").is_not_null()).select(
        "_uid",
        pl.col("qsubject").alias("subject"),
        "_past",
        pl.col("qword").alias("word"),
        (pl.col("_answer").str.to_lowercase() == "no").alias("neg"),
        pl.col("_answer").alias("_span"),
    )
    claims = pl.concat([found, opening])
    # "immutable" is "not mutable": a negating prefix is a second reading of the claim.
    stems = claims.with_columns(
        pl.col("word").str.extract(_NEGATING_PREFIX, 1).alias("word"), ~pl.col("neg").alias("neg")
    ).drop_nulls("word")
    return pl.concat([claims, stems])


def _negated(claims: pl.DataFrame) -> pl.DataFrame:
    """`_uid, _span, form`: a claim asserted and negated (both spans)."""
    clash = (
        claims.group_by("_uid", "subject", "_past", "word", maintain_order=True)
        .agg(
            pl.col("neg").n_unique().alias("_sides"),
            pl.col("_span").filter(~pl.col("neg")).first().alias("_yes"),
            pl.col("_span").filter(pl.col("neg")).first().alias("_no"),
        )
        .filter(pl.col("_sides") == 2)
    )
    return clash.select(
        "_uid",
        pl.format("{} / {}", "_yes", "_no").alias("_span"),
        pl.lit("asserted and negated").alias("form"),
    )


def _reversed(sentences: pl.DataFrame) -> pl.DataFrame:
    """`_uid, _span, form`: "A is larger than B" and "B is larger than A" (or "B holds ten
    times as much as A")."""
    compared = sentences.filter(pl.col("_sentence").str.contains(r"\b(?:than|times)\b"))
    if compared.is_empty():
        return _no_finding(sentences)
    comparisons = (
        compared.pipe(_asserted_matches, _COMPARISON)
        .filter(~pl.col("_sentence").str.contains(r"(?i)\bnot\b|n't\b"))
        .select(
            "_uid",
            pl.col("left").str.to_lowercase().str.strip_suffix("s").alias("left"),
            pl.col("right").str.to_lowercase().str.strip_suffix("s").alias("right"),
            # Larger is +1, smaller -1: "A larger than B" is "B smaller than A".
            pl.when(pl.col("comp").str.to_lowercase().is_in(_SMALLER))
            .then(-1)
            .otherwise(1)
            .alias("_dir"),
            pl.col("_m").str.strip_chars().alias("_span"),
        )
        .filter(pl.col("left") != pl.col("right"))
    )
    # One orientation: (A, B, d) and (B, A, -d) state the same order.
    oriented = comparisons.select(
        "_uid",
        pl.min_horizontal("left", "right").alias("_a"),
        pl.max_horizontal("left", "right").alias("_b"),
        pl.when(pl.col("left") < pl.col("right"))
        .then(pl.col("_dir"))
        .otherwise(-pl.col("_dir"))
        .alias("_dir"),
        "_span",
    )
    return (
        oriented.group_by("_uid", "_a", "_b", maintain_order=True)
        .agg(pl.col("_dir").n_unique().alias("_sides"), pl.col("_span").str.join(" / "))
        .filter(pl.col("_sides") == 2)
        .select("_uid", "_span", pl.lit("comparison reversed").alias("form"))
    )


def _recounted(frame: pl.DataFrame, sentences: pl.DataFrame) -> pl.DataFrame:
    """`_uid, _span, form`: the first sentence counts N things and a concluding sentence
    ("So in total ...") counts M of the same things; N is no figure given in the prompt."""
    # Only answers with a concluding sentence (an anchored test) are read, and only their
    # first and concluding sentences.
    marked = sentences.with_columns(
        pl.col("_sentence").str.contains(_CONCLUSION).alias("_concludes")
    )
    concluding = marked.filter(pl.col("_concludes") & (pl.col("_at") > 0))["_uid"]
    if concluding.is_empty():
        return _no_finding(sentences)
    counts = (
        marked.filter(
            pl.col("_uid").is_in(concluding.implode())
            & ((pl.col("_at") == 0) | pl.col("_concludes"))
        )
        .with_columns(pl.col("_sentence").str.extract_all(_COUNT).alias("_m"))
        .explode("_m")
        .drop_nulls("_m")
        .with_columns(pl.col("_m").str.extract_groups(_COUNT).alias("_g"))
        .unnest("_g")
        .with_columns(
            pl.col("number").alias("_raw"),
            pl.col("number").str.replace_all(",", "").str.to_lowercase().replace(_NUMBER_WORDS),
            pl.col("noun").str.to_lowercase(),
            pl.col("_m").str.strip_chars(" \t,;:(").alias("_m"),
        )
        .join(frame.select("_uid", "prompt", "text"), on="_uid")
    )
    first = counts.filter(
        (pl.col("_at") == 0) & ~pl.col("prompt").str.contains(pl.col("number"), literal=True)
    )
    # "So in total, with substitutes, twelve players": a conclusion that adds to what it
    # counts counts something else.
    # "24 hours of 60 minutes, so 24 × 60 = 1,440 minutes": a conclusion whose figure was
    # worked out before it ("= 1,440") restates that result, not the first count.
    # (Literal searches: a pattern made per row is compiled per row, 5 us a row.)
    last = counts.filter((pl.col("_at") > 0) & ~pl.col("_sentence").str.contains(_ADDED_TO)).filter(
        ~pl.col("text").str.contains(pl.lit("= ") + pl.col("_raw"), literal=True)
        & ~pl.col("text").str.contains(pl.lit("=") + pl.col("_raw"), literal=True)
    )
    return (
        first.join(last, on=["_uid", "noun"], suffix="_last")
        .filter(pl.col("number") != pl.col("number_last"))
        .unique("_uid", keep="first", maintain_order=True)
        .select(
            "_uid",
            pl.format(
                "{} / {}", pl.col("_m").str.strip_chars(), pl.col("_m_last").str.strip_chars()
            ).alias("_span"),
            pl.lit("two counts").alias("form"),
        )
    )


# A worked result ("$40 - $10 = $30") and a figure a concluding sentence states after it: a
# currency sign, a per cent sign or a unit word tells that they are the same quantity.
_RESULT = r"=\s*(?<sym>[$€£]?)\s*(?<val>\d[\d,]*(?:\.\d+)?)(?:\s*(?<unit>%|\p{L}{2,}))?"
_STATED = r"(?<sym>[$€£]?)(?<val>\d[\d,]*(?:\.\d+)?)(?:\s*(?<unit>%|\p{L}{2,}))?"
# Any figure given before a conclusion (empty sign and unit: read by value alone).
_GIVEN = r"(?<sym>)(?<val>\d[\d,]*(?:\.\d+)?)(?<unit>)"
_FIGURED_SENTENCE = r"(?:[^.!?;\n—]|\.\d)+"


def _figures(sentences: pl.DataFrame, pattern: str, *, last: bool) -> pl.DataFrame:
    """The figures `pattern` matches in each sentence (only the last one with `last`): its
    groups, the value as a number and the match as `_m`."""
    found = sentences.with_columns(pl.col("_sentence").str.extract_all(pattern).alias("_m"))
    found = found.with_columns(pl.col("_m").list.last()) if last else found.explode("_m")
    return (
        found.drop_nulls("_m")
        .with_columns(pl.col("_m").str.extract_groups(pattern).alias("_g"))
        .unnest("_g")
        .with_columns(
            pl.col("val").str.replace_all(",", "").cast(pl.Float64, strict=False).alias("_v"),
            pl.col("unit").str.to_lowercase(),
        )
    )


def _result_restated(frame: pl.DataFrame) -> pl.DataFrame:
    """`_uid, _span, form`: a worked result ("... = $30") and a concluding sentence after it
    that states the same kind of figure with another value ("So the shirt costs $35"). A
    conclusion's figure given before it, or the result plus or minus a figure given before
    it (the saving, the change, a total with tax), is another quantity."""
    # Sentences whose decimals stay whole ("$69.12 with tax" is one clause).
    sentences = (
        frame.filter(pl.col("text").str.contains("=", literal=True))
        .select("_uid", prose(pl.col("text")).str.extract_all(_FIGURED_SENTENCE).alias("_sentence"))
        .explode("_sentence")
        .drop_nulls("_sentence")
        .with_columns(pl.int_range(pl.len()).over("_uid").alias("_at"))
    )
    worked = sentences.filter(pl.col("_sentence").str.contains("=", literal=True))
    if worked.is_empty():
        return _no_finding(sentences)
    results = (
        _figures(worked, _RESULT, last=True)
        .sort("_at")
        .unique("_uid", keep="last")
        .select("_uid", pl.col("_at").alias("_res_at"), "sym", "_v", "unit", pl.col("_m"))
    )
    concluding = sentences.filter(
        pl.col("_uid").is_in(results["_uid"].implode())
        & pl.col("_sentence").str.contains(_CONCLUSION)
        & ~pl.col("_sentence").str.contains("=", literal=True)
        & ~pl.col("_sentence").str.contains(_ADDED_TO)
    )
    stated = (
        _figures(concluding, _STATED, last=False)
        .join(results, on="_uid", suffix="_r")
        .filter(pl.col("_at") > pl.col("_res_at"))
        .filter(
            pl.when(pl.col("sym_r") != "")
            .then(pl.col("sym") == pl.col("sym_r"))
            # Two bare figures ("= 12. The answer is 14.") are one quantity too.
            .otherwise(pl.col("unit").eq_missing(pl.col("unit_r")))
        )
        .filter(pl.col("_v") != pl.col("_v_r"))
    )
    if stated.is_empty():
        return _no_finding(sentences)
    # The figures given before each conclusion.
    earlier = _figures(
        sentences.filter(pl.col("_uid").is_in(stated["_uid"].implode())),
        _GIVEN,
        last=False,
    ).select("_uid", pl.col("_at").alias("_e_at"), pl.col("_v").alias("_e"))
    explained = (
        stated.join(earlier, on="_uid")
        .filter(pl.col("_e_at") < pl.col("_at"))
        .filter(
            (pl.col("_e") == pl.col("_v"))
            | ((pl.col("_v_r") - pl.col("_e")).abs() == pl.col("_v"))
            | ((pl.col("_v_r") + pl.col("_e")) == pl.col("_v"))
        )
        .select("_uid", "_at", "_m")
    )
    return (
        stated.join(explained, on=["_uid", "_at", "_m"], how="anti")
        .unique("_uid", keep="first", maintain_order=True)
        .select(
            pl.col("_uid").cast(sentences.schema["_uid"]),
            pl.format(
                "{} / {}",
                pl.col("_m_r").str.strip_chars("= "),
                pl.col("_m").str.strip_chars(),
            ).alias("_span"),
            pl.lit("result restated").alias("form"),
        )
    )


def _self_defined(sentences: pl.DataFrame) -> pl.DataFrame:
    """`_uid, _span, form`: "X is a tributary of X", "The language of Spanish is Spanish"."""
    related = sentences.filter(pl.col("_sentence").str.contains(" of ", literal=True))
    if related.is_empty():
        return _no_finding(sentences)
    return pl.concat(
        [
            related.with_columns(pl.col("_sentence").str.extract_all(pattern).alias("_m"))
            .explode("_m")
            .drop_nulls("_m")
            .with_columns(pl.col("_m").str.extract_groups(pattern).alias("_g"))
            .unnest("_g")
            .filter(pl.col("x").str.to_lowercase() == pl.col("y").str.to_lowercase())
            .select(
                "_uid",
                pl.col("_m").str.strip_chars().alias("_span"),
                pl.lit("defined by itself").alias("form"),
            )
            for pattern in (_SELF_DEFINED, _SELF_NAMED)
        ]
    )


# A clause with a figure, for the restated form: decimals ("29.5 days") stay whole.
_FIGURED_CLAUSE = r"(?:[^.!?;\n—\d]|\.\d)*\d(?:[^.!?;\n—]|\.\d)*"
# Words that tell two figures apart by time, order or condition ("Bake for 20 minutes ...
# bake for another 10 minutes"; "in 2010 ... in 2020" keeps its years as words).
# A line that opens with a label and its own number: "Segment 3:", "Step 2 -", "Day 4)".
_NUMBERED_ENTRY = r"^\s*(?:[-*•]\s*)?\p{L}+\s+\d{1,3}[a-z]?\s*[:.)–-]"
_SEQUENCE = (
    r"(?i)\b(?:another|more|less|additional|extra|again|then|next|after|before|later|until|"
    r"each|per|every|first|second|third|last|previous|earlier|now|today|currently|once|twice|"
    r"instead|when|whereas|compared|versus|vs|than|between|range|ranges|up to|total|"
    r"average|times|or|"
    # ... or by a measured extreme ("about 384,400 km ... at its closest, about 363,000 km").
    r"closest|nearest|farthest|furthest|minimum|maximum)\b"
)
# Words of no content for the restated form: two clauses that differ only in these and a
# figure say one thing with two figures.
_FILLER = [
    "the",
    "and",
    "but",
    "for",
    "with",
    "from",
    "into",
    "onto",
    "that",
    "this",
    "these",
    "those",
    "its",
    "their",
    "there",
    "here",
    "which",
    "who",
    "whom",
    "whose",
    "what",
    "are",
    "was",
    "were",
    "has",
    "have",
    "had",
    "been",
    "being",
    "will",
    "would",
    "can",
    "could",
    "should",
    "may",
    "might",
    "must",
    "does",
    "did",
    "not",
    "about",
    "around",
    "roughly",
    "approximately",
    "nearly",
    "almost",
    "just",
    "only",
    "though",
    "however",
    "actually",
    "really",
    "also",
    "still",
    "even",
    "exactly",
    "typically",
    "usually",
    "generally",
    "normally",
    "always",
    "some",
    "any",
    "all",
    "both",
    "either",
    "each",
    "very",
    "quite",
    "so",
    "such",
    "at",
    "in",
    "on",
    "of",
    "to",
    "by",
    "as",
    "is",
    "it",
    "an",
    "a",
    "you",
    "your",
    "we",
    "our",
    "they",
    "them",
    "he",
    "she",
    "his",
    "her",
    "one",
    "indeed",
    "well",
]
_YEAR = r"^(?:1[5-9]|20)\d\d$"


def _restated(texts: pl.DataFrame) -> pl.DataFrame:
    """`_uid, _span, form`: a clause whose content words all recur in another clause, each
    with a figure and no figure shared ("At sea level, water boils at 100 °C" / "At sea
    level, though, water boils at around 90 °C")."""
    values = (
        pl.col("_clause").str.extract_all(_VALUE).list.eval(pl.element().str.replace_all(",", ""))
    )
    clauses = (
        texts.select("_uid", pl.col("_text").str.extract_all(_FIGURED_CLAUSE).alias("_clause"))
        # Two clauses with a figure at least, or nothing to compare.
        .filter(pl.col("_clause").list.len() >= 2)
        .explode("_clause")
        # A table's cells give each row its own figures (a plan's weeks): no statement made
        # twice.
        .filter(~pl.col("_clause").str.contains("|", literal=True))
        # ... nor do a template's numbered slots ("- [On-call name 1] – [phone]").
        .filter(~pl.col("_clause").str.contains(r"\[[^\]\n]*[0-9][^\]\n]*\]"))
        # ... nor do a schedule's numbered entries ("Segment 1: ramp 80°C/h to 200°C" /
        # "Segment 3: ramp 60°C/h to 1220°C"): each label names its own step.
        .filter(~pl.col("_clause").str.contains(_NUMBERED_ENTRY))
        .filter(
            ~pl.col("_clause").str.contains(_SEQUENCE)
            & ~pl.col("_clause").str.contains(_NOT_ASSERTED)
        )
        .with_columns(
            pl.int_range(pl.len()).over("_uid").alias("_at"),
            values.list.eval(pl.element().filter(~pl.element().str.contains(_YEAR))).alias("_v"),
            pl.concat_list(
                pl.col("_clause")
                .str.to_lowercase()
                .str.extract_all(r"\p{L}[\p{L}'-]+")
                .list.eval(pl.element().filter(~pl.element().is_in(_FILLER))),
                values.list.eval(pl.element().filter(pl.element().str.contains(_YEAR))),
            )
            .list.unique()
            .alias("_w"),
        )
        .filter((pl.col("_v").list.len() > 0) & (pl.col("_w").list.len() >= 3))
        .select("_uid", "_at", "_clause", "_v", "_w")
    )
    pairs = clauses.join(clauses, on="_uid", suffix="_b").filter(pl.col("_at") < pl.col("_at_b"))
    within = (pl.col("_w").list.set_difference("_w_b").list.len() == 0) | (
        pl.col("_w_b").list.set_difference("_w").list.len() == 0
    )
    return (
        pairs.filter(within & (pl.col("_v").list.set_intersection("_v_b").list.len() == 0))
        .unique("_uid", keep="first", maintain_order=True)
        .select(
            "_uid",
            pl.format(
                "{} / {}",
                pl.col("_clause").str.strip_chars(),
                pl.col("_clause_b").str.strip_chars(),
            ).alias("_span"),
            pl.lit("one statement, two figures").alias("form"),
        )
    )


# "Mercury is the hottest planet": the holder, the superlative and what it is the most of.
_SUPERLATIVE = (
    r"(?i)(?:^|[^\p{L}])(?<holder>\p{L}[\p{L}\p{N}'-]+)\s+(?:is|are|was|were)\s+(?:by far\s+|easily\s+|"
    r"also\s+|actually\s+|still\s+|now\s+)?the\s+(?<sup>\p{L}{2,}est|most\s+\p{L}+)"
    r"(?:\s+(?<noun>\p{L}+))?(?<after>(?:\s+\p{L}+){0,3})"
)
_TOP = r"(?i)\bthe (?:\p{L}+est|most)\b"
# The same top said of a count or by "than any other": "Saturn has the most known moons",
# "Jupiter, with 95 moons, has more moons than any other planet", "Nile is longer than any
# other river". (An appositive may stand between the holder and its verb.)
_HOLDER = r"(?i)(?:^|[^\p{L}])(?<holder>\p{L}[\p{L}\p{N}'-]+)(?:,[^,.;]{1,60},)?\s+"
_HAS_TOP = (
    _HOLDER + r"(?:has|have|had|holds?)\s+the\s+(?<sup>most|fewest|least)\s+(?:\p{L}+\s+)?"
    r"(?<noun>\p{L}+)"
)
_ANY_OTHER = (
    _HOLDER + r"(?:(?<has>has|have|had)\s+(?<many>more|fewer|less)\s+(?:\p{L}+\s+)?(?<counted>"
    r"\p{L}+)|(?:is|are|was|were)\s+(?<comp>\p{L}{2,}er|more\s+\p{L}+))\s+than\s+any\s+other\s+"
    r"(?<noun>\p{L}+)"
)
# "Venus is even hotter than Mercury": a rival over the holder.
_RIVAL = r"(?i)\b(?<comp>\p{L}{2,}er|more\s+\p{L}+)\s+than\s+(?:the\s+)?(?<rival>\p{L}[\p{L}'-]+)"
# Words in -est that are no superlative ("the test case", "the forest floor").
_NOT_SUPERLATIVE = [
    "interest",
    "forest",
    "honest",
    "west",
    "guest",
    "rest",
    "test",
    "chest",
    "request",
    "harvest",
    "protest",
    "modest",
    "contest",
    "earnest",
    "pest",
    "nest",
    "vest",
    "quest",
    "suggest",
    "digest",
    "invest",
    "arrest",
    "manifest",
    "conquest",
    "tempest",
    "priest",
    "midwest",
    "southwest",
    "northwest",
    "inquest",
    "bequest",
    "crest",
    "zest",
    "unrest",
]
# A measure that makes a superlative and a rival both true ("tallest above sea level ...
# taller measured from its base").
_MEASURED = (
    r"(?i)\b(?:when|if|measured|in terms of|by (?:area|volume|mass|weight|population|height|"
    r"some measures|one measure)|from (?:its|the) base|above sea level|per capita|on average)\b"
)
_PREPOSITION = r"(?i)^\s*(?:in|of|by|on|among|for|at|within|outside|above|below|after|since)\b"
_HOLDERS_NOT = ["it", "this", "that", "which", "what", "who", "there", "here", "and", "one", "they"]


def _degree(word: pl.Expr) -> pl.Expr:
    """The adjective a superlative or comparative grades: "hottest", "hotter" -> "hott";
    "most important" -> "important"; "biggest" is "largest"; "best" and "better" -> "good"."""
    word = word.str.to_lowercase()
    stem = (
        pl.when(word.str.contains(r"^(?:most|more)\s"))
        .then(word.str.extract(r"\s(\p{L}+)$", 1))
        .otherwise(word.str.replace(r"(?:est|er)$", ""))
    )
    return (
        pl.when(word.is_in(["best", "better"]))
        .then(pl.lit("good"))
        .when(word.is_in(["worst", "worse"]))
        .then(pl.lit("bad"))
        .otherwise(stem.replace({"bigg": "larg", "great": "larg"}))
    )


def _outranked(sentences: pl.DataFrame) -> pl.DataFrame:
    """`_uid, _span, form`: "X is the hottest planet" and "... hotter than X", or two holders
    of one superlative of one thing with the same qualifier ("Asia is the largest continent"
    / "Africa is the largest continent")."""
    # The three shapes of a top, each read only where its words are (most batches hold
    # few or none of "than any other").
    shapes = []
    superlatives = sentences.filter(pl.col("_sentence").str.contains(_TOP))
    if superlatives.height:
        shapes.append(_superlatives(superlatives))
    counts = sentences.filter(
        pl.col("_sentence").str.contains_any(
            ["has the", "have the", "had the", "holds the", "hold the"],
            ascii_case_insensitive=True,
        )
    )
    if counts.height:
        shapes.append(_counted_tops(counts))
    others = sentences.filter(pl.col("_sentence").str.contains("than any other", literal=True))
    if others.height:
        shapes.append(_any_other(others))
    if not shapes:
        return _no_finding(sentences)
    tops = pl.concat(shapes).filter(~pl.col("holder").is_in(_HOLDERS_NOT))
    if tops.is_empty():
        return _no_finding(sentences)
    # Only answers with a superlative have a rival to read.
    compared = (
        sentences.filter(pl.col("_uid").is_in(tops["_uid"].implode()))
        .filter(pl.col("_sentence").str.contains(r"\bthan\b"))
        .filter(
            ~pl.col("_sentence").str.contains(r"(?i)\b(?:no|nothing|none|not|never|nobody)\b|n't\b")
        )
    )
    found = [] if compared.is_empty() else [_outdone(tops, compared)]
    rival_tops = (
        tops.drop_nulls("noun")
        .join(tops.drop_nulls("noun"), on=["_uid", "degree", "noun", "qualifier"], suffix="_b")
        .filter((pl.col("_at") < pl.col("_at_b")) & (pl.col("holder") != pl.col("holder_b")))
        .filter(~pl.col("_sentence").str.contains(_MEASURED))
        .select(
            "_uid",
            pl.format("{} / {}", "_span", "_span_b").alias("_span"),
            pl.lit("two holders of a superlative").alias("form"),
        )
    )
    return pl.concat([*found, rival_tops]).unique("_uid", keep="first", maintain_order=True)


def _superlatives(sentences: pl.DataFrame) -> pl.DataFrame:
    """The tops of `_outranked` said by a superlative: "Mercury is the hottest planet"."""
    return (
        sentences.pipe(_asserted_matches, _SUPERLATIVE)
        .filter(
            ~pl.col("sup").str.to_lowercase().is_in(_NOT_SUPERLATIVE)
            & ~pl.col("holder").str.to_lowercase().is_in(_HOLDERS_NOT)
        )
        .select(
            "_uid",
            "_at",
            "_sentence",
            pl.col("holder").str.to_lowercase().alias("holder"),
            _degree(pl.col("sup")).alias("degree"),
            pl.col("noun").str.to_lowercase().alias("noun"),
            pl.when(pl.col("after").str.contains(_PREPOSITION))
            .then(pl.col("after").str.strip_chars().str.to_lowercase())
            .otherwise(pl.lit(""))
            .alias("qualifier"),
            pl.col("_m").str.strip_chars().alias("_span"),
        )
        .with_columns(pl.col("noun").str.strip_suffix("s"))
    )


def _counted_tops(sentences: pl.DataFrame) -> pl.DataFrame:
    """The tops of `_outranked` said of a count: "Saturn has the most known moons"."""
    # A count's top ("has the most moons", "has more moons than any other planet") is keyed
    # by what it counts; "larger than any other planet" by its degree and the planet.
    count = (
        pl.col("sup")
        .str.to_lowercase()
        .is_in(["most"])
        .replace_strict({True: "many", False: "few"})
    )
    return sentences.pipe(_asserted_matches, _HAS_TOP).select(
        "_uid",
        "_at",
        "_sentence",
        pl.col("holder").str.to_lowercase().alias("holder"),
        count.alias("degree"),
        pl.col("noun").str.to_lowercase().str.strip_suffix("s").alias("noun"),
        pl.lit("").alias("qualifier"),
        pl.col("_m").str.strip_chars().alias("_span"),
    )


def _any_other(sentences: pl.DataFrame) -> pl.DataFrame:
    """The tops of `_outranked` said "than any other": "Jupiter, with 95 moons, has more
    moons than any other planet", "Nile is longer than any other river"."""
    return sentences.pipe(_asserted_matches, _ANY_OTHER).select(
        "_uid",
        "_at",
        "_sentence",
        pl.col("holder").str.to_lowercase().alias("holder"),
        pl.when(pl.col("has").is_not_null())
        .then(
            pl.col("many")
            .str.to_lowercase()
            .eq("more")
            .replace_strict({True: "many", False: "few"})
        )
        .otherwise(_degree(pl.col("comp")))
        .alias("degree"),
        pl.when(pl.col("has").is_not_null())
        .then(pl.col("counted"))
        .otherwise(pl.col("noun"))
        .str.to_lowercase()
        .str.strip_suffix("s")
        .alias("noun"),
        pl.lit("").alias("qualifier"),
        pl.col("_m").str.strip_chars().alias("_span"),
    )


def _outdone(tops: pl.DataFrame, compared: pl.DataFrame) -> pl.DataFrame:
    """`_uid, _span, form`: a top of `_outranked` and a rival over its holder in a sentence
    of `compared` ("Venus is even hotter than Mercury")."""
    rivals = compared.pipe(_asserted_matches, _RIVAL).select(
        "_uid",
        pl.col("_sentence").alias("_rival_sentence"),
        pl.col("rival").str.to_lowercase().alias("holder"),
        _degree(pl.col("comp")).alias("degree"),
        pl.col("_m").str.strip_chars().alias("_rival_span"),
    )
    return (
        tops.join(rivals, on=["_uid", "holder", "degree"])
        .filter(
            ~pl.col("_sentence").str.contains(_MEASURED)
            & ~pl.col("_rival_sentence").str.contains(_MEASURED)
        )
        .select(
            "_uid",
            pl.format("{} / {}", "_span", "_rival_span").alias("_span"),
            pl.lit("superlative outranked").alias("form"),
        )
    )


# A yes/no question (the request's last sentence) and the word it asks about, its last ("I'm
# going to Japan. Do I need a visa?", "Are spiders insects?").
_YES_NO = (
    r"(?i)(?:^|[.!?]\s+)(?:is|are|was|were|do|does|did|can|could|should|will|would|has|have|am)"
    r"\b[^?.!]*?"
    r"\b(?<qword>\p{L}{3,})\s*\?\s*$"
)
# What a "do I need" question asks about: "Do I need a visa for Japan?" asks about a visa.
_NEEDED = r"(?i)\bneed (?:a |an |any |to (?:get|have|bring|buy|apply for) (?:a |an )?)?(\p{L}{3,})"
# What a "Can I ...?" question asks leave to do: "Can I mix them in one file?" -> "mix".
_PERMISSION = (
    r"(?i)(?:^|[.!?]\s+)(?:can|could|should|may) (?:i|we|you)\s+(\p{L}{3,})\b[^?.!]*\?\s*$"
)
# Denials of a requirement or a category, each capturing the word it denies.
_DENIALS = (
    r"(?i)\bno (\p{L}+) (?:is|are) (?:required|needed|necessary)\b",
    r"(?i)\b(?:don't|do not|doesn't|does not|won't|will not) need (?:a |an |any )?(\p{L}+)",
    r"(?i)\b(\p{L}+) (?:is|are)(?: not|n't) (?:required|needed|necessary)\b",
    r"(?i)(?:\bnot|n't) (?:\p{L}+ ){0,2}(?:as|considered|classed as|classified as|counted as|"
    r"regarded as) (?:a |an )?(\p{L}+)",
)
_DENIALS = tuple(_unfolded(p) for p in _DENIALS)
_DENIAL = "|".join(f"(?:{p.removeprefix('(?i)')})" for p in _DENIALS).join(("(?i)(?:", ")"))
# A ban on an act: the one or two words after the negation, one of them the act.
_FORBIDDING = r"(?i)(?:\bnever|\bnot|n't|\bcannot)\s+(?<first>\p{L}+)(?:\s+(?<second>\p{L}+))?"
_UNRESERVED = (
    r"(?i)\b(?:perfectly|completely|totally|always|absolutely|any|anything|fine|no problem|"
    r"definitely|certainly|easily|all)\b"
)
# A later sentence that limits what it forbids ("never refreeze it more than once", "don't
# use data without a plan") forbids only a case.
_LIMITED = (
    r"(?i)\b(?:without|too|more than|only|again|once|twice|after|before|until|while|during)\b"
)
# A yes that the first sentence hedges ("Yes, but ...") is no plain yes.
_HEDGED = (
    r"(?i)\b(?:but|however|although|though|except|only if|as long as|provided|depends|unless|if)\b"
)

# The case-insensitive patterns with letter classes, those written folded (`_unfolded`).
_CLAIM = _unfolded(_CLAIM)
_YES_NO_NOMINAL = _unfolded(_YES_NO_NOMINAL)
_YES_NO_ADJECTIVE = _unfolded(_YES_NO_ADJECTIVE)
_COMPARISON = _unfolded(_COMPARISON)
_COUNT = _unfolded(_COUNT)
_SELF_DEFINED = _unfolded(_SELF_DEFINED)
_SELF_NAMED = _unfolded(_SELF_NAMED)
_PICK_START = _unfolded(_PICK_START)
_PICK_TURN = _unfolded(_PICK_TURN)
_SUPERLATIVE = _unfolded(_SUPERLATIVE)
_TOP = _unfolded(_TOP)
_HAS_TOP = _unfolded(_HAS_TOP)
_ANY_OTHER = _unfolded(_ANY_OTHER)
_RIVAL = _unfolded(_RIVAL)
_YES_NO = _unfolded(_YES_NO)
_NEEDED = _unfolded(_NEEDED)
_PERMISSION = _unfolded(_PERMISSION)
_FORBIDDING = _unfolded(_FORBIDDING)


def _denied(frame: pl.DataFrame) -> pl.DataFrame:
    """`_uid, _span, form`: an answer that opens with "Yes" to a yes/no question and later
    denies the asked word as a requirement ("no visa is required", "you don't need a visa"),
    a category ("do not count them as insects", "is not considered an insect") or an act
    ("you should never mix them")."""
    yes = frame.filter(pl.col("text").str.contains(r"(?i)^\W*yes\b"))
    if yes.is_empty():
        return _no_finding(frame)
    asked = yes.select(
        "_uid",
        "text",
        "prompt",
        pl.when(pl.col("prompt").str.contains(_YES_NO))
        .then(
            pl.coalesce(
                pl.col("prompt").str.extract(_NEEDED, 1),
                pl.col("prompt").str.extract(_YES_NO, 1),
            )
        )
        .str.to_lowercase()
        .alias("_q"),
    ).filter(
        pl.col("_q").is_not_null()
        & ~pl.col("text").str.extract(r"^([^.!?\n]*)", 1).str.contains(_HEDGED)
    )
    if asked.is_empty():
        return _no_finding(frame)
    # The denials as fixed patterns, each capturing the word it denies, compared with the
    # asked word after (no pattern built per row).
    rest = pl.col("text").str.replace(r"^[^.!?\n]*[.!?\n]", "")
    singular = pl.col("_q").str.strip_suffix("s")
    denied = (
        asked.with_columns(rest.str.extract_all(_DENIAL).alias("_m"))
        .explode("_m")
        .drop_nulls("_m")
        .with_columns(
            pl.coalesce([pl.col("_m").str.extract(p, 1) for p in _DENIALS])
            .str.to_lowercase()
            .str.strip_suffix("s")
            .alias("_denied")
        )
        .filter(pl.col("_denied") == singular)
        .unique("_uid", keep="first", maintain_order=True)
        .select(
            "_uid",
            pl.format("Yes / {}", pl.col("_m")).alias("_span"),
            pl.lit("yes denied").alias("form"),
        )
    )
    # "Can I mix them?" "Yes, that's perfectly fine ... you should never mix them.": an
    # unreserved yes, then the asked act forbidden in a sentence that sets no condition or
    # limit ("Yes, on the wool cycle. Never wash it hot" reserves its yes).
    forbids = pl.col("_sentence").str.extract_groups(_FORBIDDING)
    forbidden = (
        asked.with_columns(
            pl.col("prompt").str.extract(_PERMISSION, 1).str.to_lowercase().alias("_verb"),
            rest.str.extract_all(r"[^.!?\n]+").alias("_sentence"),
        )
        .drop_nulls("_verb")
        .filter(pl.col("text").str.extract(r"^([^.!?\n]*)", 1).str.contains(_UNRESERVED))
        .explode("_sentence")
        .with_columns(
            forbids.struct.field("first").str.to_lowercase().alias("_first"),
            forbids.struct.field("second").str.to_lowercase().alias("_second"),
        )
        .filter(
            (
                pl.col("_first").str.starts_with(pl.col("_verb")).fill_null(False)
                | pl.col("_second").str.starts_with(pl.col("_verb")).fill_null(False)
            )
            & ~pl.col("_sentence").str.contains(_HEDGED)
            & ~pl.col("_sentence").str.contains(_LIMITED)
        )
        .unique("_uid", keep="first", maintain_order=True)
        .select(
            "_uid",
            pl.format("Yes / {}", pl.col("_sentence").str.strip_chars()).alias("_span"),
            pl.lit("yes denied").alias("form"),
        )
    )
    return pl.concat([denied, forbidden])


# An opening verdict and a later one that reverses it: "Yes, ... so the answer is no."
_VERDICT = (
    r"(?i)\bthe (?:real |short |honest |correct |true |simple )?answer is (?:actually |really |"
    r"still )?(?<verdict>yes|no)\b"
)


def _reversed_verdict(frame: pl.DataFrame) -> pl.DataFrame:
    """`_uid, _span, form`: an answer that opens with yes (no) and later says the answer is
    no (yes)."""
    opening = pl.col("text").str.extract(r"(?i)^\W*(yes|no)\b", 1).str.to_lowercase()
    later = pl.col("text").str.replace(r"^[^.!?\n]*[.!?\n]", "").str.extract(_VERDICT, 0)
    # One lazy query: on a batch's few candidates a query's fixed cost is most of its cost.
    return (
        frame.lazy()
        .filter(pl.col("text").str.contains(r"(?i)^\W*(?:yes|no)\b"))
        .select("_uid", opening.alias("_open"), later.alias("_later"))
        .filter(
            pl.col("_later").is_not_null()
            & (pl.col("_later").str.to_lowercase().str.extract(r"(yes|no)$", 1) != pl.col("_open"))
        )
        .select(
            "_uid",
            pl.format("{} / {}", "_open", "_later").alias("_span"),
            pl.lit("verdict reversed").alias("form"),
        )
        .collect()
    )


def _ascii(pattern: str) -> str:
    """`pattern` with ASCII letters and word boundaries: a Unicode letter class is compiled
    on every call (about 1 ms each), and the words compared here are English."""
    return (
        pattern.replace(r"\p{L}", "[A-Za-z]")
        .replace(r"\b", r"(?-u:\b)")
        .replace(r"\W", "[^A-Za-z0-9_]")
    )


# "Which is heavier, a kilogram of feathers or a kilogram of iron?": the grade asked and the
# two things compared (the last word of each side).
_WHICH = (
    r"(?i)\bwhich\b[^?]*?\b(?<qcomp>\p{L}{2,}er|more|less)\b[^?]*?,?\s+(?<left>[^,?]+?)\s+or\s+"
    r"(?<right>[^,?]+?)\s*\?"
)
_WHICH = _ascii(_WHICH)
# The first sentence's pick: "The iron is heavier", "Oil weighs more".
_PICK = (
    r"(?i)^\W*(?:the\s+)?(?<pick>\p{L}+)\s+(?<verb>is|are|was|were|weighs?|has|have)\s+"
    r"(?:much\s+|far\s+|slightly\s+|a (?:bit|little)\s+)?(?<comp>\p{L}{2,}er|more|less)\b"
)
_PICK = _ascii(_PICK)
# A later sentence naming the other side the winner, or the two a tie.
_WINNER = (
    r"(?i)(?:^|[^\p{L}])(?:the\s+)?(?<who>\p{L}+)\s+(?:is|are|was|were)\s+(?:by far\s+|much\s+|"
    r"far\s+|clearly\s+)?(?:the\s+)?(?<comp2>\p{L}{2,}er|more)\b"
)
_WINNER = _ascii(_WINNER)
_TIE = (
    r"(?i)\b(?:both|they|the two)\s+(?:weigh|are|have|cost|measure)\s+(?:exactly\s+|roughly\s+|"
    r"about\s+|just\s+|precisely\s+)?(?:the same|equal)\b"
)
_TIE = _ascii(_TIE)


# A later sentence that hedges, measures or negates names no winner ("... though a horse is
# faster over long distances"): one pattern, one compile.
_NOT_A_WIN = (
    _HEDGED
    + "|"
    + _MEASURED.removeprefix("(?i)")
    + r"|\b(?:not|never|look|looks|seem|seems)\b|n't\b"
)


def _grade(word: pl.Expr) -> pl.Expr:
    """`_degree` of a one-word comparative ("bigger", "larger" -> "larg"), in one ASCII
    pattern."""
    return (
        word.str.to_lowercase()
        .str.replace(r"(?:est|er)$", "")
        .replace({"bigg": "larg", "great": "larg", "bett": "good", "wors": "bad"})
    )


def _last_word(text: pl.Expr) -> pl.Expr:
    return text.str.extract(r"([A-Za-z]+)[^A-Za-z]*$", 1).str.to_lowercase()


def _choice_reversed(frame: pl.DataFrame, sentences: pl.DataFrame) -> pl.DataFrame:
    """`_uid, _span, form`: a "which is heavier, A or B?" answered "A is heavier" and later
    "B is heavier" or "they weigh the same"."""
    if not frame["prompt"].str.contains("hich", literal=True).any():
        return _no_finding(frame)
    # Lazy queries: on a batch's few candidates a query's fixed cost is most of its cost.
    asked = (
        # Matched before the groups are read: reading them costs a slower regex engine.
        frame.lazy()
        .filter(pl.col("prompt").str.contains("hich", literal=True))
        .filter(pl.col("prompt").str.contains(_ASKS_WHICH) & pl.col("text").str.contains(_PICK))
        .select(
            "_uid",
            pl.col("prompt").str.extract_groups(_WHICH).alias("_q"),
            pl.col("text").str.extract_groups(_PICK).alias("_p"),
        )
        .unnest("_q", "_p")
        .drop_nulls(["left", "pick"])
        .with_columns(
            _last_word(pl.col("left")).alias("left"),
            _last_word(pl.col("right")).alias("right"),
            pl.col("pick").str.to_lowercase(),
            # "weighs more" grades as "heavier".
            pl.when(pl.col("verb").str.to_lowercase().str.starts_with("weigh"))
            .then(pl.lit("heavier"))
            .otherwise(pl.col("comp"))
            .alias("comp"),
        )
        .filter((pl.col("pick") == pl.col("left")) | (pl.col("pick") == pl.col("right")))
        .with_columns(
            pl.when(pl.col("pick") == pl.col("left"))
            .then(pl.col("right"))
            .otherwise(pl.col("left"))
            .alias("_other"),
            _grade(pl.col("comp")).alias("_grade"),
        )
        .collect()
    )
    if asked.is_empty():
        return _no_finding(frame)
    later = (
        sentences.lazy()
        .filter(pl.col("_uid").is_in(asked["_uid"].implode()) & (pl.col("_at") > 0))
        .filter(~pl.col("_sentence").str.contains(_NOT_A_WIN))
        .join(asked.lazy().select("_uid", "_other", "_grade", "pick", "comp"), on="_uid")
        .with_columns(
            pl.col("_sentence").str.extract_groups(_WINNER).alias("_w"),
            pl.col("_sentence").str.extract(_TIE, 0).alias("_tie"),
        )
        .unnest("_w")
        .filter(
            pl.col("_tie").is_not_null()
            | (
                (pl.col("who").str.to_lowercase() == pl.col("_other"))
                & (_grade(pl.col("comp2")) == pl.col("_grade"))
            )
        )
        .unique("_uid", keep="first", maintain_order=True)
        .collect()
    )
    return later.select(
        "_uid",
        pl.format(
            "{} {} / {}", "pick", "comp", pl.coalesce("_tie", pl.format("{} {}", "who", "comp2"))
        ).alias("_span"),
        pl.lit("choice reversed").alias("form"),
    )


# An either-or question ("Should I buy or lease a car?", "Arborio or basmati rice?"): the word
# each side of "or" (a preposition or article after it skipped). ASCII classes throughout.
_EITHER_OR = (
    r"(?i)(?-u:\b)(?<x>[A-Za-z][A-Za-z0-9-]+),? or (?:(?:in|on|at|to|the|a|an|with|by) )*"
    r"(?<y>[A-Za-z][A-Za-z0-9-]+)[^?\n]{0,80}\?"
)
# A wrap-up sentence: it sums the answer up ("In short, ...", "The bottom line: ...", "My
# recommendation, then, ...").
_WRAP_UP = (
    r"(?i)(?:^|\n|[.!?:]\s+)(?:so|thus|therefore|overall|in short|in summary|in sum|"
    r"in conclusion|to sum up|to sum it up|to summari[sz]e|to wrap up|the bottom line|"
    r"bottom line|all in all|in the end|ultimately|my (?:recommendation|advice|pick|verdict), "
    r"then|in your (?:situation|case), then)(?-u:\b)"
)
# Words every wrap-up holds ("So" after a sentence's end).
_WRAP_UP_WORDS = [
    *(". so", "\nso", ": so", "? so", "! so", "thus", "therefore", "overall", "in short"),
    *("in sum", "in conclusion", "to sum", "to summar", "to wrap up", "bottom line", "all in all"),
    *("in the end", "ultimately", "recommendation, then", "advice, then", "pick, then"),
    *("verdict, then", "situation, then", "case, then"),
]
# What makes a wrap-up a pick, and what makes it no pick (a condition, a reservation).
_PICK_CUE = (
    r"(?i)(?-u:\b)(?:better|best|stronger|preferable|prefer|winner|wins|way to go|go with|"
    r"choose|choice|option|pick|recommend|start with|you want|considered|classed|classified|"
    r"counts as)(?-u:\b)"
)
_RESERVED = (
    r"(?i)(?-u:\b)(?:if|unless|when|whenever|only|except|otherwise|but|though|although|"
    r"however|depends|both|either|neither|too)(?-u:\b)"
)
# An option named after these is the one not picked ("before you run, never after"): one of
# them, then at most two words, right before the option. Read backwards: matched at the start
# of the text before the option, reversed, a search costs the few words it spans, not the
# whole text before it (an answer that names an option thousands of times, each passed over,
# took seconds, quadratic in its length). test_defect_cost_forms checks it against the
# forward pattern at every position.
PASSED_OVER_BEFORE = re.compile(
    r"(?:\W+\w+){0,2}\W+(?:ton|reven|naht rehtar|fo daetsni|revo|naht|diova|piks)\b"
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


def _python(pattern: str) -> re.Pattern[str]:
    """A Polars pattern of these forms for Python's `re` (read on a batch's few candidates)."""
    return re.compile(
        re.sub(r"\(\?<(?=[a-z])", "(?P<", pattern.replace("(?-u:\\b)", "\\b")), re.ASCII
    )


def _stem(word: str) -> str:
    """An option's stem: "lease" is named by "leasing", "evening" not by "even"."""
    word = word.lower()
    return word if len(word) <= 4 else word[: max(4, len(word) - 2)]


def _named_at(stem: str, sentence: str) -> int | None:
    """Where `sentence` first names the option `stem`, not passed over; None if it never
    does."""
    backwards = sentence[::-1]
    for found in re.finditer(r"(?<![a-z])" + re.escape(stem), sentence):
        if not PASSED_OVER_BEFORE.match(backwards, len(sentence) - found.start()):
            return found.start()
    return None


def _answer_after(text: str, at: int, conversation: bool) -> str:
    """The answer to a question that ends at `at`: an instruction's response, or a
    transcript's assistant turns after it."""
    if not conversation:
        return text
    turns = re.split(r"\n\n(?=(?:user|assistant|system|tool): )", text[at:])
    return "\n\n".join(t.removeprefix("assistant: ") for t in turns if t.startswith("assistant: "))


# The forms read in Python (`_pick_reversed`, `_need_reversed`) take a row's request and
# answer: a transcript is both (the question's turn is found in it); an instruction's request
# is its instruction, its answer its response.
_CHAT = pl.col("kind") == "conversation"
_REQUEST = pl.when(_CHAT).then(pl.col("text")).otherwise(pl.col("instruction")).fill_null("")
_ANSWER = pl.when(_CHAT).then(pl.col("text")).otherwise(pl.col("response")).fill_null("")
_ASKED_AND_ANSWERED = (
    pl.col("row_id").alias("_uid"),
    _CHAT.alias("_chat"),
    _REQUEST.alias("_request"),
    _ANSWER.alias("_answer"),
)


def _findings(found: list[dict[str, str]], rows: pl.DataFrame) -> pl.DataFrame:
    """A form read in Python's findings as `_uid, _span, form`."""
    if not found:
        return _no_finding(rows.select(pl.col("row_id").alias("_uid")))
    return pl.DataFrame(found, schema={"_uid": pl.String, "_span": pl.String, "form": pl.String})


def _pick_reversed(rows: pl.DataFrame) -> pl.DataFrame:
    """`_uid, _span, form`: an either-or question answered with one side up front and the
    other picked in a wrap-up sentence."""
    # Literal first passes (few requests ask "or", few answers wrap up), then the question's
    # shape and the wrap-up's.
    candidates = (
        rows.filter(
            pl.col("instruction").str.contains(" or ", literal=True)
            | pl.col("text").str.contains(" or ", literal=True)
        )
        .filter(_ANSWER.str.contains_any(_WRAP_UP_WORDS, ascii_case_insensitive=True))
        .filter(_REQUEST.str.contains(_EITHER_OR))
        .filter(_ANSWER.str.contains(_WRAP_UP))
        .select(_ASKED_AND_ANSWERED)
    )
    found: list[dict[str, str]] = []
    either_or, wrap_up, cue, reserved = (
        _python(p) for p in (_EITHER_OR, _WRAP_UP, _PICK_CUE, _RESERVED)
    )
    for uid, is_chat, asked, said in candidates.iter_rows():
        question = either_or.search(asked)
        if question is None or (is_chat and not _in_user_turn(asked, question.start())):
            continue
        stems = [_stem(question["x"]), _stem(question["y"])]
        if stems[0] == stems[1]:
            continue
        sentences = [
            s.strip()
            for s in _SENTENCE_END.split(_answer_after(said, question.end(), is_chat))
            if s.strip()
        ]
        if len(sentences) < 2:
            continue
        # The opening's pick is its first clause ("Arborio.", "Roth is better: ...").
        opening = re.split(r"[:;]", sentences[0], maxsplit=1)[0].lower()
        named = [_named_at(stem, opening) is not None for stem in stems]
        if named[0] == named[1]:
            continue
        pick, other = (stems[0], stems[1]) if named[0] else (stems[1], stems[0])
        for sentence in sentences[1:]:
            if not wrap_up.match(sentence) and not wrap_up.search("\n" + sentence):
                continue
            if reserved.search(sentence) or not cue.search(sentence):
                continue
            lower = sentence.lower()
            at_other, at_pick = _named_at(other, lower), _named_at(pick, lower)
            if at_other is not None and (at_pick is None or at_pick > at_other):
                found.append(
                    {"_uid": uid, "_span": f"{sentence} / {sentences[0]}", "form": "pick reversed"}
                )
                break
    return _findings(found, rows)


# A closing "Answer:" line and the working before it: the line's figure against the last result
# of its kind the working reached ("... so the total is 4 × $2 = $8.\n\nAnswer: $6").
_ANSWER_LINE = re.compile(r"(?im)^[^A-Za-z0-9\n]*(?:final )?answer\s*:[ \t]*(\S[^\n]*)$")
_FIGURE = r"([$€£]?)(\d[\d,]*(?:\.\d+)?)(?:[ \t]*(%|[A-Za-z]{2,}))?"
_LINE_FIGURE = re.compile(_FIGURE)
_RESULT_FIGURE = re.compile(
    r"(?i)(?:=|\bis|\bthat's|\bso|\bequals|\bcomes to|\bgives|\bmakes|\btotal of)[ \t]+"
    r"(?:about |around |roughly |exactly )?" + _FIGURE
)


def _kind(sym: str, unit: str | None) -> str:
    """A figure's kind: its currency sign, else its unit word without a plural s."""
    return sym or (unit or "").lower().removesuffix("s")


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def _answer_restated(rows: pl.DataFrame) -> pl.DataFrame:
    """`_uid, _span, form`: an answer whose closing "Answer:" line gives another figure than
    the last result of its kind its working reached."""
    candidates = rows.filter(pl.col("response").str.contains("nswer:", literal=True)).select(
        pl.col("row_id").alias("_uid"), pl.col("response").alias("_answer")
    )
    found: list[dict[str, str]] = []
    for uid, said in candidates.iter_rows():
        lines = _ANSWER_LINE.findall(said)
        # Question/Answer pairs are a quiz or scaffolding, not a working and its answer.
        if len(lines) != 1 or re.search(r"(?im)^\W*question\s*:", said):
            continue
        stated = list(_LINE_FIGURE.finditer(lines[0]))
        if not stated:
            continue
        figure = stated[-1]
        kind = _kind(figure[1], figure[3])
        working = said[: said.rfind(lines[0])]
        results = [
            r for r in _RESULT_FIGURE.finditer(working) if kind and _kind(r[1], r[3]) == kind
        ]
        if results and _number(results[-1][2]) != _number(figure[2]):
            found.append(
                {
                    "_uid": uid,
                    "_span": f"{lines[0].strip()} / {results[-1][0].strip()}",
                    "form": "answer restated",
                }
            )
    return _findings(found, rows)


# "Do I need to peel ginger?" answered "No, ..." and later "ginger always needs to be peeled",
# or "Yes, ..." and later "Resting isn't needed at all": the need reversed, of the question's
# own action (a stem of its words), without a condition.
_NEED_QUESTION = re.compile(
    r"(?i)\b(?:do|does|should|must|will) (?:i|we|you|they|it) (?:really |still |actually )?"
    r"(?:need|have) to ((?:[a-z']+ ){0,3}[a-z']+)[^?\n]*\?"
)
_NEED_WORDS = ["need to", "have to"]
_NOT_NEEDED = re.compile(
    r"(?i)\b(?:isn't|is not|aren't|are not|not) (?:really |at all )?(?:needed|necessary|required|"
    r"essential)|\bno need\b|\b(?:don't|doesn't|do not|does not|needn't) (?:really )?need\b|"
    r"\bunnecessary\b"
)
_ALWAYS_NEEDED = re.compile(
    r"(?i)\b(?:always|must|has to|have to|needs? to be|needs to|is required|are required|"
    r"is necessary|is essential)\b"
)
_NEGATED = re.compile(r"(?i)\b(?:not|never|no)\b|n't\b")
_CONDITIONED = re.compile(r"(?i)\b(?:if|unless|when|whenever|only|except|some|old|older|thick)\b")
_NOT_ACTIONS = {"let", "get", "make", "the", "and", "your", "my", "them", "this", "that", "its"}


def _need_reversed(rows: pl.DataFrame) -> pl.DataFrame:
    """`_uid, _span, form`: "Do I need to X?" answered yes (no) up front and later told X is
    not needed (always needed)."""
    candidates = (
        rows.filter(
            pl.col("instruction").str.contains_any(_NEED_WORDS, ascii_case_insensitive=True)
            | pl.col("text").str.contains_any(_NEED_WORDS, ascii_case_insensitive=True)
        )
        .filter(_ANSWER.str.contains(r"(?i)(?:^|assistant: )[^A-Za-z0-9]*(?:yes|no)(?-u:\b)"))
        .select(_ASKED_AND_ANSWERED)
    )
    found: list[dict[str, str]] = []
    for uid, is_chat, asked, said in candidates.iter_rows():
        question = _NEED_QUESTION.search(asked)
        if question is None or (is_chat and not _in_user_turn(asked, question.start())):
            continue
        stems = [
            w[: max(4, len(w) - 2)]
            for w in re.findall(r"[a-z]{3,}", question[1].lower())
            if w not in _NOT_ACTIONS
        ]
        sentences = [
            x.strip()
            for x in _SENTENCE_END.split(_answer_after(said, question.end(), is_chat))
            if x.strip()
        ]
        opening = re.match(r"[^A-Za-z0-9]*(yes|no)\b", sentences[0], re.I) if sentences else None
        if not stems or opening is None:
            continue
        yes = opening[1].lower() == "yes"
        for sentence in sentences[1:]:
            lower = sentence.lower()
            if _CONDITIONED.search(sentence) or not any(
                re.search(r"(?<![a-z])" + re.escape(stem), lower) for stem in stems
            ):
                continue
            if (yes and _NOT_NEEDED.search(sentence)) or (
                not yes and _ALWAYS_NEEDED.search(sentence) and not _NEGATED.search(sentence)
            ):
                found.append(
                    {"_uid": uid, "_span": f"{sentence} / {sentences[0]}", "form": "need reversed"}
                )
                break
    return _findings(found, rows)


def _in_user_turn(transcript: str, at: int) -> bool:
    """Whether position `at` of a transcript is in a user turn."""
    before = transcript[:at]
    starts = [before.rfind(f"{role}: ") for role in ("user", "assistant", "system", "tool")]
    return max(starts) == starts[0] and starts[0] >= 0


def _worded() -> pl.Expr:
    """Over `text` and `prompt`: whether an answer holds a candidate's words (or a pick
    between the two things its question names)."""
    picks = pl.col("prompt").str.contains(_ASKS_WHICH) & pl.col("text").str.contains(_PICK_START)
    return pl.any_horizontal(
        [*(pl.col("text").str.contains(c) for c in _CANDIDATE_SEARCHES), picks]
    )


def contradictions(frame: pl.DataFrame, *, prompted_only: bool = False) -> pl.DataFrame:
    """`_uid, _span, form` of each answer in `frame` (`_uid, text, prompt`) that
    contradicts itself (the first form found); with `prompted_only`, only in the forms that
    read the answer against its question (a yes or no that the answer goes back on)."""
    if frame.is_empty():
        # Most batches hold no candidate: their dozen regex passes would find nothing.
        return _no_finding(frame)
    # Only answers with a candidate's words are split into sentences (most are not); the
    # restated form reads the answers with two figures on its own, cheaper path.
    if "_worded" not in frame.columns:
        frame = frame.with_columns(_worded().alias("_worded"))
    worded = frame.filter("_worded")
    if prompted_only:
        if worded.is_empty():
            return _no_finding(frame)
        sentences = _sentences(worded)
        found = pl.concat(
            [
                _negated(_claims(worded, sentences)),
                _denied(worded),
                _reversed_verdict(worded),
                _choice_reversed(worded, sentences),
            ]
        )
        return found.unique("_uid", keep="first", maintain_order=True)
    texts = frame.select("_uid", prose(pl.col("text")).alias("_text")).filter(
        pl.col("_text").str.count_matches(_VALUE) >= 2
    )
    # The forms in order (the first found names a row's finding); those with nothing to read
    # are not run (see `_no_finding`).
    restated = [_restated(texts)] if texts.height else []
    if worded.is_empty():
        found = restated
    else:
        sentences = _sentences(worded)
        found = [
            _negated(_claims(worded, sentences)),
            _reversed(sentences),
            _recounted(worded, sentences),
            _result_restated(worded),
            _self_defined(sentences),
            *restated,
            _outranked(sentences),
            _denied(worded),
            _reversed_verdict(worded),
            _choice_reversed(worded, sentences),
        ]
    if not found:
        return _no_finding(frame)
    return pl.concat(found).unique("_uid", keep="first", maintain_order=True)


@dataclass(frozen=True)
class SelfContradiction(DefectRule):
    """An answer that says a thing and its opposite (see the module's forms). Rows are read
    whole (a conversation's assistant turns together, so a turn that goes back on an earlier
    one counts too); a conversation's finding names the turn that holds its first span."""

    config_key: ClassVar[str] = "self_contradiction"
    name: str = "self_contradiction"

    def flag(self, rows: pl.DataFrame) -> pl.DataFrame:
        worded = pl.any_horizontal(
            [pl.col("response").str.contains(c) for c in _CANDIDATE_SEARCHES]
        )
        rows = rows.with_columns(worded.alias("_worded"))
        # A pick is read only in answers to a question between two things (a word searched
        # first: the pattern costs a pass over every transcript), and marked by position (a
        # join on the row ids costs 2 us a row).
        request = pl.coalesce("instruction", "text")
        picked = (
            rows.with_row_index("_at_row")
            .filter(~pl.col("_worded") & request.str.contains("hich", literal=True))
            .filter(
                request.str.contains(_ASKS_WHICH) & pl.col("response").str.contains(_PICK_START)
            )
        )["_at_row"]
        if picked.len():
            marks = pl.Series("_picked", [False] * rows.height).scatter(picked, True)
            rows = rows.with_columns(pl.col("_worded") | marks)
        answers = rows.filter(
            pl.col("kind").is_in(["instruction", "preference", "conversation"])
            & (pl.col("_worded") | (pl.col("response").str.count_matches(_VALUE) >= 2))
        )
        whole = answers.select(
            pl.col("row_id").alias("_uid"),
            pl.col("response").alias("text"),
            pl.col("instruction").fill_null("").alias("prompt"),
            "_worded",
        )
        # An instruction's or a pair's answer is its one response unit: the whole reading is
        # its reading. A conversation's finding is named by the first assistant turn that
        # holds its (first) span; only turns that answer a question with yes or no are read
        # again one by one, against their own user turn.
        chat = pl.col("kind") == "conversation"
        # A pick answering a question between two things (a word searched first: the
        # pattern costs a pass over every transcript).
        which = (
            answers.filter(chat & pl.col("text").str.contains("hich", literal=True))
            .filter(pl.col("text").str.contains(_PICK_TURN))["row_id"]
            .implode()
        )
        opens = chat & (
            pl.col("text").str.contains(r"(?i)\?\s*\n\nassistant: \W{0,3}(?:yes|no)\b")
            | pl.col("row_id").is_in(which)
        )
        # The turns' candidate words are searched now, while the patterns just searched in
        # the responses are still compiled (Polars keeps 32 a thread; the forms use more).
        turns = units(answers.filter(opens), ("messages",), ("assistant",)).with_row_index("_uid")
        if turns.height:
            turns = turns.with_columns(_worded().alias("_worded"))
        found = contradictions(whole)
        # An either-or pick reversed in a wrap-up reads the request and answer as written.
        # ... and a table that the answer's text then contradicts, in the request's measure.
        tables = _findings(tables_against_text(rows, _REQUEST, _ANSWER), rows)
        # ... and the quantity a question asks for given a second figure.
        figures = _findings(figures_restated(rows), rows)
        # ... and an opening yes or no that the answer's wrap-up takes back.
        verdicts = _findings(verdicts_taken_back(rows), rows)
        picks = pl.concat(
            [
                _pick_reversed(rows),
                _answer_restated(rows),
                _need_reversed(rows),
                tables,
                figures,
                verdicts,
            ]
        )
        if picks.height:
            found = pl.concat([found, picks]).unique("_uid", keep="first", maintain_order=True)
        suspects = pl.col("row_id").is_in(found["_uid"].implode())
        flat = units(rows.filter(~chat & suspects), ("response",), ("assistant",)).join(
            found, left_on="row_id", right_on="_uid"
        )
        located = (
            units(rows.filter(chat & suspects), ("messages",), ("assistant",))
            .join(found, left_on="row_id", right_on="_uid")
            .rechunk()
            .filter(
                pl.col("text").str.contains(
                    pl.col("_span").str.split(" / ").list.first(), literal=True
                )
            )
        )
        hits = (
            pl.concat(
                [
                    flat,
                    located,
                    turns.join(contradictions(turns, prompted_only=True), on="_uid").drop(
                        "_uid", "_worded", strict=False
                    ),
                ],
                how="diagonal",
            )
            .sort("row_id", "turn", nulls_last=False, maintain_order=True)
            .unique("row_id", keep="first", maintain_order=True)
        )
        return decisions(
            hits,
            self.name,
            pl.lit(1.0),
            form=pl.col("form"),
            span=shortened(pl.col("_span"), 240),
        )
