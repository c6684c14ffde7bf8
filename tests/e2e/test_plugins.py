"""A user's own plug-in package (tests/plugin_example), installed with pip, adds a method, a
filter and a benchmark through entry points; a recipe uses them and `synthfoundry run` runs
them with the same lineage and decisions as built-in ones."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
import yaml

from tests.conftest import TESTS, recipe_dict, venv_command

PLUGIN = TESTS / "plugin_example"
# A seed row that copies a quiz question of the plug-in's benchmark word for word.
QUIZ_COPY = (
    "Which element has the chemical symbol W, what is its melting point in degrees Celsius, "
    "and why was it historically used for the filaments of incandescent light bulbs?"
)


@pytest.fixture(scope="module")
def plugin_path(tmp_path_factory) -> Path:
    """The plug-in installed with pip into a folder of its own (not into the venv)."""
    root = tmp_path_factory.mktemp("plugin")
    source = root / "source"
    shutil.copytree(PLUGIN, source)
    target = root / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation"]
        + ["--target", str(target), str(source)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return target


ZEBRA = "Explain why a zebra has stripes, in two sentences."


def _run(home: Path, recipe: Path, plugin: Path | None) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "SYNTHFOUNDRY_HOME": str(home),
        "DAGSTER_HOME": str(home.parent / "dagster"),
    }
    if plugin is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(plugin), env.get("PYTHONPATH")]))
    return subprocess.run(
        [venv_command("synthfoundry"), "run", "--recipe", str(recipe)],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )


@pytest.fixture(scope="module")
def plugin_run(tmp_path_factory, plugin_path) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("plugin-run")
    home = root / "home"
    (home / "inbox").mkdir(parents=True)
    (root / "dagster").mkdir()
    seeds = [
        {"instruction": QUIZ_COPY, "response": "Tungsten; it melts at about 3422 C."},
        {"instruction": ZEBRA, "response": "They confuse biting flies and help keep cool."},
    ]
    (home / "inbox" / "extra.jsonl").write_text(
        "".join(json.dumps(seed) + "\n" for seed in seeds), encoding="utf-8"
    )
    recipe = recipe_dict(
        seed={"sources": [*recipe_dict()["seed"]["sources"], {"path": "home:inbox/*.jsonl"}]},
        synthesis={
            "methods": [
                *recipe_dict()["synthesis"]["methods"],
                {"method": "instruction_prefix", "prefix": "In one sentence: ", "max_rows": 4},
            ]
        },
        filters={"steps": [{"step": "banned_word", "word": "zebra"}]},
        decontamination={"benchmarks": [{"builtin": "humaneval"}, {"builtin": "example_quiz"}]},
    )
    path = home / "recipe.yaml"
    path.write_text(yaml.safe_dump(recipe, sort_keys=False), encoding="utf-8")
    result = _run(home, path, plugin_path)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return home, path


def _query(home: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        return con.sql(sql).fetchall()


def test_a_plugin_method_makes_rows_with_full_lineage(plugin_run):
    home, _ = plugin_run
    rows = _query(
        home,
        "SELECT row_id, instruction, seed_ids, parent_ids, generator_id FROM synthesized "
        "WHERE method = 'instruction_prefix'",
    )
    assert len(rows) == 4
    assert all(r[1].startswith("In one sentence: ") for r in rows)
    assert all(r[2] and r[3] == r[2] for r in rows)
    # Every row resolves to its seed rows and to a registered generator, like built-in rows.
    lineage = _query(
        home,
        "SELECT row_id, count(seed_text), count(backend) FROM row_lineage "
        "WHERE corpus = 'synthesized' AND method = 'instruction_prefix' GROUP BY row_id",
    )
    assert len(lineage) == 4 and all(seeds >= 1 and gens >= 1 for _, seeds, gens in lineage)
    (generator,) = _query(
        home,
        "SELECT backend, template_name, params FROM generators "
        f"WHERE generator_id = '{rows[0][4]}'",
    )
    assert generator[:2] == ("template", "instruction_prefix")
    assert json.loads(generator[2]) == {"prefix": "In one sentence: "}


def test_a_plugin_filter_drops_rows_with_decisions_in_the_filtered_stage(plugin_run):
    home, _ = plugin_run
    decisions = _query(
        home,
        "SELECT d.rule, d.action, d.evidence, s.instruction FROM decisions d "
        "JOIN synthesized s USING (row_id) WHERE d.stage = 'filtered' AND d.rule = 'banned_word'",
    )
    assert decisions, "the plug-in filter dropped nothing"
    for rule, action, evidence, instruction in decisions:
        assert (rule, action, json.loads(evidence)) == ("banned_word", "drop", {"word": "zebra"})
        assert "zebra" in instruction
    assert not _query(home, "SELECT 1 FROM filtered WHERE instruction LIKE '%zebra%'")


def test_a_plugin_benchmark_decontaminates_with_evidence(plugin_run):
    home, _ = plugin_run
    dropped = _query(
        home,
        "SELECT d.rule, d.evidence FROM decisions d JOIN filtered f USING (row_id) "
        "WHERE d.stage = 'decontaminated' AND f.instruction LIKE '%chemical symbol W%'",
    )
    assert dropped, "the row that copies a quiz question was not removed"
    for rule, evidence in dropped:
        assert rule == "benchmark_contamination"
        assert json.loads(evidence)["benchmark"] == "example_quiz"
    assert not _query(
        home, "SELECT 1 FROM decontaminated WHERE instruction LIKE '%chemical symbol W%'"
    )


def test_without_the_plugin_the_recipe_names_what_is_missing(plugin_run):
    home, recipe = plugin_run
    result = _run(home, recipe, plugin=None)
    assert result.returncode != 0
    message = result.stdout + result.stderr
    for name in ("instruction_prefix", "banned_word", "example_quiz"):
        assert name in message
    assert "recipe.yaml" in message
