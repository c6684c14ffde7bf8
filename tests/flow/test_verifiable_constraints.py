"""Verifiable constraints in a real run on SmolLM2 (one materialization shared by the tests).

constrained_instruct: every instruction gets its constraints (drawn, or carried by the seed
row), every answer is checked, kept rows carry their verification and every failed answer is
a decision naming the constraint it broke. preference_pairs with `signal: checks`: two
responders answer the same constrained instructions, no judge is called, and each
instruction becomes a pair whose chosen side passes strictly more checks, or a decision.

The embedded 135M model fails most constraints; the test holds the plumbing, not the quality:
a seed carrying a constraint any answer meets and one carrying a constraint SmolLM2 does not
meet (all capitals) make both paths run.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from assets.constraints import Constraint, ConstraintDraw, render, verify
from tests.conftest import synthesized_home

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
# One thread: llama.cpp's two-thread barriers crawl on a CPU shared with other processes.
MODEL = {"n_threads": 1, "n_ctx": 1024}
METHOD = {
    "method": "constrained_instruct",
    "generator": MODEL,
    "max_instructions": 5,
    "sampling": {"temperature": 0.3, "max_tokens": 96, "seed": 1},
}
PAIRS = {
    "method": "preference_pairs",
    "signal": "checks",
    "max_instructions": 5,
    "responses_per_generator": 1,
    "generators": [
        {"generator": MODEL, "sampling": {"temperature": 0.8, "max_tokens": 96, "seed": 1}},
        {
            "generator": MODEL,
            "template": "concise_response",
            "sampling": {"temperature": 0.8, "max_tokens": 96, "seed": 1},
        },
    ],
}

PAIRWISE = {
    **PAIRS,
    "signal": "pairwise_judge",
    "max_instructions": 3,
    "judge": MODEL,
    "judge_sampling": {"temperature": 0.0, "max_tokens": 16, "seed": 1},
}


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return synthesized_home(
        tmp_path_factory.mktemp("constrained"), SEEDS, [METHOD, PAIRS, PAIRWISE], RANDOM_SEED
    )


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
    rejected = [d for d in rejected if d["evidence"]["method"] == "constrained_instruct"]
    calls = {
        c["request_hash"]: c
        for c in q(
            run,
            # constrained_instruct's generator is the one whose parameters name `attempts`.
            "SELECT c.* FROM model_calls c JOIN generators g USING (generator_id) "
            "WHERE json_exists(g.params, '$.attempts')",
        )
    }
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
        "json_extract_string(evidence, '$.method') = 'constrained_instruct' AND "
        f"json_extract_string(evidence, '$.instruction_row_id') = '{capitals}'",
    )
    assert [d["rule"] for d in failed] == ["constraint_failed.uppercase"]
    hello = by_instruction["Say hello to a friend."]
    kept = q(
        run,
        "SELECT * FROM synthesized WHERE method = 'constrained_instruct' AND "
        f"list_contains(parent_ids, '{hello}')",
    )
    assert len(kept) == 1 and kept[0]["instruction"] == "Say hello to a friend."
    assert json.loads(kept[0]["attributes"])["constraints"] == ANY_ANSWER


def test_checks_pairs_prefer_the_response_passing_more_constraints(run):
    seeds = {r["row_id"]: r for r in q(run, "SELECT * FROM seed")}
    pairs = q(run, "SELECT * FROM synthesized WHERE method = 'preference_pairs'")
    dropped = [
        {**d, "evidence": json.loads(d["evidence"])}
        for d in q(run, "SELECT * FROM decisions WHERE stage = 'synthesized'")
    ]
    dropped = [
        d
        for d in dropped
        if d["evidence"]["method"] == "preference_pairs"
        and d["rule"] not in ("position_inconsistent", "judge_unparseable")
        and "forward_verdict" not in d["evidence"]
    ]
    pairs = [p for p in pairs if json.loads(p["attributes"])["signal"] == "checks"]
    # No judge: the only generators are the two responders and constrained_instruct's.
    # No judge for checks: the judges' templates are those of the pairwise entry alone.
    judges = q(
        run,
        "SELECT template_name FROM generators WHERE json_extract_string(params, '$.role') "
        "NOT IN ('responder') AND NOT json_exists(params, '$.attempts')",
    )
    assert [g["template_name"] for g in judges] == ["preference_pairwise"]
    # Every instruction is a pair or says why not (the responders' empty answers aside).
    accounted = [p["parent_ids"][0] for p in pairs] + [
        d["evidence"]["instruction_row_id"] for d in dropped if d["rule"] != "empty_response"
    ]
    assert sorted(accounted) == sorted(seeds)
    assert {d["rule"] for d in dropped} <= {"equal_checks", "too_few_responses", "empty_response"}
    logged = {c["request_hash"]: c for c in q(run, "SELECT * FROM model_calls")}
    for pair in pairs:
        attributes = json.loads(pair["attributes"])
        (source,) = pair["parent_ids"]
        constraints, drawn = ConstraintDraw().for_row(
            seeds[source], f"{RANDOM_SEED}:preference_pairs:{source}"
        )
        assert attributes["constraints"] == [c.model_dump() for c in constraints]
        assert attributes["signal"] == "checks" and pair["kind"] == "preference"
        assert attributes["verification"] == verify(pair["response"], constraints)
        assert attributes["rejected_verification"] == verify(attributes["rejected"], constraints)
        assert attributes["chosen_passed"] > attributes["rejected_passed"]
        assert attributes["margin"] == attributes["chosen_passed"] - attributes["rejected_passed"]
        assert pair["call_ids"] == [attributes["chosen_call_id"], attributes["rejected_call_id"]]
        # Both responders saw the constraints they were checked against.
        for call_id in pair["call_ids"]:
            assert pair["instruction"] in logged[call_id]["prompt"]
        if drawn:
            assert pair["instruction"] == render(seeds[source]["instruction"], constraints)
    for decision in dropped:
        if decision["rule"] == "equal_checks":
            passed = {r["passed"] for r in decision["evidence"]["responses"]}
            assert len(passed) == 1 and len(decision["evidence"]["responses"]) == 2


def test_pairwise_pairs_are_kept_only_when_both_orders_agree(run):
    pairs = [
        p
        for p in q(run, "SELECT * FROM synthesized WHERE method = 'preference_pairs'")
        if json.loads(p["attributes"])["signal"] == "pairwise_judge"
    ]
    dropped = [
        {**d, "evidence": json.loads(d["evidence"])}
        for d in q(run, "SELECT * FROM decisions WHERE stage = 'synthesized'")
    ]
    dropped = [d for d in dropped if "forward_verdict" in d["evidence"]]
    assert len(pairs) + len(dropped) == PAIRWISE["max_instructions"]
    logged = {c["request_hash"]: c for c in q(run, "SELECT * FROM model_calls")}
    responses = {h: c["raw_output"].strip() for h, c in logged.items()}
    for pair in pairs:
        attributes = json.loads(pair["attributes"])
        first_chosen = attributes["chosen_call_id"] == attributes["first_call_id"]
        # Both orders named the chosen response: A when it was shown first, B when second.
        assert (attributes["forward_verdict"], attributes["backward_verdict"]) == (
            ("A", "B") if first_chosen else ("B", "A")
        )
        forward = logged[attributes["forward_judge_call_id"]]["prompt"]
        backward = logged[attributes["backward_judge_call_id"]]["prompt"]
        first = responses[attributes["first_call_id"]]
        second = responses[attributes["second_call_id"]]
        assert forward.index(first) < forward.index(second)
        assert backward.index(second) < backward.index(first)
        assert pair["call_ids"][2:] == [
            attributes["forward_judge_call_id"],
            attributes["backward_judge_call_id"],
        ]
    for decision in dropped:
        evidence = decision["evidence"]
        verdicts = (evidence["forward_verdict"], evidence["backward_verdict"])
        if decision["rule"] == "position_inconsistent":
            # The same letter both times: the judge followed the position, not the response.
            assert verdicts in {("A", "A"), ("B", "B")}
        else:
            assert decision["rule"] == "judge_unparseable" and None in verdicts
