"""The text of a row that filters, dedup and detectors read."""

from __future__ import annotations

import polars as pl


def body(columns: tuple[str, ...] = ("instruction", "input", "response", "text")) -> pl.Expr:
    """All of a row's text, newline-joined (nulls skipped)."""
    return pl.concat_str([pl.col(c) for c in columns], separator="\n", ignore_nulls=True)
