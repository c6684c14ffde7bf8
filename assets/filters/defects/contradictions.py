"""An answer that contradicts itself in a form a rule can see:

- the same claim asserted and negated: "Python lists are immutable ... lists are mutable",
  "Yes, 1 is a prime number ... it is not considered prime" (an opening yes or no answers a
  yes/no question's own claim, and "it" there is the question's subject);
- a comparison and its reverse: "A kilobyte is larger than a megabyte ... a megabyte holds a
  thousand times as much as a kilobyte";
- two different counts of the same thing, the first answer and a conclusion ("An adult has
  206 bones ... So in total, an adult skeleton has 212 bones");
- a thing defined by itself: "The Nile is a tributary of the Nile".

Claims are read sentence by sentence; a claim after words that report what others say or
believe, or that set a condition ("Many people think ...", "If ..."), asserts nothing. A
claim's key is its subject word, its tense and its predicate word, so "Pluto is not a planet"
and "Pluto was a planet until 2006" do not clash, nor do "lists are mutable" and "tuples are
immutable". These read what answers a request: instruction responses, the chosen side of a
preference pair and every assistant turn."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import polars as pl

from assets.filters.defects.spans import DefectRule, prose
from assets.filters.defects.units import decisions, shortened, units

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

_COUNT = r"(?<number>\d[\d,]*(?:\.\d+)?)\s+(?<noun>\p{L}{3,})"
_CONCLUSION = (
    r"(?i)^\s*(?:so|thus|therefore|hence|in total|in all|altogether|overall|in short|"
    r"in summary|to sum up|that makes|this gives|which gives|all in all)\b"
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
    r"(?i)(?:\A|\n)\W{0,3}(?:yes|no)\b",
    r"\b(?:is|are|was|were) (?:\w+ )?(?:im|un|non-?|ir|il|in)\p{L}{4,}",
    r"\bthan\b|\btimes (?:as|more|larger|bigger)\b",
    r"(?i)\b(?:so|thus|therefore|hence|in total|in all|altogether|overall)\b[^.!?\n]{0,80}\d",
    r"\b(?:is|was|are|were) (?:a|an|the|one of the) (?:\w+ )?\w+ of\b",
    r"(?i)\bthe \w+ of (?:the )?\w+(?: \w+)? (?:is|was|are|were)\b",
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
        .with_columns(pl.col("_sentence").str.extract_all(_CLAIM).alias("_m"))
        .explode("_m")
        .drop_nulls("_m")
        .filter(_asserted())
        .with_columns(pl.col("_m").str.extract_groups(_CLAIM).alias("_g"))
        .unnest("_g")
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
    comparisons = (
        sentences.filter(pl.col("_sentence").str.contains(r"\b(?:than|times)\b"))
        .with_columns(pl.col("_sentence").str.extract_all(_COMPARISON).alias("_m"))
        .explode("_m")
        .drop_nulls("_m")
        .filter(_asserted())
        .with_columns(pl.col("_m").str.extract_groups(_COMPARISON).alias("_g"))
        .unnest("_g")
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
    counts = (
        sentences.filter(pl.col("_sentence").str.contains(r"\d"))
        .with_columns(
            pl.col("_sentence").str.extract_all(_COUNT).alias("_m"),
            pl.col("_sentence").str.contains(_CONCLUSION).alias("_concludes"),
        )
        .filter((pl.col("_at") == 0) | pl.col("_concludes"))
        .explode("_m")
        .drop_nulls("_m")
        .with_columns(pl.col("_m").str.extract_groups(_COUNT).alias("_g"))
        .unnest("_g")
        .with_columns(pl.col("number").str.replace_all(",", ""), pl.col("noun").str.to_lowercase())
        .join(frame.select("_uid", "prompt"), on="_uid")
    )
    first = counts.filter(
        (pl.col("_at") == 0) & ~pl.col("prompt").str.contains(pl.col("number"), literal=True)
    )
    last = counts.filter(pl.col("_at") > 0)
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


def _self_defined(sentences: pl.DataFrame) -> pl.DataFrame:
    """`_uid, _span, form`: "X is a tributary of X", "The language of Spanish is Spanish"."""
    related = sentences.filter(pl.col("_sentence").str.contains(" of ", literal=True))
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


def contradictions(frame: pl.DataFrame) -> pl.DataFrame:
    """`_uid, _span, form` of each answer in `frame` (`_uid, text, prompt`) that
    contradicts itself (the first form found)."""
    if frame.is_empty():
        # Most batches hold no candidate: their dozen regex passes would find nothing.
        return pl.DataFrame(
            schema={"_uid": frame.schema["_uid"], "_span": pl.String, "form": pl.String}
        )
    sentences = _sentences(frame)
    found = pl.concat(
        [
            _negated(_claims(frame, sentences)),
            _reversed(sentences),
            _recounted(frame, sentences),
            _self_defined(sentences),
        ]
    )
    return found.unique("_uid", keep="first", maintain_order=True)


@dataclass(frozen=True)
class SelfContradiction(DefectRule):
    """An answer that says a thing and its opposite (see the module's forms). Rows are read
    whole first (a conversation's assistant turns together); only those that contradict
    themselves are split into turns, to name the turn."""

    config_key: ClassVar[str] = "self_contradiction"
    name: str = "self_contradiction"

    def flag(self, rows: pl.DataFrame) -> pl.DataFrame:
        answers = rows.filter(
            pl.col("kind").is_in(["instruction", "preference", "conversation"])
            & pl.any_horizontal([pl.col("response").str.contains(c) for c in _CANDIDATES])
        )
        whole = answers.select(
            pl.col("row_id").alias("_uid"),
            pl.col("response").alias("text"),
            pl.col("instruction").fill_null("").alias("prompt"),
        )
        suspects = contradictions(whole)["_uid"]
        found = units(
            answers.filter(pl.col("row_id").is_in(suspects.implode())),
            ("response", "messages"),
            ("assistant",),
        ).with_row_index("_uid")
        hits = found.join(contradictions(found), on="_uid")
        return decisions(
            hits,
            self.name,
            pl.lit(1.0),
            form=pl.col("form"),
            span=shortened(pl.col("_span"), 240),
        )
