"""Filters are small steps, each with one job: flag the rows it drops, with a rule and evidence.

A pipeline runs them in order on what the previous step kept, so each dropped row carries the
decision of the first rule that caught it.
"""

from __future__ import annotations

from typing import Protocol

import polars as pl

from warehouse.rows import DECISION_SCHEMA, empty_decisions


class RowFilter(Protocol):
    name: str

    def flag(self, rows: pl.DataFrame) -> pl.DataFrame:
        """The rows to drop: `row_id`, `rule`, `score` (float or null), `evidence` (JSON)."""
        ...


def run_filters(
    rows: pl.DataFrame, filters: list[RowFilter], stage: str
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(kept rows, drop decisions) after running `filters` in order."""
    decisions = [empty_decisions()]
    for step in filters:
        if rows.is_empty():
            break
        flagged = step.flag(rows)
        if flagged.is_empty():
            continue
        rows = rows.join(flagged.select("row_id"), on="row_id", how="anti")
        decisions.append(
            flagged.with_columns(pl.lit(stage).alias("stage"), pl.lit("drop").alias("action"))
            .select(DECISION_SCHEMA.keys())
            .cast(DECISION_SCHEMA)
        )
    return rows, pl.concat(decisions)


def body(columns: tuple[str, ...] = ("instruction", "input", "response", "text")) -> pl.Expr:
    """All of a row's text, newline-joined (nulls skipped)."""
    return pl.concat_str([pl.col(c) for c in columns], separator="\n", ignore_nulls=True)
