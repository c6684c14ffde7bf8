"""Markdown tables for Dagster metadata: pipes escaped, newlines flattened, long text cut."""

from __future__ import annotations

import polars as pl


def cell(value: object, width: int = 80) -> str:
    text = "" if value is None else str(value)
    text = text.replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")
    return text if len(text) <= width else text[: width - 1] + "…"


def markdown_table(frame: pl.DataFrame, width: int = 80) -> str:
    if frame.is_empty():
        return "_none_"
    header = "| " + " | ".join(frame.columns) + " |\n|" + "---|" * len(frame.columns) + "\n"
    return header + "\n".join(
        "| " + " | ".join(cell(v, width) for v in row) + " |" for row in frame.iter_rows()
    )
