"""The `synthfoundry` command, run as a user would run it."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import polars as pl
import pytest
import yaml

from orchestration.cli import main
from tests.conftest import DATA_DOCS, FULL_REPORTS, recipe_dict, venv_command


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
    """One CLI run of the base recipe, reporting all a user's run reports, read by every test
    of the module (a run costs ~1 min)."""
    root = tmp_path_factory.mktemp("cli")
    home = root / "home"  # `run` creates it
    (root / "dagster").mkdir()
    recipe = root / "recipe.yaml"
    recipe.write_text(
        yaml.safe_dump(recipe_dict(reports=FULL_REPORTS, quality=DATA_DOCS), sort_keys=False),
        encoding="utf-8",
    )
    result = _cli(home, "run", "--recipe", str(recipe))
    return home, result


def test_run_reports_progress_and_where_results_are(ran):
    home, result = ran
    for step in ("seed", "synthesized", "filtered", "decontaminated", "published"):
        assert f"✓ {step}" in result.stdout
    assert "✓ check decontaminated" in result.stdout
    assert "succeeded" in result.stdout
    assert str(home / "warehouse.duckdb") in result.stdout
    assert f"creating a new SynthFoundry home at {home}" in result.stdout


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
    assert refused.returncode == 2 and "read-only" in refused.stderr

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
    assert "bad.yaml" in result.stderr and "synthesis.methods.0" in result.stderr
    assert "Traceback" not in result.stderr and result.stderr.startswith("error: ")


def _main(capsys, *args: str) -> tuple[int, str, str]:
    """The command line in this process (argparse entry), with what it printed."""
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_sql_on_a_real_warehouse_is_read_only_and_shows_data_as_it_is(ran, capsys, tmp_path):
    home, _ = ran
    base = ("--home", str(home), "sql")
    before = sorted(p.name for p in home.iterdir())
    for query in (
        f"COPY (SELECT * FROM seed) TO '{tmp_path / 'seed.csv'}'",
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM read_text('/etc/passwd')",
        f"SELECT * FROM read_parquet('{home / 'exports' / '*' / '*' / 'data.parquet'}')",
        f"ATTACH '{tmp_path / 'other.duckdb'}' AS other",
        "INSTALL httpfs",
        "SET enable_external_access = true",
        "SELECT 1; DROP VIEW seed",
    ):
        code, out, err = _main(capsys, *base, query)
        assert code == 2 and out == "", query
        assert err.startswith("error: refused:") and err.count("\n") == 1, err
        assert "root:" not in err
    assert list(tmp_path.iterdir()) == []
    assert sorted(p.name for p in home.iterdir()) == before

    # List columns (seed_ids, parent_versions) as JSON in CSV; the table keeps values intact.
    code, out, _ = _main(
        capsys,
        *base,
        "SELECT corpus, parent_versions FROM corpus_versions ORDER BY ALL",
        "--format",
        "csv",
    )
    rows = pl.read_csv(out.encode())
    parents = dict(zip(rows["corpus"], rows["parent_versions"], strict=True))
    assert json.loads(parents["filtered"]) == [{"corpus": "synthesized", "version": 1}]
    code, out, _ = _main(
        capsys, *base, "SELECT seed_ids FROM synthesized LIMIT 1", "--format", "jsonl"
    )
    assert isinstance(json.loads(out)["seed_ids"], list)
    code, out, _ = _main(
        capsys, *base, "SELECT 'postgres:x:101' AS a, ':smile:' AS b, '[bold]b[/bold]' AS c"
    )
    assert code == 0 and out.endswith("\n")
    assert "postgres:x:101" in out and ":smile:" in out and "[bold]b[/bold]" in out


def test_expected_failures_are_one_line(ran, capsys, tmp_path):
    home, _ = ran
    code, out, err = _main(capsys, "--home", str(home), "export", "--version", "99")
    assert code == 2 and err.count("\n") == 1
    assert "v99 does not exist" in err and "synthfoundry versions" in err

    code, _, err = _main(capsys, "--home", str(home), "run", "--recipe", str(tmp_path / "no.yaml"))
    assert code == 2 and err.count("\n") == 1 and "no.yaml" in err
    log = Path(err.split("full log: ")[1].rstrip(")\n"))
    assert "Traceback" in log.read_text()
    code, _, err = _main(
        capsys, "--verbose", "--home", str(home), "run", "--recipe", str(tmp_path / "no.yaml")
    )
    assert code == 2 and "Traceback" in err

    missing = tmp_path / "typo"
    for command in (["sql", "SELECT 1"], ["versions"], ["export"], ["report"]):
        code, _, err = _main(capsys, "--home", str(missing), *command)
        assert code == 2 and err.startswith(f"error: no SynthFoundry home at {missing}"), err
    assert not missing.exists()


def test_a_failed_step_is_one_line_without_a_stack_trace(home, tmp_path):
    recipe = tmp_path / "missing_seed.yaml"
    missing = tmp_path / "nowhere.jsonl"
    recipe.write_text(
        yaml.safe_dump(recipe_dict(seed={"sources": [{"path": str(missing)}]}), sort_keys=False)
    )
    result = _cli(home, "run", "--recipe", str(recipe), check=False)
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "seed failed" in errors[0] and str(missing) in errors[0]
    assert "Traceback" not in result.stderr + result.stdout
    assert "Stack Trace" not in result.stderr + result.stdout
    log = Path(errors[0].split("full log: ")[1].rstrip(")"))
    assert log.parent == home / "logs" and "Stack Trace" in log.read_text()
