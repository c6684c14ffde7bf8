"""The text of a row that filters, dedup and detectors read."""

from __future__ import annotations

import polars as pl


def body(columns: tuple[str, ...] = ("instruction", "input", "response", "text")) -> pl.Expr:
    """All of a row's text, newline-joined (nulls skipped). A conversation's `text` is its
    transcript, every turn (its `response` repeats the assistant's turns): that is its text
    whenever `text` is asked for."""
    joined = pl.concat_str([pl.col(c) for c in columns], separator="\n", ignore_nulls=True)
    if "text" not in columns:
        return joined
    return pl.when(pl.col("kind") == "conversation").then(pl.col("text")).otherwise(joined)
