"""Gopher's quality and repetition rules (Rae et al. 2021, appendix A.1.1 and table A1).

Both read `checked_text` (documents, and long responses without code); thresholds come from
the recipe, defaults from the paper. Repetition statistics are computed on long frames (one
row per line, paragraph or word) with Polars group-bys, not per-row Python."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import polars as pl
from pydantic import Field

from assets.filters.asked import REPEATS_BY_FORM, unless_asked
from assets.filters.defects.requests import ASKED_TO_REPEAT
from assets.filters.ngrams import ngram_numbers, word_hashes
from assets.filters.rule_sets import (
    WORDS,
    DocumentRuleScope,
    Threshold,
    checked_text,
    flag_thresholds,
)
from assets.run_context import RunContext
from assets.steps import RowFilter
from warehouse.settings import Strict


class GopherQualityRules(Strict):
    """Gopher quality rules (Rae et al. 2021, appendix A.1.1); defaults are the paper's."""

    enabled: bool = True
    min_words: int = Field(default=50, ge=0, description="Fewer words: dropped (documents only).")
    max_words: int = Field(default=100_000, gt=0)
    min_mean_word_length: float = Field(default=3.0, ge=0)
    max_mean_word_length: float = Field(default=10.0, gt=0)
    max_symbol_word_ratio: float = Field(
        default=0.1, ge=0, description="('#' + '...' + '…') per word."
    )
    max_bullet_lines: float = Field(default=0.9, ge=0, le=1, description="Share of lines.")
    max_ellipsis_lines: float = Field(default=0.3, ge=0, le=1, description="Share of lines.")
    min_alpha_words: float = Field(
        default=0.8, ge=0, le=1, description="Share of words with an alphabetic character."
    )
    min_stop_words: int = Field(
        default=2, ge=0, description="Of: the, be, to, of, and, that, have, with (documents only)."
    )
    stop_words: list[str] = ["the", "be", "to", "of", "and", "that", "have", "with"]
    scope: DocumentRuleScope = Field(
        default_factory=DocumentRuleScope,
        description="Which rows' text the rules read (formerly `filters.document_scope`).",
    )


class GopherRepetitionRules(Strict):
    """Gopher repetition rules (Rae et al. 2021, table A1); defaults are the paper's."""

    enabled: bool = True
    max_duplicate_line_fraction: float = Field(default=0.30, ge=0, le=1)
    max_duplicate_paragraph_fraction: float = Field(default=0.30, ge=0, le=1)
    max_duplicate_line_char_fraction: float = Field(default=0.20, ge=0, le=1)
    max_duplicate_paragraph_char_fraction: float = Field(default=0.20, ge=0, le=1)
    max_top_ngram_char_fraction: dict[int, float] = Field(
        default={2: 0.20, 3: 0.18, 4: 0.16},
        description="n -> largest share of word characters in the most frequent n-gram.",
    )
    max_duplicate_ngram_char_fraction: dict[int, float] = Field(
        default={5: 0.15, 6: 0.14, 7: 0.13, 8: 0.12, 9: 0.11, 10: 0.10},
        description="n -> largest share of word characters inside repeated n-grams.",
    )
    scope: DocumentRuleScope = Field(
        default_factory=DocumentRuleScope,
        description="Which rows' text the rules read (formerly `filters.document_scope`).",
    )


_BULLET = r"^\s*[•‣⁃◦●○■□▪▫*\-–—]"
_ELLIPSIS_END = r"(?:\.\.\.|…)\s*$"


def _lines(text: pl.Expr) -> pl.Expr:
    return text.str.split("\n").list.eval(pl.element().filter(pl.element().str.strip_chars() != ""))


