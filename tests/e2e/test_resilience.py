"""Concurrent runs and a run killed mid-synthesis leave a consistent, readable warehouse; two
runs at once pay for each model call once, and a killed run is shown as failed."""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from typing import IO

import dagster as dg
import duckdb
import polars as pl
import yaml

from tests.conftest import (
    BASE_RECIPE,
    SELF_INSTRUCT,
    copy_home,
    recipe_dict,
    venv_command,
)
from warehouse import Warehouse
from warehouse.corpora import current_version, list_versions, read_version

CORPORA = ("seed", "synthesized", "filtered", "decontaminated")


@dataclass
class Run:
    """`synthfoundry run` in its own process group, its output going to a file."""

    process: subprocess.Popen
    log: IO[str]

    def finish(self, timeout: float = 900) -> tuple[int, str]:
        """Wait for the run to exit; (exit code, its output)."""
        code = self.process.wait(timeout=timeout)
        self.log.seek(0)
        output = self.log.read()
        self.log.close()
        return code, output


def _start_run(home, recipe) -> Run:
    env = {**os.environ, "SYNTHFOUNDRY_HOME": str(home)}
    log = tempfile.TemporaryFile("w+")  # noqa: SIM115 - closed by Run.finish
    process = subprocess.Popen(
        [venv_command("synthfoundry"), "run", "--recipe", str(recipe)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    return Run(process, log)


def _model_calls(home) -> int:
    with Warehouse(home, lock_timeout_s=60).reader() as con:
        return con.sql("SELECT count(*) FROM model_calls WHERE status = 'ok'").fetchall()[0][0]


# A few real SmolLM2 calls (two evolutions, two responses): two runs beside each other make
# each of them once.
EVOLVE = {
    "method": "evol_instruct",
    "num_instructions": 2,
    "rounds": 1,
    "evolution_sampling": {"temperature": 0.7, "max_tokens": 32, "seed": 1},
    "response_sampling": {"temperature": 0.2, "max_tokens": 32, "seed": 1},
}


def test_two_runs_started_together_complete_and_pay_for_each_call_once(home, write_recipe):
    recipe = write_recipe(
        synthesis={"methods": [*BASE_RECIPE["synthesis"]["methods"], EVOLVE]},
    )
    runs = [_start_run(home, recipe), _start_run(home, recipe)]
    for code, output in [run.finish() for run in runs]:
        assert code == 0, output
        assert "lock" not in output.lower()
    with Warehouse(home).reader() as con:
        calls = con.sql(
            "SELECT request_hash, count(*) AS times FROM model_calls GROUP BY request_hash"
        ).pl()
    assert calls.height >= 2
    assert calls["times"].max() == 1

    wh = Warehouse(home)
    versions = list_versions(wh)
    for corpus in CORPORA:
        statuses = versions.filter(pl.col("corpus") == corpus)["status"].to_list()
        assert statuses == ["promoted", "promoted"], corpus
        assert current_version(wh, corpus) == 2
    first = read_version(wh, "decontaminated", 1, columns=["row_id"])[1]
    second = read_version(wh, "decontaminated", 2, columns=["row_id"])[1]
    assert first.equals(second)


def test_killed_run_leaves_last_promoted_versions_and_resumes_from_cache(
    base_flow, tmp_path, monkeypatch
):
    # The last promoted versions: the session's base flow, copied (this test adds versions).
    home = copy_home(base_flow.home, tmp_path)
    monkeypatch.setenv("SYNTHFOUNDRY_HOME", str(home))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster"))
    before = {corpus: read_version(Warehouse(home), corpus) for corpus in CORPORA}

    slow = {**SELF_INSTRUCT, "num_instructions": 6}
    recipe = home / "llm.yaml"
    methods = [*BASE_RECIPE["synthesis"]["methods"], slow]
    recipe.write_text(
        yaml.safe_dump(recipe_dict(synthesis={"methods": methods})),
        "utf-8",
    )
    doomed = _start_run(home, recipe)
    deadline = time.monotonic() + 600
    while _model_calls(home) < 2:
        assert doomed.process.poll() is None, doomed.finish()[1]
        assert time.monotonic() < deadline
        time.sleep(0.5)
    os.killpg(doomed.process.pid, signal.SIGKILL)
    doomed.finish(timeout=60)
    paid = _model_calls(home)

    # The file opens with plain DuckDB, and the downstream corpora are exactly as before.
    duckdb.connect(str(home / "warehouse.duckdb"), read_only=True).close()
    wh = Warehouse(home)
    for corpus in ("synthesized", "filtered", "decontaminated"):
        number, rows = read_version(wh, corpus)
        assert number == before[corpus][0]
        assert rows.equals(before[corpus][1])

    code, output = _start_run(home, recipe).finish()
    assert code == 0, output
    # The killed run is shown as failed, not in progress, once the next run has started.
    instance = dg.DagsterInstance.get()  # the DAGSTER_HOME both runs used
    statuses = {run.tags.get("synthfoundry/pid"): run.status for run in instance.get_runs()}
    assert statuses[str(doomed.process.pid)] == dg.DagsterRunStatus.FAILURE
    assert "left unfinished (its process died): marked failed" in " ".join(output.split())
    with wh.reader() as con:
        meta = (
            con.sql(
                "SELECT count(*) FILTER (WHERE run_id = (SELECT run_id FROM corpus_versions WHERE corpus = 'synthesized' "
                "ORDER BY version DESC LIMIT 1)) AS new_calls, count(*) AS total FROM model_calls WHERE status = 'ok'"
            )
            .pl()
            .row(0, named=True)
        )
    total_needed = 2 * slow["num_instructions"]
    assert meta["total"] <= total_needed
    assert meta["new_calls"] == meta["total"] - paid
    assert current_version(wh, "decontaminated") == before["decontaminated"][0] + 1
