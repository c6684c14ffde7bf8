"""Heuristic quality filters: length bounds, empty or truncated responses, refusals,
non-printable characters, repeated lines and repeated word n-grams. All vectorized."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import polars as pl

from assets.filters.defects.requests import ASKED_TO_REPEAT
from assets.filters.text import body
from assets.steps import RowFilter

if TYPE_CHECKING:
    from assets.stage_setup import StageSetup

# Control, format, private-use and unassigned characters, except ordinary whitespace.
_NON_PRINTABLE = r"[\p{Cc}\p{Cf}\p{Co}\p{Cn}--[\n\r\t]]"


def _flagged(
    rows: pl.DataFrame, condition: pl.Expr, rule: str, score: pl.Expr, evidence: pl.Expr
) -> pl.DataFrame:
    return rows.filter(condition).select(
        "row_id",
        pl.lit(rule).alias("rule"),
        score.cast(pl.Float64).alias("score"),
        evidence.alias("evidence"),
    )


def _evidence(**fields: pl.Expr) -> pl.Expr:
    return pl.struct(**fields).struct.json_encode()


@dataclass(frozen=True)
class LengthBounds(RowFilter):
    """Instruction and response lengths, in characters, within the recipe's bounds."""

    column: str
    minimum: int
    maximum: int
    name: str = "length_bounds"

    @classmethod
    def configured(cls, setup: StageSetup) -> list[LengthBounds]:
        f = setup.filters
        return [
            cls("instruction", f.min_instruction_chars, f.max_instruction_chars),
            cls("response", f.min_response_chars, f.max_response_chars),
        ]

    def flag(self, rows: pl.DataFrame) -> pl.DataFrame:
        applies = pl.col("kind") == "instruction"
        length = pl.col(self.column).fill_null("").str.strip_chars().str.len_chars()
        short = _flagged(
            rows,
            applies
            & (length < self.minimum)
            & (length > 0 if self.column == "response" else pl.lit(True)),
            f"{self.column}_too_short",
            length,
            _evidence(length=length, minimum=pl.lit(self.minimum)),
        )
        long = _flagged(
            rows,
            applies & (length > self.maximum),
            f"{self.column}_too_long",
            length,
            _evidence(length=length, maximum=pl.lit(self.maximum)),
        )
        return pl.concat([short, long])


@dataclass(frozen=True)
class EmptyResponse(RowFilter):
    name: str = "empty_response"

    @classmethod
    def configured(cls, setup: StageSetup) -> list[EmptyResponse]:
        return [cls()]

    def flag(self, rows: pl.DataFrame) -> pl.DataFrame:
        empty = pl.col("response").fill_null("").str.strip_chars() == ""
        return _flagged(
            rows,
            (pl.col("kind") == "instruction") & empty,
            self.name,
            pl.lit(0.0),
            _evidence(response=pl.col("response")),
        )


@dataclass(frozen=True)
class TruncatedResponse(RowFilter):
    """Stopped by the token limit, or an unclosed code fence."""

    name: str = "truncated_response"

    @classmethod
    def configured(cls, setup: StageSetup) -> list[TruncatedResponse]:
        return [cls()]

    def flag(self, rows: pl.DataFrame) -> pl.DataFrame:
        finish = pl.col("attributes").str.json_path_match("$.finish_reason")
        fences = pl.col("response").fill_null("").str.count_matches("```", literal=True)
        truncated = (finish == "length").fill_null(False) | (fences % 2 == 1)
        return _flagged(
            rows,
            truncated,
            self.name,
            fences,
            _evidence(
                finish_reason=finish, code_fences=fences, tail=pl.col("response").str.slice(-80)
            ),
        )


