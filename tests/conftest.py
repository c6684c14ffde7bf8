"""Shared fixtures: a fresh SynthFoundry home per test and recipes written into it."""

from __future__ import annotations

import copy
import json
import os
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import polars as pl
import pytest
import yaml

from assets.filters.pipeline import filtered_steps
from assets.recipe.sections import DedupConfig, FilterConfig
from assets.run_context import RunContext
from assets.stream import StageOutput, run_steps
from orchestration.cli import restore_interrupt_signals
from orchestration.definitions import ALL_ASSETS, CORPUS_CHECKS
from orchestration.resources import build_resources
from tests.call_recording import record_calls, replay_calls

TESTS = Path(__file__).parent
REPO = TESTS.parent
# The tier of a test is the folder it lives in: unit (no Dagster run, no model load), flow
# (`dg.materialize` runs and real models), e2e (the CLI, HTTP servers, web server, browser).
TIERS = ("unit", "flow", "e2e")


# `make test` runs the suite in two processes (pytest-xdist, `--dist loadgroup`). Tests that
# share a run must be in the same process, or each process makes the run again: a test's
# group is the first session-scoped fixture of this suite it uses (the shared runs below),
# else its module, so module-scoped runs are made once too.
# The demo run is the longest group: it starts first, so it does not run alone at the end.
FIRST_GROUPS = ("demo_run",)


def shared_group(item: pytest.Item) -> str:
    info = getattr(item, "_fixtureinfo", None)
    for name in getattr(item, "fixturenames", ()):
        definitions = info.name2fixturedefs.get(name) if info else None
        # A non-empty baseid: defined in this suite (a conftest or a test module), not a
        # plugin's (`tmp_path_factory` is session-scoped too).
        if definitions and definitions[-1].scope == "session" and definitions[-1].baseid:
            return name
    return item.nodeid.split("::")[0]


# tryfirst: xdist's own hook turns each test's `xdist_group` mark into its node id's group;
# run after it, the marks came too late and a group's tests (and its shared run) were dealt out
# to both processes, each making the run.
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    groups = {}
    for item in items:
        tier = item.path.relative_to(TESTS).parts[0]
        if tier in TIERS:
            item.add_marker(getattr(pytest.mark, tier))
        groups[item.nodeid] = shared_group(item)
        item.add_marker(pytest.mark.xdist_group(groups[item.nodeid]))
    items.sort(key=lambda item: groups[item.nodeid] not in FIRST_GROUPS)


def pytest_xdist_node_collection_finished(node: object, ids: list[str]) -> None:
    """Under `--dist loadgroup` every node id a process collected carries its group (xdist's
    `@group` suffix), or the grouping has silently stopped and each process would make every
    shared run (pytest-dev/pytest-xdist#1386: see the pytest pin in pyproject.toml)."""
    config = getattr(node, "config", None)
    if config is None or config.getoption("dist") != "loadgroup":
        return
    ungrouped = [nodeid for nodeid in ids if "@" not in nodeid.rpartition("]")[2]]
    if ungrouped:
        pytest.exit(
            f"--dist loadgroup did not group {len(ungrouped)} of {len(ids)} tests (first: "
            f"{ungrouped[0]}): this pytest and pytest-xdist no longer pass groups on; install "
            "the versions pyproject.toml pins (make env)",
            returncode=pytest.ExitCode.USAGE_ERROR,
        )


def pytest_configure(config: pytest.Config) -> None:
    # In-process Dagster runs map SIGTERM to the SIGINT handler; an inherited "ignore" would
    # then pass on to every process the tests start.
    restore_interrupt_signals()


BASE_RECIPE: dict = {
    "name": "test",
    "seed": {
        "sources": [{"path": "bundled:demo_seeds.jsonl"}, {"path": "bundled:math_templates.jsonl"}]
    },
    "synthesis": {
        "random_seed": 3,
        "methods": [
            {"method": "seed_passthrough"},
            {"method": "programmatic_math", "per_template": 3},
        ],
    },
    "quality": {
        "min_rows": {"seed": 5, "synthesized": 5, "filtered": 5, "decontaminated": 5},
        "data_docs": False,
    },
    "reports": {"plots": False, "embedding_in_metadata": False},
}