@dataclass(frozen=True)
class GopherQuality(RowFilter):
    rules: GopherQualityRules
    scope: DocumentRuleScope
    name: str = "gopher_quality"
    Config: ClassVar[type[Strict]] = GopherQualityRules
    config_key: ClassVar[str] = "gopher_quality"
    legacy_keys: ClassVar[dict[str, str]] = {"document_scope": "scope"}

    @classmethod
    def from_config(cls, config: GopherQualityRules, run: RunContext) -> list[GopherQuality]:
        return [cls(config, config.scope)] if config.enabled else []

    def flag(self, rows: pl.DataFrame) -> pl.DataFrame:
        r = self.rules
        words = pl.col("_words")
        n_words = words.list.len()
        lines = pl.col("_lines")
        n_lines = lines.list.len().clip(lower_bound=1)
        symbols = (
            pl.col("text").str.count_matches("#", literal=True)
            + pl.col("text").str.count_matches("...", literal=True)
            + pl.col("text").str.count_matches("…", literal=True)
        )
        mean_word_length = words.list.eval(pl.element().str.len_chars()).list.mean()
        stop_words = words.list.eval(
            pl.element()
            .str.to_lowercase()
            .str.strip_chars(".,;:!?\"'()[]")
            .is_in(r.stop_words)
            .cast(pl.Int32)
        ).list.sum()
        checks = [
            Threshold("word_count", n_words, r.min_words, "min", documents_only=True),
            Threshold("word_count", n_words, r.max_words, "max"),
            Threshold(
                "mean_word_length",
                mean_word_length,
                r.min_mean_word_length,
                "min",
                documents_only=True,
            ),
            Threshold(
                "mean_word_length",
                mean_word_length,
                r.max_mean_word_length,
                "max",
                documents_only=True,
            ),
            Threshold(
                "symbol_word_ratio",
                symbols / n_words.clip(lower_bound=1),
                r.max_symbol_word_ratio,
                "max",
            ),
            Threshold(
                "bullet_lines",
                lines.list.eval(pl.element().str.contains(_BULLET).cast(pl.Int32)).list.sum()
                / n_lines,
                r.max_bullet_lines,
                "max",
                documents_only=True,
            ),
            Threshold(
                "ellipsis_lines",
                lines.list.eval(pl.element().str.contains(_ELLIPSIS_END).cast(pl.Int32)).list.sum()
                / n_lines,
                r.max_ellipsis_lines,
                "max",
            ),
            Threshold(
                "alpha_words",
                words.list.eval(pl.element().str.contains(r"\p{L}").cast(pl.Int32)).list.sum()
                / n_words.clip(lower_bound=1),
                r.min_alpha_words,
                "min",
                documents_only=True,
            ),
            Threshold("stop_words", stop_words, r.min_stop_words, "min", documents_only=True),
        ]
        return flag_thresholds(
            checked_text(rows, self.scope),
            self.name,
            checks,
            {
                "_words": pl.col("text").str.extract_all(WORDS),
                "_lines": _lines(pl.col("text")),
            },
        )


def _duplicate_fractions(texts: pl.DataFrame, unit: str, pieces: pl.Expr) -> pl.DataFrame:
    """Per row: share of `pieces` (lines or paragraphs) that repeat an earlier one, by count
    and by characters (of the whole text), as Gopher's table A1 defines them."""
    long = (
        texts.select("row_id", pieces.alias("_piece"), pl.col("text").str.len_chars().alias("_n"))
        .explode("_piece")
        .drop_nulls("_piece")
        .with_columns(
            (pl.int_range(pl.len()).over("row_id", "_piece") > 0).alias("_repeat"),
            pl.col("_piece").str.len_chars().alias("_chars"),
        )
    )
    return long.group_by("row_id").agg(
        (pl.col("_repeat").sum() / pl.len()).alias(f"duplicate_{unit}_fraction"),
        (pl.col("_chars").filter(pl.col("_repeat")).sum() / pl.col("_n").first().clip(1)).alias(
            f"duplicate_{unit}_char_fraction"
        ),
    )


