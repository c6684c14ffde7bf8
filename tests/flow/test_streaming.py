"""Streamed stages: any batch size gives the same versions, and a run killed mid-stage leaves
the last promoted version current and costs nothing on the next run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import polars as pl
import pytest
import yaml

from assets.decontamination.benchmarks import humaneval_items
from orchestration.definitions import ALL_ASSETS, CORPUS_CHECKS
from orchestration.resources import build_resources
from tests.conftest import REPO, recipe_dict
from warehouse import Warehouse
from warehouse.corpora import current_version, list_versions, read_version

STAGES = ("seed", "synthesized", "filtered", "decontaminated")
# Rows the filtered stage appends before it is killed (batches of one row each).
KILL_AFTER_ROWS = 3


def _seeds(path: Path) -> Path:
    """Seed rows that every kind of step acts on: an exact and a near duplicate, a HumanEval
    prompt, personal data, rows the heuristics drop, and plain ones; a repeated record (merged
    at seed, across batches of 7) and lines the seed reader quarantines."""
    near = [
        "Describe",
        "how",
        "the",
        "old",
        "harbour",
        "town",
        "changed",
        "over",
        "the",
        "last",
        "century,",
        "from",
        "the",
        "days",
        "when",
        "fishing",
        "boats",
        "filled",
        "the",
        "quay",
        "and",
        "the",
        "market",
        "sold",
        "the",
        "morning",
        "catch,",
        "through",
        "the",
        "years",
        "when",
        "the",
        "cannery",
        "closed",
        "and",
        "young",
        "families",
        "moved",
        "away",
        "to",
        "the",
        "cities,",
        "to",
        "the",
        "present,",
        "when",
        "visitors",
        "arrive",
        "every",
        "summer",
        "to",
        "walk",
        "along",
        "the",
        "cliffs,",
        "eat",
        "in",
        "the",
        "restaurants",
        "that",
        "line",
        "the",
        "water,",
        "and",
        "buy",
        "paintings",
        "of",
        "the",
        "lighthouse",
        "from",
        "the",
        "artists",
        "who",
        "have",
        "made",
        "their",
        "homes",
        "in",
        "the",
        "empty",
        "warehouses",
        "near",
        "the",
        "station.",
    ]
    edited = [*near[:40], "ferry", *near[41:]]
    humaneval = humaneval_items().filter(pl.col("item_id") == "HumanEval/12")["text"][0]
    pairs = [
        ("Explain how a rainbow forms after the rain.", "Sunlight refracts in droplets."),
        ("explain how a RAINBOW forms after the rain!", "Sunlight refracts in droplets"),
        (" ".join(near), "Noted, near two."),
        (" ".join(edited), "Noted, near two."),
        (humaneval, "    return None"),
        ("Email jane.roe@example.org the minutes of the meeting.", "Sent the minutes."),
        ("Hi", "Hello."),
        ("Write a haiku about the autumn wind.", "I'm sorry, but I can't help with that."),
        *[(f"Name {n} rivers that flow through Europe.", f"{n} rivers.") for n in range(2, 6)],
    ]
    lines = [
        json.dumps({"task_type": "open_qa", "instruction": i, "response": r}) for i, r in pairs
    ]
    lines += [lines[0], "{not json", json.dumps({"instruction": ""})]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _recipe(home: Path, batch_rows: int | None) -> Path:
    # Few rows: batches of one row each cost a warehouse transaction apiece.
    recipe = recipe_dict(
        seed={"sources": [{"path": str(_seeds(home / "planted.jsonl"))}]},
        # The second method makes every row again: merged in the synthesized stage.
        synthesis={
            "methods": [
                {"method": "seed_passthrough"},
                {"method": "seed_passthrough", "task_types": ["open_qa"]},
            ]
        },
        quality={"min_rows": {c: 1 for c in ("seed", "synthesized", *STAGES)}},
    )
    if batch_rows is not None:
        recipe["streaming"] = {"batch_rows": batch_rows}
    path = home / f"recipe-{batch_rows or 'default'}.yaml"
    path.write_text(yaml.safe_dump(recipe, sort_keys=False), encoding="utf-8")
    return path


def _run(home: Path, recipe: Path, selection: list[str]) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [*ALL_ASSETS, *CORPUS_CHECKS],
        resources=build_resources(home=str(home), recipe=str(recipe)),
        selection=selection,
        raise_on_error=False,
    )


def _version(wh: Warehouse, corpus: str, version: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(rows, decisions) of a version, in a canonical order, without per-run stamps."""
    _, rows = read_version(wh, corpus, version)
    with wh.reader() as con:
        decisions = con.sql(
            "SELECT row_id, stage, rule, action, score, evidence::VARCHAR AS evidence "
            "FROM decisions WHERE corpus = ? AND version = ? ORDER BY ALL",
            params=[corpus, version],
        ).pl()
    return rows.drop("run_id", "created_at").sort("row_id"), decisions


