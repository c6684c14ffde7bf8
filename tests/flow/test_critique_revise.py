"""critique_revise in a real run on SmolLM2 (dg.materialize): every instruction's draft,
critique and revision are logged calls of one generator with three templates; each call ends
in a row or a decision; a revision row names its three calls in `call_ids` and `attributes`,
the critique prompt holds the draft and the criteria, the revision prompt the critique; a
pair's chosen side passes strictly more checks than its rejected side.

The 135M model's critiques are weak; the test holds the lineage, not the quality (the scripted
server in test_critique_revise_scripted.py holds the content)."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from assets.constraints import Constraint, verify
from tests.conftest import synthesized_home

PRINCIPLE = "Answer in plain words, without lists."
SEEDS = [
    {"task_type": "open_qa", "instruction": "Name three primary colors.", "response": "Red, yellow and blue."},
    {"task_type": "open_qa", "instruction": "Say hello to a friend.", "response": "Hello!", "attributes": {"constraints": [{"kind": "no_commas", "params": {}}]}},
]  # fmt: skip
MODEL = {"n_threads": 1, "n_ctx": 1024}
METHOD = {
    "method": "critique_revise",
    "principles": [PRINCIPLE],
    "generator": MODEL,
    "max_instructions": 2,
    "sampling": {"temperature": 0.3, "max_tokens": 128, "seed": 1},
    "critique_sampling": {"temperature": 0.0, "max_tokens": 48, "seed": 1},
}


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return synthesized_home(tmp_path_factory.mktemp("critique"), SEEDS, [METHOD], 3)


def q(home: Path, query: str) -> list[dict]:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        return con.sql(query).pl().to_dicts()


def test_draft_critique_and_revision_are_logged_calls_named_by_the_rows(run):
    calls = {
        c["request_hash"]: c
        for c in q(
            run,
            "SELECT c.*, g.template_name FROM model_calls c JOIN generators g USING (generator_id)",
        )
    }
    (generator,) = q(run, "SELECT * FROM generators WHERE backend != 'source'")
    # One generator, its three templates recorded with it.
    assert generator["template_name"].split("+") == ["self_instruct_response", "critique", "revise"]
    rows = q(run, "SELECT * FROM synthesized")
    decisions = [
        {**d, "evidence": json.loads(d["evidence"])}
        for d in q(run, "SELECT * FROM decisions WHERE stage = 'synthesized'")
    ]
    # Every call is named by a row or a decision.
    named = {c for r in rows for c in r["call_ids"]}
    for d in decisions:
        evidence = d["evidence"]
        named |= {evidence.get(f"{k}call_id") for k in ("", "draft_", "critique_", "revision_")}
    assert set(calls) <= named

    revisions = [r for r in rows if r["kind"] == "instruction"]
    for row in revisions:
        attributes = json.loads(row["attributes"])
        draft, critique, revision = row["call_ids"]
        assert [draft, critique, revision] == [
            attributes["draft_call_id"],
            attributes["critique_call_id"],
            attributes["revision_call_id"],
        ]
        assert calls[draft]["prompt"].strip() == row["instruction"]
        assert attributes["draft"] == calls[draft]["raw_output"].strip()
        assert attributes["draft"] in calls[critique]["prompt"]
        assert f"- {PRINCIPLE}" in calls[critique]["prompt"]
        assert attributes["critique"] in calls[revision]["prompt"]
        assert row["response"] == calls[revision]["raw_output"].strip()
        constraints = [Constraint(**c) for c in attributes["constraints"]]
        assert attributes["verification"] == verify(row["response"], constraints)
        assert all(v["passed"] for v in attributes["verification"])

    for pair in (r for r in rows if r["kind"] == "preference"):
        attributes = json.loads(pair["attributes"])
        constraints = [Constraint(**c) for c in attributes["constraints"]]
        chosen = sum(v["passed"] for v in verify(pair["response"], constraints))
        rejected = sum(v["passed"] for v in verify(attributes["rejected"], constraints))
        assert chosen > rejected
        assert pair["call_ids"] == [
            attributes["chosen_call_id"],
            attributes["rejected_call_id"],
            attributes["critique_call_id"],
        ]
    # Each instruction yields a revision row or says why not, and a pair or says why not.
    rules = {d["rule"] for d in decisions}
    assert rules <= {
        "constraint_failed.no_commas",
        "no_constraints_to_check",
        "revision_not_better",
        *(f"{step}_{rule}" for step in ("draft", "critique", "revision")
          for rule in ("empty_output", "truncated_output", "refusal")),
    }  # fmt: skip
    assert "no_constraints_to_check" in rules, "the colors seed carries no constraints"
