"""constrained_instruct in a real run on SmolLM2: every instruction gets its constraints
(drawn, or carried by the seed row), every answer is checked, kept rows carry their
verification and every failed answer is a decision naming the constraint it broke.

The embedded 135M model fails most constraints; the test holds the plumbing, not the quality:
a seed carrying a constraint any answer meets and one carrying a constraint SmolLM2 does not
meet (all capitals) make both paths run.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
import yaml

from assets.synthesis.constraints import Constraint, ConstraintDraw, render, verify
from tests.conftest import materialize, recipe_dict

ANY_ANSWER = [{"kind": "word_count", "params": {"relation": "at_least", "count": 1}}]
ALL_CAPITALS = [{"kind": "uppercase", "params": {}}]
SEEDS = [
    {"task_type": "open_qa", "instruction": "Name three primary colors.", "response": "Red, yellow and blue."},
    {"task_type": "open_qa", "instruction": "What is the capital of France?", "response": "Paris."},
    {"task_type": "open_qa", "instruction": "Describe the water cycle.", "response": "Water evaporates, condenses and falls."},
    {"task_type": "open_qa", "instruction": "Say hello to a friend.", "response": "Hello!", "attributes": {"constraints": ANY_ANSWER}},
    {"task_type": "open_qa", "instruction": "Describe a cat in one sentence.", "response": "A cat is a small furry animal.", "attributes": {"constraints": ALL_CAPITALS}},
]  # fmt: skip
RANDOM_SEED = 5
METHOD = {
    "method": "constrained_instruct",
    "generator": {"n_threads": 1, "n_ctx": 1024},
    "max_instructions": 5,
    "sampling": {"temperature": 0.3, "max_tokens": 96, "seed": 1},
}


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("constrained")
    home, dagster_home = root / "home", root / "dagster"
    home.mkdir()
    dagster_home.mkdir()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SYNTHFOUNDRY_HOME", str(home))
        patch.setenv("DAGSTER_HOME", str(dagster_home))
        (home / "mini.jsonl").write_text("".join(json.dumps(s) + "\n" for s in SEEDS))
        recipe = recipe_dict(
            seed={"sources": [{"path": "home:mini.jsonl"}]},
            synthesis={"random_seed": RANDOM_SEED, "methods": [METHOD]},
            quality={"min_rows": {"seed": 1, "synthesized": 0}},
        )
        path = home / "recipe.yaml"
        path.write_text(yaml.safe_dump(recipe, sort_keys=False))
        assert materialize(home, path, selection="key:seed or key:synthesized").success
    return home


def q(home: Path, query: str) -> list[dict]:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        return con.sql(query).pl().to_dicts()


def test_every_answer_is_kept_verified_or_rejected_naming_its_constraint(run):
    seeds = {r["row_id"]: r for r in q(run, "SELECT * FROM seed")}
    kept = q(run, "SELECT * FROM synthesized WHERE method = 'constrained_instruct'")
    rejected = [
        {**d, "evidence": json.loads(d["evidence"])}
        for d in q(run, "SELECT * FROM decisions WHERE stage = 'synthesized'")
    ]
    calls = {c["request_hash"]: c for c in q(run, "SELECT * FROM model_calls")}
    assert len(calls) == len(SEEDS)  # one attempt per instruction
    # Each call became a row or a decision, never both, never neither.
    kept_calls = [c for row in kept for c in row["call_ids"]]
    rejected_calls = [d["evidence"]["call_id"] for d in rejected]
    assert sorted(kept_calls + rejected_calls) == sorted(calls)

    expected: dict[str, list[dict]] = {}
    for row_id, seed in seeds.items():
        draws = ConstraintDraw()
        constraints, drawn = draws.for_row(seed, f"{RANDOM_SEED}:constrained_instruct:{row_id}")
        expected[row_id] = [c.model_dump() for c in constraints]
        carried = json.loads(seed["attributes"] or "{}").get("constraints")
        assert drawn is (carried is None) and 1 <= len(constraints) <= 3

    for row in kept:
        attributes = json.loads(row["attributes"])
        (source,) = row["parent_ids"]
        assert row["seed_ids"] == [source] and row["verified"] is True
        assert attributes["constraints"] == expected[source]
        assert attributes["base_instruction"] == seeds[source]["instruction"]
        constraints = [Constraint(**c) for c in attributes["constraints"]]
        drawn = json.loads(seeds[source]["attributes"] or "{}").get("constraints") is None
        assert row["instruction"] == (
            render(seeds[source]["instruction"], constraints)
            if drawn
            else seeds[source]["instruction"]
        )
        # The recorded verification is the checkers' verdict on the stored response.
        assert attributes["verification"] == verify(row["response"], constraints)
        assert all(v["passed"] and v["reason"] is None for v in attributes["verification"])
        (call_id,) = row["call_ids"]
        assert row["instruction"] in calls[call_id]["prompt"]

    for decision in rejected:
        evidence = decision["evidence"]
        assert evidence["method"] == "constrained_instruct"
        source = evidence["instruction_row_id"]
        if not decision["rule"].startswith("constraint_failed."):
            continue  # screened first: empty, cut off or refused
        failed = [v for v in evidence["verification"] if not v["passed"]]
        assert decision["rule"] == f"constraint_failed.{failed[0]['kind']}"
        assert evidence["failed"] == [v["kind"] for v in failed]
        assert all(v["reason"] for v in failed)
        assert [{"kind": v["kind"], "params": v["params"]} for v in evidence["verification"]] == (
            expected[source]
        )


def test_carried_constraints_drive_both_paths(run):
    by_instruction = {r["instruction"]: r["row_id"] for r in q(run, "SELECT * FROM seed")}
    capitals = by_instruction["Describe a cat in one sentence."]
    failed = q(
        run,
        "SELECT rule FROM decisions WHERE stage = 'synthesized' AND "
        f"json_extract_string(evidence, '$.instruction_row_id') = '{capitals}'",
    )
    assert [d["rule"] for d in failed] == ["constraint_failed.uppercase"]
    hello = by_instruction["Say hello to a friend."]
    kept = q(run, f"SELECT * FROM synthesized WHERE list_contains(parent_ids, '{hello}')")
    assert len(kept) == 1 and kept[0]["instruction"] == "Say hello to a friend."
    assert json.loads(kept[0]["attributes"])["constraints"] == ANY_ANSWER
