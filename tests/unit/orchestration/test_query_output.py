"""`synthfoundry sql` output shows the data as it is: no markup or emoji codes read, nested
values as JSON, readable at 80 columns, in every format."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from rich.console import Console

from orchestration.query_output import write_result
from warehouse import Warehouse
from warehouse.user_sql import user_query

TRICKY = {
    "passwd": "postgres:x:101",
    "emoji": ":smile: :thumbs_up:",
    "markup": "[bold]b[/bold] [red]r[/]",
    "lines": "first line\nsecond | line",
    "quote": 'say "hi", then go',
}


@pytest.fixture(scope="module")
def wh(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    warehouse = Warehouse(tmp_path_factory.mktemp("output") / "home")
    with warehouse.writer() as con:
        con.execute(
            "CREATE TABLE tricky AS SELECT "
            + ", ".join(f"$${value}$$ AS {name}" for name, value in TRICKY.items())
            + ", ['a:b', '[i]x[/i]'] AS tags, {'who': ':smile:', 'n': [1, 2]} AS info, "
            "[{'corpus': 'seed', 'version': 1}] AS parents, NULL::VARCHAR AS missing"
        )
        con.execute(
            "CREATE TABLE wide AS SELECT " + ", ".join(f"{i} AS column_{i}" for i in range(12))
        )
        con.execute("CREATE TABLE long AS SELECT repeat('word ', 400) AS text, 1 AS n")
    return warehouse


def _render(wh: Warehouse, query: str, fmt: str, width: int = 80, limit: int = 50) -> str:
    out = io.StringIO()
    console = Console(
        file=out, width=width, highlight=False, markup=False, emoji=False, color_system=None
    )
    encoding = "json" if fmt in ("json", "jsonl") else "text"
    with user_query(wh, query, encoding) as result:
        write_result(result, fmt, out, console, limit)
    return out.getvalue()


def test_table_shows_values_uninterpreted_within_80_columns(wh):
    shown = _render(wh, "SELECT passwd, emoji, markup, lines FROM tricky", "table")
    assert shown.endswith("\n")
    assert all(len(line) <= 80 for line in shown.splitlines())
    for value in ("postgres:x:101", ":smile:", ":thumbs_up:", "[bold]b[/bold]", "[red]r[/]"):
        assert value in shown, value
    assert "first line" in shown and "second | line" in shown
    assert "(1 row)" in shown


def test_table_of_many_columns_keeps_their_order(wh):
    shown = _render(wh, "SELECT * FROM wide", "table")
    assert all(len(line) <= 80 for line in shown.splitlines())
    positions = [shown.index(f"column_{i} ") for i in range(12)]
    assert positions == sorted(positions)


def test_table_cuts_long_values_with_an_ellipsis_and_counts_rows_not_shown(wh):
    shown = _render(wh, "SELECT * FROM long", "table")
    assert "…" in shown and shown.count("word") < 100
    more = _render(wh, "SELECT range FROM range(7)", "table", limit=3)
    assert "(7 rows, 3 shown" in more


def test_csv_has_nested_values_as_json(wh):
    text = _render(wh, "SELECT * FROM tricky", "csv")
    assert text.endswith("\n")
    (row,) = list(csv.DictReader(io.StringIO(text)))
    for name, value in TRICKY.items():
        assert row[name] == value
    assert json.loads(row["tags"]) == ["a:b", "[i]x[/i]"]
    assert json.loads(row["info"]) == {"who": ":smile:", "n": [1, 2]}
    assert json.loads(row["parents"]) == [{"corpus": "seed", "version": 1}]
    assert row["missing"] == ""


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_json_formats_keep_types_and_nesting(wh, fmt):
    text = _render(wh, "SELECT * FROM tricky, range(2) AS r(i)", fmt)
    assert text.endswith("\n")
    rows = json.loads(text) if fmt == "json" else [json.loads(line) for line in text.splitlines()]
    assert [row["i"] for row in rows] == [0, 1]
    row = rows[0]
    assert {name: row[name] for name in TRICKY} == TRICKY
    assert row["tags"] == ["a:b", "[i]x[/i]"] and row["info"] == {"who": ":smile:", "n": [1, 2]}
    assert row["missing"] is None
    assert json.loads(_render(wh, "SELECT * FROM tricky WHERE false", "json")) == []


def test_markdown_escapes_what_would_break_the_table(wh):
    text = _render(wh, "SELECT passwd, lines, tags FROM tricky", "markdown")
    header, rule, row = text.splitlines()
    assert header == "| passwd | lines | tags |" and rule == "|---|---|---|"
    assert row == '| postgres:x:101 | first line<br>second \\| line | ["a:b","[i]x[/i]"] |'


def test_control_characters_cannot_drive_the_terminal(wh, tmp_path: Path):
    shown = _render(wh, "SELECT 'red' || chr(27) || '[31m' AS v", "table")
    assert "\x1b" not in shown and "\u241b[31m" in shown
