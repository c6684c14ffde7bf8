"""The `synthfoundry` command, run as a user would run it."""

from __future__ import annotations

import json
import os
import subprocess

import polars as pl
import pytest
import yaml

from tests.conftest import recipe_dict, venv_command


def _cli(home, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "SYNTHFOUNDRY_HOME": str(home),
        "DAGSTER_HOME": str(home.parent / "dagster"),
        "COLUMNS": "200",
    }
    result = subprocess.run(
        [venv_command("synthfoundry"), *args], capture_output=True, text=True, env=env, timeout=600
    )
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    # DuckDB's bindings report each of their objects still alive at exit (warehouse/connection.py).
    assert "nanobind" not in result.stderr, result.stderr[-2000:]
    return result


@pytest.fixture(scope="module")
def ran(tmp_path_factory):
    """One CLI run of the base recipe, read by every test of the module (a run costs ~1 min)."""
    root = tmp_path_factory.mktemp("cli")
    home = root / "home"
    home.mkdir()
    (root / "dagster").mkdir()
    recipe = home / "recipe.yaml"
    recipe.write_text(yaml.safe_dump(recipe_dict(), sort_keys=False), encoding="utf-8")
    result = _cli(home, "run", "--recipe", str(recipe))
    return home, result


def test_run_reports_progress_and_where_results_are(ran):
    home, result = ran
    for step in ("seed", "synthesized", "filtered", "decontaminated", "published"):
        assert f"✓ {step}" in result.stdout
    assert "✓ check decontaminated" in result.stdout
    assert "succeeded" in result.stdout
    assert str(home / "warehouse.duckdb") in result.stdout


def test_versions_trace_sql_and_export(ran, tmp_path):
    home, _ = ran
    versions = _cli(home, "versions", "filtered").stdout
    assert "promoted" in versions and "synthesized v1" in versions

    rows = _cli(
        home,
        "sql",
        "SELECT row_id FROM decontaminated WHERE method = 'programmatic_math' LIMIT 1",
        "--format",
        "csv",
    )
    row_id = rows.stdout.strip().splitlines()[-1]
    traced = json.loads(_cli(home, "trace", row_id, "--json").stdout)
    assert traced["found"]
    assert traced["seeds"][0]["kind"] == "template"
    assert traced["generators"][0]["backend"] == "programmatic"
    assert {o["corpus"] for o in traced["occurrences"]} == {
        "synthesized",
        "filtered",
        "decontaminated",
    }
    assert "The answer is" in _cli(home, "trace", row_id).stdout

    refused = _cli(home, "sql", "DELETE FROM decisions", check=False)
    assert refused.returncode == 2 and "read-only" in refused.stdout

    out = tmp_path / "export"
    _cli(home, "export", "--corpus", "filtered", "--version", "1", "--out", str(out))
    exported = pl.read_parquet(out / "data.parquet")
    assert exported.height == json.loads((out / "manifest.json").read_text())["row_count"] > 0


def test_bad_recipe_exits_with_the_key_named(home, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "name: x\nseed: {sources: [{path: a.jsonl}]}\nsynthesis: {methods: [{method: nope}]}\n"
    )
    result = _cli(home, "run", "--recipe", str(bad), check=False)
    assert result.returncode == 2
    assert "bad.yaml" in result.stdout and "synthesis.methods.0" in result.stdout
