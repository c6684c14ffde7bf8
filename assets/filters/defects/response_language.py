"""An answer in another language than its request ("What causes tides?" answered in French),
judged per field: the answer's language against its own request's, unless the request asks
for a translation or names the language to answer in.

The row-level language filter reads the instruction; this rule reads each answer. Prose that
is plainly English (a quarter of its words English function words) is taken as English
without the model; the rest goes to fastText's lid.176, as the language filter does."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import polars as pl
from pydantic import Field

from assets.filters.defects.spans import DefectRule, RuleConfig, prose
from assets.filters.defects.units import decisions, shortened, units
from assets.language_id import fasttext_languages
from assets.steps import Step

if TYPE_CHECKING:
    from assets.run_context import RunContext

_ENGLISH_FUNCTION_WORDS = [
    "the",
    "of",
    "and",
    "to",
    "in",
    "is",
    "it",
    "that",
    "for",
    "you",
    "was",
    "with",
    "on",
    "as",
    "are",
    "be",
    "this",
    "have",
    "not",
    "but",
    "they",
    "at",
    "by",
    "from",
    "or",
    "an",
    "which",
    "can",
    "will",
    "would",
    "there",
    "their",
    "what",
    "all",
    "were",
    "when",
    "we",
    "your",
    "has",
    "if",
    "do",
    "does",
    "how",
    "should",
    "could",
    "been",
    "because",
    "so",
    "than",
    "then",
    "these",
    "those",
    "its",
    "into",
    "also",
    "about",
    "more",
    "our",
]
LANGUAGE_NAMES = (
    "english|french|spanish|german|italian|portuguese|dutch|chinese|mandarin|cantonese|"
    "japanese|korean|russian|arabic|hindi|bengali|turkish|polish|swedish|norwegian|danish|"
    "finnish|greek|hebrew|latin|czech|ukrainian|vietnamese|thai|indonesian|malay|swahili|"
    "romanian|hungarian|catalan|persian|urdu"
)
# A request that asks for another language (or to translate) is answered in it.
ASKS_FOR_LANGUAGE = (
    r"(?i)\b(?:translat\w*|how (?:do|would|can) (?:you|i) say|(?:in|into|to) (?:"
    + LANGUAGE_NAMES
    + r")"
    r"|(?:" + LANGUAGE_NAMES + r") (?:word|words|phrase|version|email|letter|text|sentence|"
    r"translation|speaker|speakers|greeting|equivalent|term|poem|song|proverb))\b"
)


class ResponseLanguageConfig(RuleConfig):
    """Drop answers confidently in another language than their request."""

    candidates: list[str] = Field(
        default=["en", "fr", "de", "es", "it", "pt", "nl"],
        min_length=2,
        description="Languages an answer and its request are identified among.",
    )
    min_confidence: float = Field(
        default=0.7, ge=0, le=1, description="fastText probability an answer's language needs."
    )
    min_letters: int = Field(default=30, ge=1, description="Shorter answers are not judged.")


# ASCII word boundaries: Unicode ones cost several times as much, and the words are ASCII.
_ENGLISH = r"(?i-u:\b(?:" + "|".join(_ENGLISH_FUNCTION_WORDS) + r")\b)"


# Function words of the other candidate languages that are not English words: prose in one
# of them uses several; English prose (code and technical text included) almost none.
_FOREIGN_FUNCTION_WORDS = [
    "le",
    "la",
    "les",
    "des",
    "une",
    "est",
    "sont",
    "pour",
    "dans",
    "avec",
    "sur",
    "pas",
    "qui",
    "ce",
    "cette",
    "nous",
    "vous",
    "el",
    "los",
    "las",
    "una",
    "por",
    "para",
    "como",
    "pero",
    "muy",
    "también",
    "der",
    "die",
    "das",
    "und",
    "ist",
    "nicht",
    "ein",
    "eine",
    "mit",
    "auf",
    "sich",
    "auch",
    "wird",
    "il",
    "lo",
    "gli",
    "che",
    "è",
    "per",
    "non",
    "della",
    "sono",
    "anche",
    "os",
    "uma",
    "não",
    "com",
    "são",
    "também",
    "het",
    "een",
    "en",
    "niet",
    "van",
    "zijn",
    "ook",
]
_FOREIGN = r"(?i-u:\b(?:" + "|".join(_FOREIGN_FUNCTION_WORDS) + r")\b)|[àâçèéêëîïôùûüÿñáíóúãõäöß]"


def maybe_foreign(text: pl.Expr) -> pl.Expr:
    """Whether a text may be in another language than English: more foreign function words or
    accented letters than English function words (two regex counts; most rows are not)."""
    return text.str.count_matches(_FOREIGN) * 2 >= text.str.count_matches(_ENGLISH).clip(
        lower_bound=1
    )


def english_share(text: pl.Expr) -> pl.Expr:
    """The share of a text's words that are common English function words (two regex
    counts: no per-word lists)."""
    return text.str.count_matches(_ENGLISH) / text.str.count_matches(r"\p{L}+").clip(lower_bound=1)


def languages(texts: pl.Series, candidates: list[str]) -> pl.DataFrame:
    """`lang`, `lang_score` per text: plainly English prose without the model, the rest by
    fastText among `candidates`."""
    frame = pl.DataFrame({"_text": texts}).with_columns(
        (english_share(pl.col("_text")) >= 0.25).alias("_english")
    )
    others = frame.filter(~pl.col("_english"))["_text"].unique().to_list()
    langs, scores = fasttext_languages(others, candidates) if others else ([], [])
    table = pl.DataFrame(
        {"_text": others, "_lang": langs, "_score": scores},
        schema={"_text": pl.String, "_lang": pl.String, "_score": pl.Float64},
    )
    return frame.join(table, on="_text", how="left", maintain_order="left").select(
        pl.when(pl.col("_english")).then(pl.lit("en")).otherwise("_lang").alias("lang"),
        pl.when(pl.col("_english")).then(pl.lit(1.0)).otherwise("_score").alias("lang_score"),
    )


@dataclass(frozen=True)
class ResponseLanguage(DefectRule):
    """An answer confidently identified in another language than its request."""

    Config: ClassVar = ResponseLanguageConfig
    config_key: ClassVar[str] = "response_language"
    candidates: tuple[str, ...] = ("en", "fr", "de", "es", "it", "pt", "nl")
    min_confidence: float = 0.7
    min_letters: int = 30
    name: str = "response_language"

    @classmethod
    def from_config(
        cls, config: ResponseLanguageConfig, run: RunContext | None = None
    ) -> list[Step]:
        if not config.enabled:
            return []
        return [
            cls(
                candidates=tuple(config.candidates),
                min_confidence=config.min_confidence,
                min_letters=config.min_letters,
            )
        ]

    def flag(self, rows: pl.DataFrame) -> pl.DataFrame:
        # Answers with no sign of another language (most rows) are not split into units; a
        # conversation's `response` holds every assistant turn, so one turn in French shows.
        maybe = maybe_foreign(pl.col("response").fill_null(""))
        answers = (
            units(rows.filter(maybe), ("response", "messages"), ("assistant",))
            .filter(~pl.col("prompt").str.contains(ASKS_FOR_LANGUAGE))
            .with_columns(
                prose(pl.col("text"), unquote=True).str.replace_all(r"\s+", " ").alias("_answer"),
                prose(pl.col("prompt"), unquote=True)
                .str.replace_all(r"\s+", " ")
                .alias("_request"),
            )
            .filter(
                (pl.col("_answer").str.count_matches(r"\p{L}") >= self.min_letters)
                & (pl.col("_request").str.count_matches(r"\p{L}") >= 10)
            )
        )
        if answers.is_empty():
            return decisions(answers, self.name, pl.lit(1.0))
        candidates = list(self.candidates)
        answer = languages(answers["_answer"], candidates)
        request = languages(answers["_request"], candidates)
        judged = answers.with_columns(
            answer["lang"].alias("_lang"),
            answer["lang_score"].alias("_score"),
            request["lang"].alias("_request_lang"),
        )
        found = judged.filter(
            pl.col("_lang").is_not_null()
            & pl.col("_request_lang").is_not_null()
            & (pl.col("_lang") != pl.col("_request_lang"))
            & (pl.col("_score") >= self.min_confidence)
        )
        return decisions(
            found,
            self.name,
            pl.col("_score"),
            language=pl.col("_lang"),
            request_language=pl.col("_request_lang"),
            span=shortened(pl.col("text"), 120),
        )