# What a materialization reports beyond its rows, decisions and checks (embedding dispersion:
# MiniLM on a sample at each stage; plots; Data Docs) costs about half of a base-recipe run's
# CPU: 21.4 s against 9.8 s in a warm process. Tests of rows, decisions and calls read none of
# it, so BASE_RECIPE turns it off; the tests that read it turn it back on with these
# (`base_flow`, read by tests/flow/test_publish.py; the CLI run of tests/e2e/test_cli.py; Data
# Docs in tests/flow/test_gates.py; the plot in tests/e2e/test_browser.py; the embeddings whose
# cached vectors tests/flow/test_attribute_flow.py's diversity gate reads). The golden demo runs
# the bundled demo recipe, which reports everything.
FULL_REPORTS = {"plots": True, "embedding_in_metadata": True}
DATA_DOCS = {"data_docs": True}

# A small self-instruct job on the embedded SmolLM2 model: real calls, a few seconds each.
SELF_INSTRUCT = {
    "method": "self_instruct",
    "num_instructions": 3,
    "examples_per_prompt": 2,
    "instruction_sampling": {"temperature": 0.8, "max_tokens": 40, "seed": 1},
    "response_sampling": {"temperature": 0.2, "max_tokens": 64, "seed": 1},
}


def venv_command(name: str) -> str:
    """A console script of this environment (the test run's PATH need not include it)."""
    return str(Path(sys.executable).parent / name)


def recipe_dict(**changes: object) -> dict:
    """BASE_RECIPE with top-level sections replaced or deep-merged (dicts merge, lists replace)."""
    recipe = copy.deepcopy(BASE_RECIPE)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(recipe.get(key), dict):
            recipe[key] = {**recipe[key], **value}
        else:
            recipe[key] = value
    return recipe


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    monkeypatch.setenv("SYNTHFOUNDRY_HOME", str(path))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster"))
    (tmp_path / "dagster").mkdir()
    return path


