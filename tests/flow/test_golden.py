"""The demo, pinned: its recipe hash, the generator id of every seed file and method, and the
row ids of every corpus. A refactor that changes any of them changes what users' warehouses
hold, so it fails here.

Regenerate `tests/data/golden_demo.json` only for an intended change of behaviour:
`SYNTHFOUNDRY_UPDATE_GOLDEN=1 pytest tests/flow/test_golden.py`.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import polars as pl
import pytest

from tests.call_recording import call_count
from tests.conftest import DEMO_CALLS, DEMO_RECIPE, TESTS, SharedRun, updating_golden
from warehouse import Warehouse

GOLDEN = TESTS / "data" / "golden_demo.json"
CORPORA = ("seed", "synthesized", "filtered", "decontaminated")


def _digest(ids: list[str]) -> str:
    return hashlib.sha256("\n".join(sorted(ids)).encode()).hexdigest()


def _snapshot(home: Path) -> dict:
    from assets.recipe import load_recipe

    with Warehouse(home).reader() as con:

        def query(sql: str) -> pl.DataFrame:
            return con.sql(sql).pl()

        seed_generators = query("SELECT DISTINCT source, generator_id FROM seed ORDER BY source")
        method_generators = query(
            "SELECT DISTINCT method, generator_id FROM synthesized ORDER BY method, generator_id"
        )
        generators = query("SELECT generator_id FROM generators ORDER BY generator_id")
        corpora = {}
        for corpus in CORPORA:
            rows = query(f"SELECT row_id, method FROM {corpus}")  # noqa: S608 (fixed names)
            per_method = {
                str(method): {"rows": group.height, "sha256": _digest(group["row_id"].to_list())}
                for (method,), group in sorted(rows.group_by("method"), key=lambda g: str(g[0][0]))
            }
            corpora[corpus] = {
                "rows": rows.height,
                "sha256": _digest(rows["row_id"].to_list()),
                "per_method": per_method,
            }
    return {
        "recipe_sha256": load_recipe(DEMO_RECIPE, home).sha256,
        "seed_generators": dict(seed_generators.iter_rows()),
        "method_generators": [list(r) for r in method_generators.iter_rows()],
        "generators": generators["generator_id"].to_list(),
        "corpora": corpora,
    }


@pytest.fixture(scope="module")
def demo(demo_run: SharedRun) -> dict:
    """What the session's one run of the bundled demo recipe (conftest `demo_run`, a fresh
    home) made."""
    snapshot = _snapshot(demo_run.home)
    if updating_golden():
        GOLDEN.write_text(json.dumps(snapshot, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return {**snapshot, "home": demo_run.home}


@pytest.fixture(scope="module")
def golden() -> dict:
    return json.loads(GOLDEN.read_text(encoding="utf-8"))


def test_every_model_call_of_the_demo_is_in_its_recording(demo):
    # A call the recording lacks was made for real: the demo's prompts, templates or sampling
    # changed, so its rows may have too. Record again with SYNTHFOUNDRY_UPDATE_GOLDEN=1.
    recorded = sum(1 for line in DEMO_CALLS.read_text(encoding="utf-8").splitlines() if line)
    assert call_count(demo["home"]) == recorded


def test_the_demo_recipe_hashes_as_before(demo, golden):
    assert demo["recipe_sha256"] == golden["recipe_sha256"]


def test_seed_files_and_methods_keep_their_generator_ids(demo, golden):
    # Seed files are named as the recipe names them (`bundled:…`), not by absolute path, so a
    # clone elsewhere gives the same ids.
    assert all(not source.startswith("/") for source in demo["seed_generators"])
    assert demo["seed_generators"] == golden["seed_generators"]
    assert demo["method_generators"] == golden["method_generators"]
    assert demo["generators"] == golden["generators"]


@pytest.mark.parametrize("corpus", CORPORA)
def test_every_corpus_keeps_its_row_ids(demo, golden, corpus):
    assert demo["corpora"][corpus]["per_method"] == golden["corpora"][corpus]["per_method"]
    assert demo["corpora"][corpus] == golden["corpora"][corpus]


# What the demo published before the defect rules (issue 19), one phrase of each bad row: an
# echoed magpie turn, a statement as a self-instruct task, grounded QA's empty question and
# its wrong answer, a simulated user speaking as an AI, a tool-use answer cut off mid-sentence,
# a self_chat answer that garbles its seed's "Rayleigh scattering".
DEFECTS_ONCE_PUBLISHED = (
    "a person who owns a small business is not a villain",
    "what is the answer to the question",
    "is a tributary of the nile",
    "i'm not a helpful ai",
    "fixed into sugars such",
    "rayleigh scrubber scattering",
)


def defect_rule_steps(recipe) -> list:
    """The recipe's defect rules (assets/filters/defects, and garbled_term, which holds an
    answer to its reference's terms) but the off-topic one, which reads the embedding cache of
    the run: it judged these rows there."""
    from assets.registry import FILTERS
    from assets.run_context import RunContext

    return [
        step
        for cls in FILTERS.built_in()
        if (cls.__module__.startswith("assets.filters.defects") or cls.config_key == "garbled_term")
        and cls.config_key != "off_topic"
        for step in cls.from_config(getattr(recipe.filters, cls.config_key), RunContext())
    ]


def published_model_rows_problems(home) -> tuple[list[dict], list[str]]:
    """Decisions the defect rules take on the demo's published model-written rows, and the
    phrases of once-published defects still found in them."""
    from assets.recipe import load_recipe
    from assets.stream import run_steps

    with Warehouse(home).reader() as con:
        written = con.sql(
            "SELECT * FROM decontaminated "
            "WHERE method NOT IN ('seed_passthrough', 'programmatic_math')"
        ).pl()
    steps = defect_rule_steps(load_recipe(DEMO_RECIPE, home))
    again = run_steps(written, steps, "check")
    texts = " ".join(
        f"{row.get('instruction') or ''} {row.get('text') or row.get('response') or ''}".lower()
        for row in written.iter_rows(named=True)
    )
    found = [phrase for phrase in DEFECTS_ONCE_PUBLISHED if phrase in texts]
    return again.decisions.select("rule", "evidence").to_dicts(), found


def test_published_model_written_rows_pass_every_defect_rule(demo):
    decisions, phrases = published_model_rows_problems(demo["home"])
    assert decisions == [] and phrases == []