@dataclass(frozen=True)
class Refusal(RowFilter):
    patterns: tuple[str, ...]
    name: str = "refusal"

    @classmethod
    def configured(cls, setup: StageSetup) -> list[Refusal]:
        return [cls(tuple(setup.filters.refusal_patterns))]

    def flag(self, rows: pl.DataFrame) -> pl.DataFrame:
        if not self.patterns:
            return rows.clear().select("row_id")
        response = pl.col("response").fill_null("")
        matched = pl.coalesce(
            [pl.when(response.str.contains(p)).then(pl.lit(p)) for p in self.patterns]
        )
        return _flagged(
            rows,
            matched.is_not_null(),
            self.name,
            pl.lit(1.0),
            _evidence(pattern=matched, response=response.str.slice(0, 200)),
        )


@dataclass(frozen=True)
class NonPrintable(RowFilter):
    max_ratio: float
    name: str = "non_printable"

    @classmethod
    def configured(cls, setup: StageSetup) -> list[NonPrintable]:
        return [cls(setup.filters.max_non_printable_ratio)]

    def flag(self, rows: pl.DataFrame) -> pl.DataFrame:
        text = body()
        ratio = text.str.count_matches(_NON_PRINTABLE) / text.str.len_chars().clip(lower_bound=1)
        return _flagged(
            rows,
            ratio > self.max_ratio,
            self.name,
            ratio,
            _evidence(ratio=ratio, maximum=pl.lit(self.max_ratio)),
        )


@dataclass(frozen=True)
class RepeatedLines(RowFilter):
    """Share of non-blank lines that repeat an earlier line (Gopher's duplicate-line rule)."""

    max_fraction: float
    name: str = "repeated_lines"

    @classmethod
    def configured(cls, setup: StageSetup) -> list[RepeatedLines]:
        return [cls(setup.filters.max_duplicate_line_fraction)]

    def flag(self, rows: pl.DataFrame) -> pl.DataFrame:
        lines = (
            body(("response", "text"))
            .str.split("\n")
            .list.eval(pl.element().str.strip_chars().filter(pl.element().str.strip_chars() != ""))
        )
        count = lines.list.len()
        fraction = (1 - lines.list.n_unique() / count.clip(lower_bound=1)).fill_null(0)
        # A chorus sung twice or a blank form is what the request asked for.
        asked = pl.col("instruction").fill_null("").str.contains(ASKED_TO_REPEAT)
        return _flagged(
            rows,
            (count >= 3) & (fraction > self.max_fraction) & ~asked,
            self.name,
            fraction,
            _evidence(fraction=fraction, lines=count),
        )


@dataclass(frozen=True)
class RepeatedNgrams(RowFilter):
    """Share of word n-grams that repeat an earlier one: degenerate, looping generations."""

    n: int
    max_fraction: float
    name: str = "repeated_ngrams"

    @classmethod
    def configured(cls, setup: StageSetup) -> list[RepeatedNgrams]:
        f = setup.filters
        return [cls(f.duplicate_ngram_size, f.max_duplicate_ngram_fraction)]

    def flag(self, rows: pl.DataFrame) -> pl.DataFrame:
        words = body(("response", "text")).str.to_lowercase().str.extract_all(r"\w+")
        shifted = [pl.element().shift(-k) for k in range(self.n)]
        grams = words.list.eval(pl.concat_str(shifted, separator=" ").drop_nulls())
        # The n-grams' counts as columns, computed once (inline, the condition and the
        # evidence each built every row's n-grams again).
        counted = rows.select("row_id", grams.alias("_grams")).select(
            "row_id",
            pl.col("_grams").list.len().alias("_count"),
            pl.col("_grams").list.n_unique().alias("_distinct"),
        )
        count = pl.col("_count")
        fraction = (1 - pl.col("_distinct") / count.clip(lower_bound=1)).fill_null(0)
        return _flagged(
            counted,
            (count >= 2 * self.n) & (fraction > self.max_fraction),
            self.name,
            fraction,
            _evidence(fraction=fraction, ngrams=count, n=pl.lit(self.n)),
        )
