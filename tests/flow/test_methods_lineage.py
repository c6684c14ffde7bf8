"""Every synthesis method in one real run on SmolLM2: rows with correct lineage, and every
candidate a method threw away recorded as a decision.

The run is shared by the tests of this module (one materialization, ~30 short model calls).
Methods listed twice with a stricter threshold reuse the first entry's cached calls and turn
its candidates into decisions, so each rejection rule is exercised on real model output.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import polars as pl
import pytest
import yaml

from tests.conftest import materialize, recipe_dict

SEEDS = [
    {"task_type": "open_qa", "instruction": "Name three primary colors.", "response": "Red, yellow and blue."},
    {"task_type": "open_qa", "instruction": "What is the capital of France?", "response": "Paris."},
    {"task_type": "rewriting", "instruction": "Rewrite in the past tense: I walk to school.", "response": "I walked to school."},
    {"task_type": "math", "instruction": "What is 2 + 3?", "response": "2 + 3 = 5.\nThe answer is 5.", "answer": "5"},
    {"kind": "document", "task_type": "science", "text": "Water boils at 100 degrees Celsius at sea level. High in the mountains the air pressure is lower, so water boils at a lower temperature and food takes longer to cook."},
    {
        "kind": "template", "task_type": "math", "instruction": "What is {a} + {b}?",
        "response": "{a} + {b} = {answer}.\nThe answer is {answer}.", "answer": "a + b",
        "attributes": {"variables": {"a": {"int": [1, 9]}, "b": {"int": [1, 9]}}, "checks": ["answer == a + b"]},
    },
]  # fmt: skip


def _s(max_tokens: int, temperature: float = 0.3) -> dict:
    return {"temperature": temperature, "max_tokens": max_tokens, "seed": 1}


# One thread: llama.cpp's two-thread barriers crawl on a CPU shared with other processes.
MODEL = {"n_threads": 1, "n_ctx": 1024}


SELF_INSTRUCT = {
    "generator": MODEL,
    "method": "self_instruct",
    "num_instructions": 2,
    "examples_per_prompt": 2,
    "instruction_sampling": _s(32, 0.8),
    "response_sampling": _s(24),
}
EVOL = {
    "generator": MODEL,
    "method": "evol_instruct",
    "task_types": ["open_qa"],
    "num_instructions": 1,
    "rounds": 2,
    "operations": ["add_constraints", "breadth"],
    "evolution_sampling": _s(96, 0.7),
    "response_sampling": _s(16),
}
REPHRASE = {"method": "rephrase", "generator": MODEL, "styles": ["plain"], "sampling": _s(72)}
COT = {
    "generator": MODEL,
    "method": "verified_cot",
    "sources": ["seed", "programmatic_math"],
    "samples_per_problem": 2,
    "sampling": _s(64, 0.7),
}
GROUNDED = {
    "method": "grounded_qa",
    "generator": MODEL,
    "judge": MODEL,
    "min_support": 0.2,
    "sampling": _s(96),
    "judge_sampling": _s(16, 0.0),
}
PREFERENCE = {
    "method": "preference_pairs",
    "task_types": ["open_qa"],
    "max_instructions": 1,
    "responses_per_generator": 1,
    "generators": [
        {"generator": MODEL, "sampling": _s(32, 0.8)},
        {"generator": MODEL, "template": "concise_response", "sampling": _s(32, 0.8)},
    ],
    "judge": MODEL,
    "judge_sampling": _s(16, 0.0),
    "min_margin": 0,
}
BACK = {
    "generator": MODEL,
    "method": "back_translation",
    "task_types": ["open_qa"],
    "max_instructions": 1,
    "min_similarity": 0.2,
    "sampling": _s(32, 0.0),
}
METHODS = [
    {"method": "programmatic_math", "per_template": 1},
    SELF_INSTRUCT,
    {**SELF_INSTRUCT, "max_rouge_l": 0.0, "min_instruction_words": 1},
    EVOL,
    REPHRASE,
    COT,
    GROUNDED,
    {**GROUNDED, "min_support": 1.0},
    PREFERENCE,
    {**PREFERENCE, "min_margin": 100},
    BACK,
    {**BACK, "min_similarity": 1.0},
]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("methods")
    home, dagster_home = root / "home", root / "dagster"
    home.mkdir()
    dagster_home.mkdir()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SYNTHFOUNDRY_HOME", str(home))
        patch.setenv("DAGSTER_HOME", str(dagster_home))
        (home / "mini.jsonl").write_text("".join(json.dumps(s) + "\n" for s in SEEDS))
        recipe = recipe_dict(
            seed={"sources": [{"path": "home:mini.jsonl"}]},
            synthesis={"random_seed": 3, "methods": METHODS},
            quality={"min_rows": {"seed": 1, "synthesized": 1}},
        )
        path = home / "recipe.yaml"
        path.write_text(yaml.safe_dump(recipe, sort_keys=False))
        result = materialize(home, path, selection="key:seed or key:synthesized")
        assert result.success
    return home


def q(home: Path, query: str) -> pl.DataFrame:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        return con.sql(query).pl()


def rows(home: Path, method: str) -> list[dict]:
    return q(
        home, f"SELECT * FROM synthesized WHERE method = '{method}' ORDER BY row_id"
    ).to_dicts()


def decisions(home: Path) -> list[dict]:
    found = q(home, "SELECT * FROM decisions WHERE stage = 'synthesized'").to_dicts()
    return [{**d, "evidence": json.loads(d["evidence"])} for d in found]


def calls(home: Path, prompt_start: str) -> list[dict]:
    return q(
        home, f"SELECT * FROM model_calls WHERE starts_with(prompt, '{prompt_start}')"
    ).to_dicts()


def seed_rows(home: Path) -> dict[str, dict]:
    return {r["row_id"]: r for r in q(home, "SELECT * FROM seed").to_dicts()}


def test_every_row_resolves_to_seeds_generators_and_calls(run):
    synthesized = q(run, "SELECT * FROM synthesized")
    assert set(synthesized["method"]) >= {"programmatic_math", "evol_instruct"}
    # Every model-calling method made rows or recorded why it made none.
    generated = set(q(run, "SELECT DISTINCT generator_id FROM model_calls")["generator_id"])
    methods = {m["method"] for m in METHODS if m["method"] != "programmatic_math"}
    assert len(generated) >= len(methods)
    seeds = seed_rows(run)
    generators = set(q(run, "SELECT generator_id FROM generators")["generator_id"])
    logged = set(q(run, "SELECT request_hash FROM model_calls")["request_hash"])
    for row in synthesized.to_dicts():
        assert row["seed_ids"] and set(row["seed_ids"]) <= set(seeds), row
        assert row["generator_id"] in generators
        assert set(row["call_ids"] or []) <= logged
        if row["method"] != "programmatic_math":
            assert row["call_ids"] and row["parent_ids"] is not None
    # Every rejected candidate names its method, so `generator_yield` names a generator that
    # kept nothing; each of those generators appears there.
    rejected = decisions(run)
    assert rejected and {d["evidence"]["method"] for d in rejected} <= methods
    yields = q(run, "SELECT generator_id, method FROM generator_yield")
    assert yields["method"].null_count() == 0


def test_self_instruct_screens_every_candidate_against_the_pool(run):
    made = calls(run, "Here are some example tasks")
    assert len(made) == SELF_INSTRUCT["num_instructions"]
    rejected = [
        d
        for d in decisions(run)
        if d["evidence"].get("call_id") in {c["request_hash"] for c in made}
    ]
    # The strict entry (max_rouge_l 0) rejects every candidate, each under one named rule.
    assert {d["evidence"]["call_id"] for d in rejected} == {c["request_hash"] for c in made}
    pool = {s["instruction"] for s in seed_rows(run).values() if s["kind"] == "instruction"}
    pool |= {r["instruction"] for r in rows(run, "self_instruct")}
    for decision in rejected:
        if decision["rule"] == "rouge_l_similar":
            assert decision["evidence"]["closest"] in pool
            assert decision["score"] == decision["evidence"]["rouge_l"] > 0.0


def test_evolution_chains_lead_back_to_their_seed(run):
    evolved = {r["row_id"]: r for r in rows(run, "evol_instruct")}
    assert evolved
    seeds = seed_rows(run)
    for row in evolved.values():
        attributes = json.loads(row["attributes"])
        assert attributes["operation"] in EVOL["operations"]
        chain, current = [], row
        while current["row_id"] not in seeds:
            (parent,) = current["parent_ids"]
            chain.append(current)
            current = evolved.get(parent) or seeds[parent]
        assert row["seed_ids"] == [current["row_id"]]
        # A failed round leaves the chain where it was: rounds only rise along it.
        rounds = [json.loads(r["attributes"])["round"] for r in chain]
        assert rounds[0] == attributes["round"]
        assert rounds == sorted(set(rounds), reverse=True)
        assert json.loads(chain[-1]["attributes"])["parent_instruction"] == current["instruction"]
    # Each evolution call became a row or a decision that names it.
    named = {r["call_ids"][0] for r in evolved.values()}
    for decision in decisions(run):
        named |= {
            decision["evidence"].get("call_id"),
            decision["evidence"].get("instruction_call_id"),
        }
    made = calls(run, "I want you to act as a Prompt")
    assert len(made) == EVOL["rounds"] * EVOL["num_instructions"]
    assert {c["request_hash"] for c in made} <= named


def test_rephrased_documents_link_to_their_source(run):
    (document,) = [s for s in seed_rows(run).values() if s["kind"] == "document"]
    (call,) = calls(run, "Rewrite the following text in simple")
    made = rows(run, "rephrase")
    dropped = [d for d in decisions(run) if d["evidence"].get("call_id") == call["request_hash"]]
    assert len(made) + len(dropped) == 1
    for row in made:
        assert row["kind"] == "document" and row["text"]
        assert json.loads(row["attributes"])["style"] == "plain"
        assert row["parent_ids"] == [document["row_id"]] == row["seed_ids"]
    for decision in dropped:
        assert decision["evidence"]["source_row_id"] == document["row_id"]


def test_cot_keeps_only_verified_rationales_and_records_each_failed_attempt(run):
    problems = {r["row_id"]: r for r in rows(run, "programmatic_math")}
    problems |= {
        k: v for k, v in seed_rows(run).items() if v["answer"] and v["kind"] == "instruction"
    }
    assert len(problems) == 2
    kept = {r["parent_ids"][0]: r for r in rows(run, "verified_cot")}
    failed: dict[str, list[dict]] = {}
    for decision in decisions(run):
        if "problem_row_id" in decision["evidence"]:
            failed.setdefault(decision["evidence"]["problem_row_id"], []).append(decision)
    for problem_id, problem in problems.items():
        attempts = failed.get(problem_id, [])
        for decision in attempts:
            assert decision["rule"] in {"answer_mismatch", "no_final_answer", "truncated_rationale"}
            assert decision["evidence"]["expected"] == problem["answer"]
        if problem_id in kept:
            row = kept[problem_id]
            verification = json.loads(row["attributes"])["verification"]
            assert row["verified"] and verification["matched"]
            assert verification["expected"] == row["answer"] == problem["answer"]
            assert verification["sample_index"] == len(attempts)
            assert row["seed_ids"] == (
                problem["seed_ids"] if problem_id not in seed_rows(run) else [problem_id]
            )
        else:
            assert len(attempts) == COT["samples_per_problem"]


def test_grounded_pairs_cite_their_passage_and_unsupported_ones_are_dropped(run):
    (document,) = [s for s in seed_rows(run).values() if s["kind"] == "document"]
    made = rows(run, "grounded_qa")
    qa_calls = {c["request_hash"] for c in calls(run, "Read the passage")}
    dropped = [d for d in decisions(run) if d["evidence"].get("call_id") in qa_calls]
    assert made or dropped
    for row in made:
        passage = json.loads(row["attributes"])["passage"]
        assert row["input"] == document["text"][passage["start"] : passage["end"]]
        assert row["parent_ids"] == [document["row_id"]] == row["seed_ids"]
        assert json.loads(row["attributes"])["support_score"] >= GROUNDED["min_support"]
        assert len(row["call_ids"]) == 2  # the QA call and the judge's call
    # The strict entry (min_support 1.0) drops every parsed pair with its similarity.
    unsupported = [d for d in dropped if d["rule"] == "unsupported_answer"]
    assert len(unsupported) >= len(made)
    assert all(d["score"] < 1.0 and d["evidence"]["min_support"] for d in unsupported)


def test_preference_pairs_name_both_generators_and_the_judge(run):
    by_id = {g["generator_id"]: g for g in q(run, "SELECT * FROM generators").to_dicts()}
    templates = {g["template_name"] for g in by_id.values()}
    assert {"self_instruct_response", "concise_response", "preference_judge"} <= templates
    logged = set(q(run, "SELECT request_hash FROM model_calls")["request_hash"])
    pairs = rows(run, "preference_pairs")
    # The judge is held to {"score"}: both responses are scored, and with min_margin 0 paired.
    assert len(pairs) == 1
    for row in pairs:
        attributes = json.loads(row["attributes"])
        assert row["kind"] == "preference"
        assert row["generator_id"] == attributes["chosen_generator_id"]
        chosen = by_id[attributes["chosen_generator_id"]]
        rejected = by_id[attributes["rejected_generator_id"]]
        assert {chosen["template_name"], rejected["template_name"]} == {
            "self_instruct_response",
            "concise_response",
        }
        assert by_id[attributes["judge_generator_id"]]["template_name"] == "preference_judge"
        assert attributes["chosen_score"] >= attributes["rejected_score"]
        assert row["call_ids"][:2] == [attributes["chosen_call_id"], attributes["rejected_call_id"]]
        assert set(row["call_ids"]) <= logged and attributes["rejected"] and row["response"]
    assert not [d for d in decisions(run) if d["rule"] == "judge_unparseable"]
    # Every response is in a pair or in a decision naming its call.
    named = {c for r in pairs for c in r["call_ids"]}
    for decision in decisions(run):
        named.add(decision["evidence"].get("call_id"))
        named.update(decision["evidence"].get("scored_call_ids", []))
    # The responders' calls (evol-instruct's responder shares a template, not a generator).
    (attributes,) = [json.loads(r["attributes"]) for r in pairs]
    responders = {attributes["chosen_generator_id"], attributes["rejected_generator_id"]}
    responses = calls(run, "Name three primary colors") + calls(run, "Answer the following in")
    responses = [c for c in responses if c["generator_id"] in responders]
    assert len(responses) == 2 and {c["request_hash"] for c in responses} <= named
    # Each instruction made a pair, or a decision why not; the strict entry (min_margin 100)
    # turns every pair of the lenient one into a small_margin decision.
    instruction_level = [
        d for d in decisions(run) if d["rule"] in {"small_margin", "too_few_scored_responses"}
    ]
    assert instruction_level
    small = [d for d in decisions(run) if d["rule"] == "small_margin"]
    assert len(small) >= len(pairs)
    assert all(d["score"] < 100 and d["evidence"]["rejected_call_id"] for d in small)


def test_back_translation_keeps_the_pivot_and_drops_drifting_round_trips(run):
    made = rows(run, "back_translation")
    seeds = seed_rows(run)
    assert len(calls(run, "Translate the following text into French")) == 1
    for row in made:
        attributes = json.loads(row["attributes"])
        source = seeds[row["parent_ids"][0]]
        assert attributes["pivot_text"] and attributes["pivot_language"] == "French"
        assert attributes["source_instruction"] == source["instruction"]
        assert row["response"] == source["response"] and row["seed_ids"] == [source["row_id"]]
        assert len(row["call_ids"]) == 2
    drift = [d for d in decisions(run) if d["rule"] == "round_trip_drift"]
    assert len(drift) >= len(made)
    assert all(d["score"] < 1.0 and d["evidence"]["pivot_text"] for d in drift)