@contextmanager
def home_env(home: Path) -> Iterator[Path]:
    """SYNTHFOUNDRY_HOME and DAGSTER_HOME point at `home` (and `home`'s sibling `dagster`)
    inside the block: for module- and session-scoped runs, which cannot use `monkeypatch`."""
    home.mkdir(parents=True, exist_ok=True)
    (home.parent / "dagster").mkdir(exist_ok=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SYNTHFOUNDRY_HOME", str(home))
        patch.setenv("DAGSTER_HOME", str(home.parent / "dagster"))
        yield home


def synthesized_home(root: Path, seeds: list[dict], methods: list[dict], random_seed: int) -> Path:
    """A home under `root` whose seed file holds `seeds` (one JSON record a line), with the
    seed and synthesized stages materialized by `methods`: for module-scoped method runs."""
    with home_env(root / "home") as home:
        (home / "mini.jsonl").write_text("".join(json.dumps(s) + "\n" for s in seeds))
        recipe = recipe_dict(
            seed={"sources": [{"path": "home:mini.jsonl"}]},
            synthesis={"random_seed": random_seed, "methods": methods},
            quality={"min_rows": {"seed": 1, "synthesized": 0}},
        )
        path = home / "recipe.yaml"
        path.write_text(yaml.safe_dump(recipe, sort_keys=False))
        assert materialize(home, path, selection="key:seed or key:synthesized").success
    return home


def copy_home(source: Path, root: Path) -> Path:
    """A writable copy of a shared run's home under `root` (its DAGSTER_HOME beside it): a
    test that writes into a warehouse another test's run made works on its own copy."""
    target = root / "home"
    shutil.copytree(source, target)
    (root / "dagster").mkdir(exist_ok=True)
    return target


@dataclass(frozen=True)
class SharedRun:
    """A flow run shared by several tests: read-only for them (`copy_home` to write)."""

    home: Path
    recipe: Path
    result: dg.ExecuteInProcessResult


DEMO_RECIPE = "bundled:demo_recipe.yaml"
DEMO_CALLS = TESTS / "data" / "golden_demo_calls.jsonl"


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> SharedRun:
    """One in-process run of the bundled demo recipe in a fresh home, every method and stage
    (the suite's longest run, even with its model calls replayed). tests/flow/test_golden.py
    pins what it makes; other flow tests read its warehouse instead of running their own."""
    home = tmp_path_factory.mktemp("demo") / "home"
    with home_env(home):
        if updating_golden():
            result = materialize(home, DEMO_RECIPE)
            record_calls(home, DEMO_CALLS)
        else:
            # Its model calls come from the recording (tests/call_recording.py): the run makes
            # the rows, decisions and versions itself; llama.cpp does not run.
            replay_calls(home, DEMO_CALLS)
            result = materialize(home, DEMO_RECIPE)
    assert result.success
    return SharedRun(home, DEMO_RECIPE, result)


def updating_golden() -> bool:
    """`SYNTHFOUNDRY_UPDATE_GOLDEN=1`: the demo runs its model calls for real, and its golden
    file and call recording are written anew."""
    return os.environ.get("SYNTHFOUNDRY_UPDATE_GOLDEN") == "1"


# The base recipe as a user who publishes writes it: long answers (the coding seeds) are
# dropped, so the filtered stage has drops and scores to report.
PUBLISHED_RECIPE = recipe_dict(
    publish={"license": "apache-2.0", "repo_id": "synthfoundry-test/demo"},
    reports={"sample_rows": 3, **FULL_REPORTS},
    quality=DATA_DOCS,
    filters={"max_response_chars": 400},
)


@pytest.fixture(scope="session")
def base_flow(tmp_path_factory: pytest.TempPathFactory) -> SharedRun:
    """PUBLISHED_RECIPE materialized once, every asset, in a fresh home: read by
    tests/flow/test_publish.py, and the starting point (copied) of tests that need a promoted
    flow before they run their own."""
    home = tmp_path_factory.mktemp("base") / "home"
    with home_env(home):
        recipe = home / "recipe.yaml"
        recipe.write_text(yaml.safe_dump(PUBLISHED_RECIPE, sort_keys=False), encoding="utf-8")
        result = materialize(home, recipe)
    assert result.success
    return SharedRun(home, recipe, result)


@pytest.fixture
def write_recipe(home: Path):
    def write(name: str = "recipe", **changes: object) -> Path:
        path = home / f"{name}.yaml"
        path.write_text(yaml.safe_dump(recipe_dict(**changes), sort_keys=False), encoding="utf-8")
        return path

    return write


def filter_rows(
    rows: pl.DataFrame,
    filters: FilterConfig | None = None,
    dedup: DedupConfig | None = None,
    run: RunContext | None = None,
) -> StageOutput:
    """The filtered stage's steps on `rows`, for the recipe sections given (defaults else)."""
    steps = filtered_steps(filters or FilterConfig(), dedup or DedupConfig(), run or RunContext())
    return run_steps(rows, steps, stage="filtered")


def materialize(
    home: Path,
    recipe: Path | str,
    selection: str | list[str] | None = None,
    *,
    instance: dg.DagsterInstance | None = None,
    tags: dict[str, str] | None = None,
) -> dg.ExecuteInProcessResult:
    """Materialize the flow (or a selection of it) with its checks, against `home`."""
    return dg.materialize(
        [*ALL_ASSETS, *CORPUS_CHECKS],
        resources=build_resources(home=str(home), recipe=str(recipe)),
        selection=selection,
        raise_on_error=False,
        instance=instance,
        tags=tags,
    )
