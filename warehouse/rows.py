"""The row contract shared by every corpus: columns, types and content-addressed row ids."""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from warehouse.conversations import with_transcripts
from warehouse.scratch import scratch

CONTENT_COLUMNS = ("instruction", "input", "response", "text")
# Where a preference row keeps its rejected response (assets/synthesis/methods/preference_pairs.py).
REJECTED_PATH = "$.rejected"

ROW_SCHEMA: dict[str, pl.DataType] = {
    "row_id": pl.String(),
    "kind": pl.String(),
    "task_type": pl.String(),
    "instruction": pl.String(),
    "input": pl.String(),
    "response": pl.String(),
    "text": pl.String(),
    "answer": pl.String(),
    "verified": pl.Boolean(),
    "attributes": pl.String(),
    "source": pl.String(),
    "source_line": pl.Int64(),
    "seed_ids": pl.List(pl.String()),
    "parent_ids": pl.List(pl.String()),
    "call_ids": pl.List(pl.String()),
    "generator_id": pl.String(),
    "method": pl.String(),
    "run_id": pl.String(),
    "created_at": pl.Datetime("us"),
    # Conversation rows only: the turns as canonical JSON (warehouse/conversations.py); their
    # `text` is the transcript, which is what the row id and every text rule read.
    "messages": pl.String(),
}
LINEAGE_COLUMNS = ("seed_ids", "parent_ids", "generator_id", "method", "run_id", "created_at")
KINDS = ("instruction", "document", "template", "preference", "conversation")

DECISION_SCHEMA: dict[str, pl.DataType] = {
    "row_id": pl.String(),
    "stage": pl.String(),
    "rule": pl.String(),
    "action": pl.String(),
    "score": pl.Float64(),
    "evidence": pl.String(),
}

_ROW_ID_SQL = "SELECT substr(sha256(content), 1, 32) AS row_id FROM contents"


def normalized(column: str | pl.Expr) -> pl.Expr:
    """Identity normalization: NFKC, LF line ends, no trailing spaces, no outer whitespace."""
    return (
        (pl.col(column) if isinstance(column, str) else column)
        .fill_null("")
        .str.normalize("NFKC")
        .str.replace_all(r"\r\n?", "\n")
        .str.replace_all(r"[ \t]+\n", "\n")
        .str.strip_chars()
    )


def hash_ids(contents: pl.Series) -> pl.Series:
    """128-bit hex sha256 of each string, computed in bulk by DuckDB (Polars has no sha256)."""
    with scratch() as con:
        con.register("contents", contents.alias("content").to_frame().to_arrow())
        return con.sql(_ROW_ID_SQL).pl()["row_id"]


def content_keys(frame: pl.DataFrame, normalize: Callable[[str | pl.Expr], pl.Expr]) -> pl.Series:
    """Each row's kind and content, each part normalized by `normalize`, as one string. A
    preference row's rejected side (`attributes.rejected`) is content too: two pairs that
    share a chosen response but reject different ones are different rows. It is appended
    only for preference rows, so no other kind's key (and id) depends on it."""
    if "attributes" not in frame.columns:
        frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias("attributes"))
    key = pl.concat_str(
        [pl.col("kind"), *[normalize(c) for c in CONTENT_COLUMNS]], separator="\x1f"
    )
    rejected = normalize(pl.col("attributes").str.json_path_match(REJECTED_PATH))
    return frame.select(
        pl.when(pl.col("kind") == "preference")
        .then(pl.concat_str([key, rejected], separator="\x1f"))
        .otherwise(key)
    ).to_series()


def compute_row_ids(frame: pl.DataFrame) -> pl.Series:
    """Content-addressed ids: the same kind and normalized content always get the same id."""
    return hash_ids(content_keys(frame, normalized))


def conform(frame: pl.DataFrame) -> pl.DataFrame:
    """Add missing contract columns as nulls and cast to contract types, keeping extra columns
    (later stages may add scores) after the contract ones; a conversation row without a text
    gets its transcript."""
    missing = [
        pl.lit(None, dtype=dtype).alias(name)
        for name, dtype in ROW_SCHEMA.items()
        if name not in frame.columns
    ]
    frame = with_transcripts(frame.with_columns(missing) if missing else frame)
    extras = [c for c in frame.columns if c not in ROW_SCHEMA]
    return frame.select([pl.col(name).cast(dtype) for name, dtype in ROW_SCHEMA.items()] + extras)


def with_row_ids(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(compute_row_ids(frame).alias("row_id"))


def empty_decisions() -> pl.DataFrame:
    return pl.DataFrame(schema=DECISION_SCHEMA)


def empty_rows() -> pl.DataFrame:
    return pl.DataFrame(schema=ROW_SCHEMA)


def merge_identical_rows(
    rows: pl.DataFrame, *, stage: str, rule: str, describe: tuple[str, ...]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Rows sharing a row_id are one row: keep the first, and give each repeat a `merge`
    decision whose evidence holds the `describe` columns of the repeat and of the kept row."""
    rows = rows.with_columns(pl.int_range(pl.len()).over("row_id").alias("_occurrence"))
    first = rows.filter(pl.col("_occurrence") == 0).drop("_occurrence")
    repeats = rows.filter(pl.col("_occurrence") > 0).join(
        first.select("row_id", *[pl.col(c).alias(f"kept_{c}") for c in describe]), on="row_id"
    )
    return first, merge_decisions(repeats, stage=stage, rule=rule, describe=describe)


def merge_decisions(
    repeats: pl.DataFrame, *, stage: str, rule: str, describe: tuple[str, ...]
) -> pl.DataFrame:
    """`merge` decisions of repeated rows that carry the `describe` columns of the row kept
    (as `kept_<column>`) beside their own."""
    return repeats.select(
        "row_id",
        pl.lit(stage).alias("stage"),
        pl.lit(rule).alias("rule"),
        pl.lit("merge").alias("action"),
        pl.lit(None, dtype=pl.Float64).alias("score"),
        pl.struct(*describe, *[f"kept_{c}" for c in describe])
        .struct.json_encode()
        .alias("evidence"),
    ).cast(DECISION_SCHEMA)
