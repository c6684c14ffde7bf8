"""Checks every seed row must pass; failures become quarantine decisions, not errors."""

from __future__ import annotations

import polars as pl

from assets.seed_readers.conversations import with_conversations
from assets.seed_readers.result import FIELD_ALIASES
from warehouse.rows import DECISION_SCHEMA, KINDS, hash_ids

_TEXT = ("instruction", "input", "response", "text")


def _blank(column: str) -> pl.Expr:
    return pl.col(column).is_null() | (pl.col(column).str.strip_chars() == "")


def problems(frame: pl.DataFrame, max_text_chars: int) -> pl.Expr:
    """The first problem of each row as `rule: reason`, or null for a good row."""
    size = pl.sum_horizontal([pl.col(c).fill_null("").str.len_chars() for c in _TEXT])
    kind = pl.col("kind")
    return (
        pl.when(pl.col("problem").is_not_null())
        .then(pl.col("problem"))
        .when(~kind.is_in(list(KINDS)))
        .then(pl.lit("unknown_kind: kind must be one of ") + pl.lit(", ".join(KINDS)))
        .when((kind == "instruction") & pl.col("instruction").is_null())
        .then(
            pl.lit("missing_field: no instruction field (looked for ")
            + pl.lit("/".join(FIELD_ALIASES["instruction"]))
            + pl.lit(")")
        )
        .when((kind == "instruction") & _blank("instruction"))
        .then(pl.lit("empty_text: the instruction is empty"))
        .when((kind == "document") & _blank("text"))
        .then(pl.lit("empty_text: the document text is empty"))
        .when(
            (kind == "template")
            & (_blank("instruction") | _blank("response") | _blank("answer") | _blank("attributes"))
        )
        .then(
            pl.lit("missing_field: a template needs instruction, response, answer and attributes")
        )
        .when(size > max_text_chars)
        .then(
            pl.lit("oversized_text: ")
            + size.cast(pl.String)
            + pl.lit(f" characters, limit {max_text_chars}")
        )
        .otherwise(None)
    )


def split_valid(
    frame: pl.DataFrame, source: str, max_text_chars: int
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(good rows, quarantine decisions) of a frame of canonical fields with `source_line`,
    `problem` (already found by the reader), `field` and `found` (the field and type of a
    `wrong_type` problem) and `raw` (the original record, for evidence)."""
    frame = with_conversations(frame)
    kind_default = (
        pl.when(_blank("instruction") & ~_blank("text"))
        .then(pl.lit("document"))
        .otherwise(pl.lit("instruction"))
    )
    frame = frame.with_columns(pl.coalesce(pl.col("kind"), kind_default).alias("kind"))
    # A question/answer record is an instruction/response pair: its answer is its response.
    frame = frame.with_columns(
        pl.when(
            (pl.col("kind") == "instruction") & pl.col("response").is_null() & ~_blank("answer")
        )
        .then(pl.col("answer"))
        .otherwise(pl.col("response"))
        .alias("response")
    )
    frame = frame.with_columns(problems(frame, max_text_chars).alias("problem"))
    bad = frame.filter(pl.col("problem").is_not_null())
    parts = pl.col("problem").str.splitn(": ", 2).struct
    decisions = bad.select(
        pl.concat_str([pl.lit(source), pl.col("source_line").cast(pl.String)], separator=":").alias(
            "key"
        ),
        parts.field("field_0").alias("rule"),
        pl.coalesce(parts.field("field_1"), parts.field("field_0")).alias("reason"),
        pl.col("source_line"),
        pl.col("raw").str.slice(0, 4000).alias("raw"),
        pl.col("field"),
        pl.col("found"),
    ).select(
        pl.col("key").alias("row_id"),
        pl.lit("seed").alias("stage"),
        pl.col("rule"),
        pl.lit("quarantine").alias("action"),
        pl.lit(None, dtype=pl.Float64).alias("score"),
        pl.struct(
            pl.lit(source).alias("file"),
            pl.col("source_line").alias("line"),
            pl.col("field"),
            pl.col("found"),
            pl.col("reason"),
            pl.col("raw"),
        )
        .struct.json_encode()
        .alias("evidence"),
    )
    decisions = decisions.with_columns(hash_ids(decisions["row_id"]).alias("row_id"))
    good = frame.filter(pl.col("problem").is_null()).drop("problem", "raw", "field", "found")
    return good, decisions.cast(DECISION_SCHEMA)
