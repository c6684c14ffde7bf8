"""CLI tables fit the terminal: at 80 and 120 columns no header wraps and no time is broken;
times are to the second and said once to be UTC, booleans are marks; a table that cannot fit
is shown as records. Checked on `versions`, `sql` and the end of `run`."""

from __future__ import annotations

import io
import re
from datetime import datetime
from pathlib import Path

import polars as pl
import pytest
from rich.console import Console

from orchestration import cli
from orchestration.commands import run, versions
from orchestration.query_output import write_result
from orchestration.tables import TIME_NOTE, fitted_widths, print_frame
from warehouse import ParentVersion, Warehouse
from warehouse.corpora import decide_version, stage_version
from warehouse.rows import conform, with_row_ids
from warehouse.user_sql import user_query

WIDTHS = (80, 120)
TIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")


def _console(width: int) -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    console = Console(
        file=out, width=width, highlight=False, markup=False, emoji=False, color_system=None
    )
    return console, out


def assert_fits(text: str, width: int, headers: list[str], times: int) -> None:
    """Every line within `width`; each header whole on one line (as a header or a record's
    name); `times` times whole, to the second, UTC said once."""
    lines = text.splitlines()
    assert all(len(line) <= width for line in lines), text
    for header in headers:
        assert any(re.search(rf"(^|[│┃ ]){re.escape(header)}( |$)", line) for line in lines), (
            header,
            text,
        )
    shown = TIME.findall(text)
    assert len(shown) == times, text
    assert not re.search(r"\d{2}:\d{2}:\d{2}\.\d", text), "times are to the second"
    if times:
        assert text.count(TIME_NOTE) == 1, text


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse with promoted seed and filtered versions (no Dagster run)."""
    path = tmp_path_factory.mktemp("tables") / "home"
    wh = Warehouse(path)
    rows = with_row_ids(
        conform(
            pl.DataFrame(
                {
                    "kind": ["instruction"] * 3,
                    "instruction": [f"Name a colour number {i}." for i in range(3)],
                    "response": ["Blue."] * 3,
                    "created_at": [datetime(2026, 12, 6, 9, 53, 5, 627152)] * 3,
                }
            )
        )
    )
    parents: list[ParentVersion] = []
    for corpus in ("seed", "synthesized", "filtered", "decontaminated"):
        for _ in range(2):
            number = stage_version(wh, corpus, rows, parents=parents, run_id="r" * 36)
            decide_version(wh, corpus, number, promote=True, check_results={})
        parents = [ParentVersion(corpus, number)]
    return path


def _versions(home: Path, width: int, monkeypatch: pytest.MonkeyPatch) -> str:
    console, out = _console(width)
    monkeypatch.setattr(versions, "data_console", console)
    assert cli.main(["--home", str(home), "versions"]) == 0
    return out.getvalue()


@pytest.mark.parametrize("width", WIDTHS)
def test_versions_fit_the_terminal(home, width, monkeypatch):
    text = _versions(home, width, monkeypatch)
    headers = ["corpus", "version", "status", "current", "rows", "dropped", "parents"]
    assert_fits(text, width, [*headers, "created_at"], times=8)
    assert "decontaminated" in text and "synthesized v2" in text


def test_versions_are_a_table_at_120_and_records_at_80(home, monkeypatch):
    wide = _versions(home, 120, monkeypatch)
    assert re.search(r"corpus +┃ version +┃ status", wide), wide
    narrow = _versions(home, 80, monkeypatch)
    assert "row 8" in narrow and "┃" not in narrow


@pytest.mark.parametrize("width", WIDTHS)
def test_sql_shows_times_to_the_second_and_booleans_as_marks(home, width):
    console, out = _console(width)
    query = (
        "SELECT corpus, version, status, created_at, decided_at, "
        "version = 2 AS latest, TIMESTAMPTZ '2026-12-06 10:53:05.5+01' AS stamped "
        "FROM corpus_versions ORDER BY corpus, version"
    )
    with user_query(Warehouse(home), query) as result:
        write_result(result, "table", out, console, 50)
    text = out.getvalue()
    headers = ["corpus", "version", "status", "created_at", "decided_at", "latest", "stamped"]
    # created_at and the stamp on each of 8 rows; decided_at too where a version was decided.
    assert_fits(text, width, headers, times=len(TIME.findall(text)))
    assert len(TIME.findall(text)) >= 16
    assert "2026-12-06 09:53:05" in text, "a time with a zone is shown in UTC"
    assert "✓" in text and "✗" in text and "true" not in text


@pytest.mark.parametrize("width", WIDTHS)
def test_the_end_of_a_run_fits(home, width, monkeypatch):
    console, out = _console(width)
    monkeypatch.setattr(run, "data_console", console)
    monkeypatch.setattr(run, "console", console)
    run._print_next_steps(Warehouse(home))
    text = out.getvalue()
    # The warehouse and export paths are printed whole (the terminal wraps them, a copy stays
    # whole), so only the table has to fit.
    table = "\n".join(line for line in text.splitlines() if str(home) not in line)
    assert_fits(table, width, ["corpus", "version", "row_count"], times=0)
    assert f"warehouse: {home / 'warehouse.duckdb'}" in text
    assert "synthfoundry trace ROW_ID" in text


def test_long_text_folds_within_its_column_and_short_values_stay_whole():
    frame = pl.DataFrame(
        {
            "row_id": ["0123456789abcdef0123456789abcdef"],
            "created_at": [datetime(2026, 1, 2, 3, 4, 5, 6)],
            "verified": [True],
            "instruction": ["word " * 60],
        }
    )
    for width in WIDTHS:
        console, out = _console(width)
        print_frame(console, frame)
        text = out.getvalue()
        assert_fits(text, width, list(frame.columns), times=1)
        assert "✓" in text


def test_a_table_that_cannot_fit_becomes_records():
    names = [f"a_rather_long_header_{i}" for i in range(6)]
    assert fitted_widths(names, [["1"] * 6], 80) is None
    console, out = _console(80)
    print_frame(console, pl.DataFrame({name: [i] for i, name in enumerate(names)}))
    text = out.getvalue()
    assert "row 1" in text
    assert_fits(text, 80, names, times=0)


def test_widths_go_to_the_columns_that_need_them():
    rows = [["a" * 100, "b" * 30, "c"]]
    widths = fitted_widths(["long", "middle", "x"], rows, 80)
    assert widths is not None and sum(widths) + 3 * 3 + 1 == 80
    assert widths[2] == 1 and widths[1] == 30  # the middle column needs less than its share