def _ngram_fractions(
    texts: pl.DataFrame, top: dict[int, float], duplicate: dict[int, float]
) -> pl.DataFrame:
    """Per row: the share of word characters in the most frequent n-gram (n in `top`) and
    inside any repeated n-gram (n in `duplicate`), overlaps counted once."""
    words = (
        texts.select("row_id", pl.col("text").str.to_lowercase().str.extract_all(WORDS).alias("w"))
        .explode("w")
        .drop_nulls("w")
        .with_columns(
            pl.col("w").str.len_chars().alias("chars"),
            pl.int_range(pl.len()).over("row_id").alias("pos"),
            pl.len().over("row_id").alias("len"),
        )
    )
    sizes = sorted(set(top) | set(duplicate))
    # Global shifts are cheap; an n-gram exists only where it fits inside its row, so nothing
    # crosses from one row into the next. All sizes share one pass per step. An n-gram is one
    # 64-bit number (`ngrams.py`).
    words = words.with_columns(word_hashes(pl.col("w")).alias("_h"))
    words = words.with_columns(
        pl.when(pl.col("pos") + n <= pl.col("len"))
        .then(ngram_numbers(pl.col("_h"), n))
        .alias(f"g{n}")
        for n in sizes
    ).with_columns(
        *[
            pl.when(pl.col(f"g{n}").is_not_null())
            .then(pl.len().over("row_id", f"g{n}"))
            .alias(f"count{n}")
            for n in sizes
        ],
        *[
            pl.sum_horizontal([pl.col("chars").shift(-k) for k in range(n)]).alias(f"gc{n}")
            for n in top
        ],
    )
    # A word is covered when a repeated n-gram starts within the n positions up to it; starts
    # never cross rows, so a plain rolling window over the long frame is exact.
    words = words.with_columns(
        (pl.col(f"count{n}") > 1)
        .fill_null(False)
        .cast(pl.Int8)
        .rolling_max(window_size=n, min_samples=1)
        .alias(f"covered{n}")
        for n in duplicate
    )
    # The most frequent n-gram (ties: the longest) as one packed integer maximum per row
    # instead of a sort: count in the high bits, characters in the low 24.
    result = words.group_by("row_id").agg(
        pl.col("chars").sum().alias("_total"),
        *[
            (pl.col(f"count{n}").cast(pl.Int64) * (1 << 24) + pl.col(f"gc{n}"))
            .max()
            .alias(f"_packed{n}")
            for n in top
        ],
        *[
            pl.col("chars").filter(pl.col(f"covered{n}") == 1).sum().alias(f"_dup_{n}")
            for n in duplicate
        ],
    )
    result = result.with_columns(
        ((pl.col(f"_packed{n}") // (1 << 24)) * (pl.col(f"_packed{n}") % (1 << 24))).alias(
            f"_top_{n}"
        )
        for n in top
    )
    total = pl.col("_total").clip(lower_bound=1)
    return result.select(
        "row_id",
        *[(pl.col(f"_top_{n}").fill_null(0) / total).alias(f"top_{n}gram") for n in top],
        *[(pl.col(f"_dup_{n}").fill_null(0) / total).alias(f"dup_{n}gram") for n in duplicate],
    )


# A list item or a labelled line of an answer ("- ...", "3. ...", "Week 2: ..."): a plan or a
# schedule repeats its form line after line ("2 min walk, repeat 7 times"), which a web
# document's n-gram statistics read as a loop. A looping answer loops in its prose, and a
# looping list is `repeated_lines`' and `repeated_ngrams`' to find.
_LIST_LINE = r"(?m)^[ \t]*(?:[-*•+]|\d{1,3}[.)]|\p{L}[\p{L} –-]{0,30}?\d{0,3}:)[ \t]+[^\n]*$"


# A request to rewrite or rephrase a text: its answer quotes the text and its new form.
_ASKS_REWRITE = r"(?i)\b(?:rewrite|rephrase|reword|revise|before and after)\b"


def _without_list_lines(texts: pl.DataFrame, min_words: int) -> pl.DataFrame:
    """`texts` with an answer's list and labelled lines left out of its n-gram statistics,
    and an answer with fewer than `min_words` words left not measured (a document is read
    whole)."""
    prose = pl.col("text").str.replace_all(_LIST_LINE, "")
    kept = (
        pl.when(prose.str.count_matches(WORDS) >= max(min_words, 1))
        .then(prose)
        .otherwise(pl.lit(""))
    )
    return texts.with_columns(
        pl.when(pl.col("is_document")).then(pl.col("text")).otherwise(kept).alias("text")
    )


@dataclass(frozen=True)
class GopherRepetition(RowFilter):
    rules: GopherRepetitionRules
    scope: DocumentRuleScope
    name: str = "gopher_repetition"
    Config: ClassVar[type[Strict]] = GopherRepetitionRules
    config_key: ClassVar[str] = "gopher_repetition"
    legacy_keys: ClassVar[dict[str, str]] = {"document_scope": "scope"}

    @classmethod
    def from_config(cls, config: GopherRepetitionRules, run: RunContext) -> list[GopherRepetition]:
        return [cls(config, config.scope)] if config.enabled else []

    def flag(self, rows: pl.DataFrame) -> pl.DataFrame:
        r = self.rules
        texts = checked_text(rows, self.scope)
        if texts.is_empty():
            return flag_thresholds(texts, self.name, [], None)
        paragraphs = (
            pl.col("text")
            .str.replace_all(r"\n[ \t]*\n\s*", "\x00")
            .str.split("\x00")
            .list.eval(pl.element().str.strip_chars().filter(pl.element() != ""))
        )
        measured = (
            texts.join(
                _duplicate_fractions(texts, "line", _lines(pl.col("text"))), "row_id", "left"
            )
            .join(_duplicate_fractions(texts, "paragraph", paragraphs), "row_id", "left")
            .join(
                _ngram_fractions(
                    _without_list_lines(texts, self.scope.min_response_words),
                    r.max_top_ngram_char_fraction,
                    r.max_duplicate_ngram_char_fraction,
                ),
                "row_id",
                "left",
            )
        )
        checks = [
            Threshold(
                "duplicate_line_fraction",
                pl.col("duplicate_line_fraction"),
                r.max_duplicate_line_fraction,
                "max",
            ),
            Threshold(
                "duplicate_paragraph_fraction",
                pl.col("duplicate_paragraph_fraction"),
                r.max_duplicate_paragraph_fraction,
                "max",
            ),
            Threshold(
                "duplicate_line_char_fraction",
                pl.col("duplicate_line_char_fraction"),
                r.max_duplicate_line_char_fraction,
                "max",
            ),
            Threshold(
                "duplicate_paragraph_char_fraction",
                pl.col("duplicate_paragraph_char_fraction"),
                r.max_duplicate_paragraph_char_fraction,
                "max",
            ),
            *[
                Threshold(f"top_{n}gram_char_fraction", pl.col(f"top_{n}gram"), limit, "max")
                for n, limit in sorted(r.max_top_ngram_char_fraction.items())
            ],
            *[
                Threshold(f"duplicate_{n}gram_char_fraction", pl.col(f"dup_{n}gram"), limit, "max")
                for n, limit in sorted(r.max_duplicate_ngram_char_fraction.items())
            ],
        ]
        flagged = flag_thresholds(measured, self.name, checks, None)
        # A refrain, a chorus or a cheer the request asked for repeats its lines by design; a
        # rewrite asked for shows the text before and after.
        return unless_asked(flagged, rows, f"{ASKED_TO_REPEAT}|{REPEATS_BY_FORM}|{_ASKS_REWRITE}")
