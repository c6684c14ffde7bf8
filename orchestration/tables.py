"""CLI tables that fit the terminal they are printed to.

Headers never wrap, and neither do short values (numbers, times, names, marks); long text
folds within its column. A table whose columns cannot fit side by side at the console's
width is shown as records instead: one (column, value) line per cell, row after row.
Times are shown to the second and said once, in the title, to be UTC; booleans are marks."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Final

import polars as pl
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

TIME_NOTE: Final = "times in UTC"
TIME_FORMAT: Final = "%Y-%m-%d %H:%M:%S"
MARKS: Final = {True: "✓", False: "✗"}
# A column whose values all fit in this many cells keeps them on one line.
SHORT_CELLS: Final = 20
# Narrower than this, a column of long text is unreadable: rows are shown as records instead.
MIN_COLUMN_WIDTH: Final = 12


def shown_frame(frame: pl.DataFrame) -> tuple[pl.DataFrame, bool]:
    """`frame` as the text a table shows (null as empty), and whether it has times: times
    to the second (the warehouse keeps UTC), booleans as marks, lists joined by commas,
    structs as JSON."""
    columns: list[pl.Expr] = []
    times = False
    for name, dtype in frame.schema.items():
        column = pl.col(name)
        if isinstance(dtype, pl.Datetime):
            times = True
            if dtype.time_zone is not None:
                column = column.dt.convert_time_zone("UTC")
            column = column.dt.strftime(TIME_FORMAT)
        elif dtype == pl.Boolean:
            column = column.replace_strict(MARKS, return_dtype=pl.String)
        elif isinstance(dtype, pl.List) and dtype.inner == pl.String:
            column = column.list.join(", ")
        elif isinstance(dtype, pl.List | pl.Struct | pl.Array):
            column = column.map_elements(
                lambda value: json.dumps(value, default=str), return_dtype=pl.String
            )
        columns.append(column.cast(pl.String).fill_null("").alias(name))
    return frame.select(columns), times


def print_frame(console: Console, frame: pl.DataFrame, title: str | None = None) -> None:
    """A typed frame as a table that fits `console` (`shown_frame`, then `print_cells`)."""
    shown, times = shown_frame(frame)
    print_cells(console, frame.columns, list(shown.iter_rows()), title=title, times=times)


def _width(value: str) -> int:
    """Terminal cells of a value's longest line."""
    return max((cell_len(line) for line in value.split("\n")), default=0)


def print_cells(
    console: Console,
    names: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    title: str | None = None,
    times: bool = False,
) -> None:
    """Rows of text under `names`: a table when its columns fit side by side at the
    console's width, records otherwise. `times`: the title says times are UTC."""
    if times:
        title = f"{title} ({TIME_NOTE})" if title else TIME_NOTE
    widths = fitted_widths(names, rows, console.width)
    if widths is None:
        console.print(_records(names, rows, title))
        return
    # Rule lines between rows once a cell takes more than one line.
    tall = any(
        "\n" in value or cell_len(value) > width
        for row in rows
        for value, width in zip(row, widths, strict=True)
    )
    table = Table(title=title, show_lines=tall)
    for name, width in zip(names, widths, strict=True):
        table.add_column(Text(name), width=width, overflow="fold")
    for row in rows:
        table.add_row(*[Text(value) for value in row])
    console.print(table)


def fitted_widths(
    names: Sequence[str], rows: Sequence[Sequence[str]], width: int
) -> list[int] | None:
    """Each column's width in a table of `width` cells, or None when the columns cannot
    fit side by side: a header never wraps, a column of short values (`SHORT_CELLS`) keeps
    its widest, a column of long text gets at least `MIN_COLUMN_WIDTH`; what is left goes
    to the long columns, the ones that need least first."""
    natural = [
        max([cell_len(name), *(_width(row[i]) for row in rows)]) for i, name in enumerate(names)
    ]
    minimum = [
        full if full <= SHORT_CELLS else max(cell_len(name), MIN_COLUMN_WIDTH)
        for name, full in zip(names, natural, strict=True)
    ]
    # Rich's default box: a rule and a space either side of each cell, one closing rule.
    room = width - (3 * len(names) + 1)
    if sum(minimum) > room:
        return None
    widths = list(minimum)
    spare = room - sum(widths)
    wanting = sorted(
        (i for i in range(len(names)) if natural[i] > widths[i]),
        key=lambda i: natural[i] - widths[i],
    )
    for left, i in enumerate(wanting):
        grant = min(natural[i] - widths[i], spare // (len(wanting) - left))
        widths[i] += grant
        spare -= grant
    return widths


def _records(names: Sequence[str], rows: Sequence[Sequence[str]], title: str | None) -> Table:
    """Each row as a record of (column, value) lines, in column order."""
    table = Table(title=title, show_header=False)
    table.add_column(overflow="fold", no_wrap=True, style="bold")
    table.add_column(overflow="fold")
    for number, row in enumerate(rows, start=1):
        table.add_row(Text(f"row {number}", style="dim"), Text(""))
        for name, value in zip(names, row, strict=True):
            table.add_row(Text(name), Text(value))
        table.add_section()
    return table