@pytest.fixture(scope="module")
def flow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A warehouse with the whole flow materialized once at the default batch size."""
    root = tmp_path_factory.mktemp("streaming")
    home = root / "home"
    home.mkdir()
    (root / "dagster").mkdir()
    saved = {k: os.environ.get(k) for k in ("SYNTHFOUNDRY_HOME", "DAGSTER_HOME")}
    os.environ.update(SYNTHFOUNDRY_HOME=str(home), DAGSTER_HOME=str(root / "dagster"))
    try:
        result = _run(
            home, _recipe(home, None), ["seed", "synthesized", "filtered", "decontaminated"]
        )
        assert result.success
        yield home
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def test_any_batch_size_gives_the_same_rows_ids_and_decisions(flow):
    wh = Warehouse(flow)
    baseline = {corpus: current_version(wh, corpus) for corpus in STAGES}
    expected = {corpus: _version(wh, corpus, baseline[corpus]) for corpus in STAGES}
    # The planted rows met every kind of step, so equal decisions are not vacuous.
    rules = {rule for corpus in STAGES for rule in expected[corpus][1]["rule"]}
    assert {
        "duplicate_seed",
        "malformed_json",
        "empty_text",
        "identical_row",
        "exact_duplicate",
        "near_duplicate",
        "benchmark_contamination",
    } <= rules
    for batch_rows in (7, 1):
        assert _run(flow, _recipe(flow, batch_rows), list(STAGES)).success
        for corpus in STAGES:
            version = current_version(wh, corpus)
            assert version != baseline[corpus]
            rows, decisions = _version(wh, corpus, version)
            assert rows.equals(expected[corpus][0]), (corpus, batch_rows)
            assert decisions.equals(expected[corpus][1]), (corpus, batch_rows)


# The filtered stage in a child process that kills itself (SIGKILL: no cleanup of any kind)
# right after its writer appended a few batches of rows: the fault injected is the kill.
_KILLED_RUN = """
import os, signal, sys
import dagster as dg
from orchestration.definitions import ALL_ASSETS, CORPUS_CHECKS
from orchestration.resources import build_resources
from warehouse.corpora import VersionWriter

append, appended = VersionWriter.append, []

def append_then_die(self, rows, decisions=None):
    append(self, rows, decisions)
    appended.append(rows.height)
    if self.corpus == "filtered" and sum(appended) >= int(sys.argv[3]):
        os.kill(os.getpid(), signal.SIGKILL)

VersionWriter.append = append_then_die
dg.materialize(
    [*ALL_ASSETS, *CORPUS_CHECKS],
    resources=build_resources(home=sys.argv[1], recipe=sys.argv[2]),
    selection=["filtered"],
)
"""


def test_a_killed_stage_leaves_the_current_version_and_the_rerun_counts_once(flow):
    wh = Warehouse(flow)
    current = current_version(wh, "filtered")
    rows, decisions = _version(wh, "filtered", current)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    killed = subprocess.run(
        [
            sys.executable,
            "-c",
            _KILLED_RUN,
            str(flow),
            str(_recipe(flow, 1)),
            str(KILL_AFTER_ROWS),
        ],
        env=env,
        cwd=REPO,
        timeout=600,
        check=False,
    )
    assert killed.returncode == -signal.SIGKILL
    with wh.reader() as con:
        writing = con.execute(
            "SELECT version FROM corpus_versions WHERE corpus = 'filtered' AND status = 'writing'"
        ).fetchall()
    assert len(writing) == 1
    partial = writing[0][0]

    # Meanwhile: the half-written version is there, but the current one stays current and
    # whole, and the corpus view shows only it.
    assert current_version(wh, "filtered") == current
    assert _version(wh, "filtered", current)[0].equals(rows)
    with wh.reader() as con:
        assert con.execute("SELECT count(*) FROM filtered").fetchone()[0] == rows.height
        stored = con.execute(
            "SELECT count(*) FROM corpus_filtered WHERE version = ?", [partial]
        ).fetchone()[0]
    assert stored >= KILL_AFTER_ROWS

    assert _run(flow, _recipe(flow, None), ["filtered"]).success
    rerun = current_version(wh, "filtered")
    assert rerun > partial
    again, decided = _version(wh, "filtered", rerun)
    assert again.equals(rows) and decided.equals(decisions)
    versions = list_versions(wh, "filtered")
    killed = versions.filter(pl.col("version") == partial).row(0, named=True)
    assert killed["status"] == "abandoned"
    with wh.reader() as con:
        left = con.execute(
            "SELECT (SELECT count(*) FROM corpus_filtered WHERE version = $v) + "
            "(SELECT count(*) FROM decisions WHERE corpus = 'filtered' AND version = $v)",
            {"v": partial},
        ).fetchone()[0]
    assert left == 0
    # The killed run's scratch files went with the re-run.
    assert not list((flow / "spill").glob("stage-*"))
