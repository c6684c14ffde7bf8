"""`synthfoundry sql` output: the result as it is, as a table, CSV, JSON, JSON lines or Markdown.

Values are never interpreted: the table renders plain text (no Rich markup, no emoji codes),
with control characters shown as their Unicode pictures so a value cannot drive the terminal;
it fits the terminal (`orchestration.tables`), times to the second and booleans as marks.
List, struct and map values are JSON text in every tabular format. Everything streams in the
batches the warehouse yields, except the rows a table shows."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from typing import Final, TextIO

import polars as pl
from rich.console import Console
from rich.text import Text

from orchestration.tables import MARKS, print_cells
from warehouse.user_sql import QueryResult

FORMATS: Final = ("table", "csv", "json", "jsonl", "markdown")
FORMAT_ENCODING: Final = {
    "table": "text",
    "csv": "text",
    "markdown": "text",
    "json": "json",
    "jsonl": "json",
}

# C0 controls but tab and newline, and DEL, shown as the pictures U+2400..U+2421.
_CONTROLS: Final = [chr(c) for c in (*range(0x00, 0x09), *range(0x0B, 0x20), 0x7F)]
_PICTURES: Final = [chr(0x2400 + ord(c)) if c != "\x7f" else "\u2421" for c in _CONTROLS]
# A table cell shows this many characters of a value, then an ellipsis.
MAX_CELL_CHARS: Final = 300
# DuckDB's timestamp types, as their text: fractions of a second dropped, and the offset of
# times with a zone when it is UTC's (DuckDB shows them in UTC unless ICU sets a zone).
TIMESTAMP_TYPES: Final = frozenset(
    {"timestamp", "timestamp_s", "timestamp_ms", "timestamp_ns", "timestamp with time zone"}
)
_TIME_FRACTION: Final = r"^(.*\d{2}:\d{2}:\d{2})(?:\.\d+)?(?:\+00(?::00)?)?$"


def write_result(result: QueryResult, fmt: str, out: TextIO, console: Console, limit: int) -> int:
    """Write `result` in `fmt` (tables to `console`, the rest to `out`); the rows written."""
    if fmt == "table":
        return _table(result, console, limit)
    writer = {"csv": _csv, "json": _json, "jsonl": _jsonl, "markdown": _markdown}[fmt]
    return writer(result, out)


def _csv(result: QueryResult, out: TextIO) -> int:
    csv.writer(out, lineterminator="\n").writerow(result.columns)
    rows = 0
    for frame in result.batches:
        out.write(frame.write_csv(include_header=False))
        rows += frame.height
    return rows


def _json_lines(result: QueryResult) -> Iterable[pl.Series]:
    """Per batch, one JSON object per row (keys in column order; values are JSON already)."""
    names = [json.dumps(name, ensure_ascii=False) for name in result.columns]
    for frame in result.batches:
        if not result.columns:
            continue
        parts: list[pl.Expr] = []
        for i, (name, column) in enumerate(zip(names, frame.columns, strict=True)):
            parts.append(pl.lit(("{" if i == 0 else ",") + name + ":"))
            parts.append(pl.col(column).fill_null("null"))
        parts.append(pl.lit("}"))
        yield frame.select(pl.concat_str(parts).alias("line"))["line"]


def _jsonl(result: QueryResult, out: TextIO) -> int:
    rows = 0
    for lines in _json_lines(result):
        if lines.len():
            out.write("\n".join(lines.to_list()) + "\n")
        rows += lines.len()
    return rows


def _json(result: QueryResult, out: TextIO) -> int:
    rows = 0
    out.write("[")
    for lines in _json_lines(result):
        if lines.len():
            out.write(("\n" if rows == 0 else ",\n") + ",\n".join(lines.to_list()))
        rows += lines.len()
    out.write("\n]\n" if rows else "]\n")
    return rows


def _markdown_cells(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select(
        pl.col(c)
        .fill_null("")
        .str.replace_all("\\", "\\\\", literal=True)
        .str.replace_all("|", "\\|", literal=True)
        .str.replace_all("\r\n", "<br>", literal=True)
        .str.replace_all("\n", "<br>", literal=True)
        .str.replace_many(_CONTROLS, _PICTURES)
        for c in frame.columns
    )


def _markdown(result: QueryResult, out: TextIO) -> int:
    header = _markdown_cells(pl.DataFrame({f"c{i}": [n] for i, n in enumerate(result.columns)}))
    out.write("| " + " | ".join(header.row(0)) + " |\n")
    out.write("|" + "---|" * len(result.columns) + "\n")
    rows = 0
    for frame in result.batches:
        cells = _markdown_cells(frame)
        lines = cells.select(
            pl.concat_str([pl.lit("| "), pl.concat_str(pl.all(), separator=" | "), pl.lit(" |")])
        ).to_series()
        if lines.len():
            out.write("\n".join(lines.to_list()) + "\n")
        rows += frame.height
    return rows


def _shown(frame: pl.DataFrame, types: list[str]) -> pl.DataFrame:
    """Cells as a terminal shows them: controls as pictures, long values cut with an
    ellipsis, times to the second, booleans as marks."""
    cells = []
    for column, kind in zip(frame.columns, types, strict=True):
        cell = pl.col(column)
        if kind in TIMESTAMP_TYPES:
            cell = cell.str.replace(_TIME_FRACTION, "$1")
        elif kind == "boolean":
            cell = cell.replace({"true": MARKS[True], "false": MARKS[False]})
        cells.append(
            pl.when(cell.str.len_chars() > MAX_CELL_CHARS)
            .then(cell.str.slice(0, MAX_CELL_CHARS) + "…")
            .otherwise(cell)
            .str.replace_many(_CONTROLS, _PICTURES)
            .fill_null("")
            .alias(column)
        )
    return frame.select(cells)


def _table(result: QueryResult, console: Console, limit: int) -> int:
    if not result.columns:
        consume = sum(frame.height for frame in result.batches)
        console.print(Text(f"(no result columns, {consume} rows)"))
        return consume
    kept: list[pl.DataFrame] = []
    rows = 0
    for frame in result.batches:
        if rows < limit:
            kept.append(frame.head(limit - rows))
        rows += frame.height
    shown = _shown(pl.concat(kept), result.types) if kept else pl.DataFrame()
    print_cells(
        console,
        result.columns,
        list(shown.iter_rows()),
        times=any(kind in TIMESTAMP_TYPES for kind in result.types),
    )
    shown_rows = min(rows, limit)
    note = f"({rows} row{'s' if rows != 1 else ''}"
    if rows > shown_rows:
        note += f", {shown_rows} shown; --limit or --format csv for more"
    console.print(Text(note + ")"))
    return rows
