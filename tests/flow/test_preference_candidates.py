"""preference_pairs with `responses: candidates`: seed rows that already carry several
responses (UltraFeedback-style, in `attributes.candidates`) are paired by every signal without
a responder being called, in one materialization of a seed file shared by the tests.

- `checks` (no model): the candidate passing strictly more of the row's own constraints is
  chosen; a row without constraints, or whose candidates all pass alike, is a decision.
- `rubric` and `pairwise_judge`: the embedded SmolLM2 judges (its verdicts are weak; the
  tests hold the lineage, not their quality); pairwise over three candidates compares every
  two of them in both orders.
- `reward`: the seeded MiniLM CrossEncoder (the `cross_encoder` fixture) served behind a
  loopback scoring API (`/v1/score`), so the scoring endpoint runs inside a real flow.

Every pair names its seed row (seed_ids, parent_ids, the row's generator) and only the judge's
or scorer's calls; unusable candidate lists are decisions naming the row, file and line.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

import duckdb
import polars as pl
import pytest

from assets.constraints import Constraint, verify
from assets.filters.reward_score import predict_rewards
from assets.models.generators import OpenAICompatibleModel
from assets.synthesis.context import SynthesisContext
from assets.synthesis.methods.preference_pairs import PreferencePairs, PreferencePairsMethod
from tests.conftest import synthesized_home
from tests.servers import Fault, fault_server, score_server
from warehouse import Warehouse
from warehouse.rows import conform, with_row_ids

LOWER = [{"kind": "lowercase", "params": {}}]
GREETING = "Greet a friend in lowercase letters."
CAPITAL = "What is the capital of France?"
ITALY = "What is the capital of Italy?"
# Each signal reads rows of its own task type (identical pairs from two methods would merge
# into one row), and `checks` reads them all: the rows without constraints are its decisions.
SEEDS = [
    {"task_type": "checks", "instruction": GREETING, "response": "hi there.", "attributes": {"constraints": LOWER, "candidates": ["hello there, friend.", {"response": "Hello There, Friend.", "model": "shouty-model"}, "HELLO."]}},
    {"task_type": "checks", "instruction": "Name a fruit in lowercase.", "response": "apple", "attributes": {"constraints": LOWER, "candidates": ["apple", "a pear"]}},
    {"task_type": "rubric", "instruction": CAPITAL, "response": "Paris.", "attributes": {"candidates": ["The capital of France is Paris.", "I like turtles.", {"response": "Lyon.", "model": "m2"}]}},
    {"task_type": "rubric", "instruction": "Name an ocean.", "response": "The Pacific.", "attributes": {"candidates": ["The Pacific Ocean.", "Soup."]}},
    {"task_type": "reward", "instruction": ITALY, "response": "Rome.", "attributes": {"candidates": ["Rome is the capital of Italy.", "I like turtles.", {"response": "Milan.", "model": "m2"}]}},
    {"task_type": "reward", "instruction": "How many legs does a spider have?", "response": "Eight.", "attributes": {"candidates": ["A spider has eight legs.", "Spiders spin webs."]}},
    {"task_type": "bad", "instruction": "Say hi.", "response": "hi", "attributes": {"candidates": "hi"}},
    {"task_type": "bad", "instruction": "Say bye.", "response": "bye", "attributes": {"candidates": ["bye", 7]}},
    {"task_type": "bad", "instruction": "Say yes.", "response": "yes", "attributes": {"candidates": ["yes", " yes"]}},
    {"task_type": "checks", "instruction": "Say no.", "response": "no", "attributes": {"constraints": [{"kind": "no_such_kind"}], "candidates": ["no", "nope"]}},
    {"task_type": "pairwise", "instruction": "What is two plus two?", "response": "Four.", "attributes": {"candidates": ["Two plus two is four.", "Two plus two is five."]}},
    {"task_type": "pairwise", "instruction": "Name a primary color.", "response": "Red.", "attributes": {"candidates": ["Red.", "Blue.", "Green is one."]}},
    {"task_type": "open_qa", "instruction": "Describe the water cycle.", "response": "Water evaporates and falls as rain."},
]  # fmt: skip
BAD = {"Say hi.": "attributes.candidates is a string", "Say bye.": "candidates[1] is a number", "Say yes.": "2 candidate(s), 1 distinct"}  # fmt: skip
# One thread: llama.cpp's two-thread barriers crawl on a CPU shared with other processes.
MODEL = {"n_threads": 1, "n_ctx": 1024}
BASE = {"method": "preference_pairs", "responses": "candidates", "max_instructions": 20}
CHECKS = {**BASE, "signal": "checks"}
RUBRIC = {
    **BASE,
    "task_types": ["rubric", "bad"],
    "judge": MODEL,
    "judge_sampling": {"temperature": 0.0, "max_tokens": 48, "seed": 1},
    "min_margin": 0.0,
}
PAIRWISE = {
    **BASE,
    "signal": "pairwise_judge",
    "task_types": ["pairwise"],
    "judge": MODEL,
    "judge_sampling": {"temperature": 0.0, "max_tokens": 16, "seed": 1},
}


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory, cross_encoder: Path) -> Path:
    def scorer(pairs: list[tuple[str, str]]) -> list[float]:
        return predict_rewards(str(cross_encoder), 512, pairs, batch_size=8)

    with score_server(scorer) as server:
        reward = {
            **BASE,
            "signal": "reward",
            "task_types": ["reward"],
            "reward": {"base_url": server.base_url, "model": "minilm-reward"},
            "min_margin": 0.0,
        }
        home = synthesized_home(
            tmp_path_factory.mktemp("candidates"), SEEDS, [CHECKS, RUBRIC, PAIRWISE, reward], 7
        )
        assert len(server.requests) == 5  # each candidate of the reward rows, once
    return home


def q(home: Path, query: str) -> list[dict]:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        return con.sql(query).pl().to_dicts()


def _seeds(home: Path) -> dict[str, dict]:
    return {r["instruction"]: r for r in q(home, "SELECT * FROM seed")}


def _pairs(home: Path, signal: str) -> dict[str, dict]:
    rows = q(home, "SELECT * FROM synthesized WHERE method = 'preference_pairs'")
    pairs = {}
    for row in rows:
        attributes = json.loads(row["attributes"])
        if attributes.get("signal", "rubric") == signal:
            pairs[row["instruction"]] = {**row, "attributes": attributes}
    return pairs


def _decisions(home: Path) -> list[dict]:
    rows = q(home, "SELECT rule, score, evidence FROM decisions WHERE stage = 'synthesized'")
    return [{**r, "evidence": json.loads(r["evidence"])} for r in rows]


def _assert_lineage(pair: dict, seed: dict) -> None:
    """A pair made of a seed row's candidates: that row is its seed and parent, and its
    source wrote both sides."""
    assert pair["kind"] == "preference"
    assert pair["seed_ids"] == [seed["row_id"]] and pair["parent_ids"] == [seed["row_id"]]
    assert pair["generator_id"] == seed["generator_id"] is not None
    attributes = pair["attributes"]
    assert attributes["chosen_generator_id"] == attributes["rejected_generator_id"]
    assert "chosen_call_id" not in attributes and "finish_reason" not in attributes
    candidates = json.loads(seed["attributes"])["candidates"]
    text = [c if isinstance(c, str) else c["response"] for c in candidates]
    assert pair["response"] == text[attributes["chosen_candidate"]].strip()
    assert attributes["rejected"] == text[attributes["rejected_candidate"]].strip()


def test_checks_pair_the_candidates_by_the_rows_own_constraints(run):
    seeds = _seeds(run)
    pairs = _pairs(run, "checks")
    assert set(pairs) == {GREETING}
    pair = pairs[GREETING]
    _assert_lineage(pair, seeds[GREETING])
    attributes = pair["attributes"]
    assert pair["response"] == "hello there, friend."
    # The first of the candidates passing fewest, with the model the seed row names.
    assert attributes["rejected"] == "Hello There, Friend."
    assert (attributes["chosen_candidate"], attributes["rejected_candidate"]) == (0, 1)
    assert attributes["rejected_model"] == "shouty-model" and "chosen_model" not in attributes
    assert (attributes["chosen_passed"], attributes["rejected_passed"]) == (1, 0)
    constraints = [Constraint.model_validate(c) for c in LOWER]
    assert attributes["verification"] == verify(pair["response"], constraints)
    assert pair["call_ids"] == []  # no model was asked anything

    checks = [d for d in _decisions(run) if d["evidence"].get("signal") == "checks"]
    rules = {(d["rule"], d["evidence"]["instruction_row_id"]) for d in checks}
    unconstrained = [s for s in SEEDS if s["task_type"] in ("rubric", "reward", "pairwise")]
    assert {("no_constraints", seeds[s["instruction"]]["row_id"]) for s in unconstrained} <= rules
    equal = [d for d in _decisions(run) if d["rule"] == "equal_checks"]
    assert [d["evidence"]["instruction_row_id"] for d in equal] == [
        seeds["Name a fruit in lowercase."]["row_id"]
    ]
    assert [r["candidate"] for r in equal[0]["evidence"]["responses"]] == [0, 1]
    (unknown,) = [d for d in _decisions(run) if d["rule"] == "bad_constraints"]
    assert unknown["evidence"]["instruction_row_id"] == seeds["Say no."]["row_id"]
    assert "no constraint kind named 'no_such_kind'" in unknown["evidence"]["problem"]


def test_unusable_candidate_lists_are_decisions_naming_the_row_file_and_line(run):
    seeds = _seeds(run)
    bad = [d for d in _decisions(run) if d["rule"] == "bad_candidates"]
    # checks and rubric both read the rows with unusable lists.
    assert sorted(d["evidence"]["signal"] for d in bad) == ["checks"] * 3 + ["rubric"] * 3
    for decision in bad:
        evidence = decision["evidence"]
        (instruction,) = [
            i for i, s in seeds.items() if s["row_id"] == evidence["instruction_row_id"]
        ]
        assert evidence["problem"].startswith(BAD[instruction]), evidence
        assert evidence["source"] == seeds[instruction]["source"] is not None
        assert evidence["source_line"] == seeds[instruction]["source_line"]
        assert SEEDS[evidence["source_line"] - 1]["instruction"] == instruction
    # A seed row without candidates is never read as one.
    water = seeds["Describe the water cycle."]["row_id"]
    assert all(d["evidence"].get("instruction_row_id") != water for d in _decisions(run))


def _judge_calls(home: Path, ids: list[str]) -> dict[str, dict]:
    calls = q(home, "SELECT request_hash, generator_id, prompt, backend FROM model_calls")
    return {c["request_hash"]: c for c in calls if c["request_hash"] in ids}


def test_the_rubric_judge_scores_each_candidate_and_the_pair_names_its_calls(run):
    seeds = _seeds(run)
    pairs = _pairs(run, "rubric")
    # min_margin 0: every usable row makes a pair, ties included.
    assert set(pairs) == {CAPITAL, "Name an ocean."}
    for instruction, pair in pairs.items():
        _assert_lineage(pair, seeds[instruction])
        attributes = pair["attributes"]
        assert attributes["chosen_score"] >= attributes["rejected_score"]
        ids = [attributes["chosen_judge_call_id"], attributes["rejected_judge_call_id"]]
        assert pair["call_ids"] == ids
        calls = _judge_calls(run, ids)
        assert {c["generator_id"] for c in calls.values()} == {attributes["judge_generator_id"]}
        assert pair["response"] in calls[ids[0]]["prompt"]
        assert attributes["rejected"] in calls[ids[1]]["prompt"]
        assert attributes["responses_scored"] == len(
            json.loads(seeds[instruction]["attributes"])["candidates"]
        )


def test_the_scoring_endpoint_scores_each_candidate_with_the_real_model(run, cross_encoder):
    seeds = _seeds(run)
    pairs = _pairs(run, "reward")
    assert set(pairs) == {ITALY, "How many legs does a spider have?"}
    for instruction, pair in pairs.items():
        _assert_lineage(pair, seeds[instruction])
        candidates = json.loads(seeds[instruction]["attributes"])["candidates"]
        text = [c if isinstance(c, str) else c["response"] for c in candidates]
        scores = predict_rewards(
            str(cross_encoder), 512, [(instruction, t) for t in text], batch_size=8
        )
        attributes = pair["attributes"]
        assert attributes["chosen_score"] == pytest.approx(max(scores), abs=1e-5)
        assert attributes["rejected_score"] == pytest.approx(min(scores), abs=1e-5)
        assert pair["response"] == text[scores.index(max(scores))].strip()
        ids = [attributes["chosen_judge_call_id"], attributes["rejected_judge_call_id"]]
        assert pair["call_ids"] == ids
        calls = _judge_calls(run, ids)
        assert {c["backend"] for c in calls.values()} == {"openai_score"}
    (generator,) = q(run, "SELECT * FROM generators WHERE backend = 'openai_score'")
    assert generator["model"] == "minilm-reward"


def test_pairwise_compares_every_two_candidates_in_both_orders(run):
    seeds = _seeds(run)
    four = seeds["What is two plus two?"]
    kept = _pairs(run, "pairwise_judge")
    dropped = [
        d
        for d in _decisions(run)
        if d["evidence"].get("instruction_row_id") == four["row_id"]
        and d["rule"] in ("position_inconsistent", "judge_unparseable")
    ]
    two = "What is two plus two?" in kept
    assert two + len(dropped) == 1, "the two-candidate row is a pair or a decision"
    if two:
        pair = kept["What is two plus two?"]
        _assert_lineage(pair, four)
        attributes = pair["attributes"]
        assert (attributes["first_candidate"], attributes["second_candidate"]) == (0, 1)
        assert pair["call_ids"] == [
            attributes["forward_judge_call_id"],
            attributes["backward_judge_call_id"],
        ]
    else:
        evidence = dropped[0]["evidence"]
        assert (evidence["first_candidate"], evidence["second_candidate"]) == (0, 1)
        assert "forward_verdict" in evidence and "backward_verdict" in evidence
    # Three candidates: every two compared in both orders, six judge calls.
    three = seeds["Name a primary color."]
    compared = [(0, 1), (0, 2), (1, 2)]
    if "Name a primary color." in kept:
        pair = kept["Name a primary color."]
        _assert_lineage(pair, three)
        record = pair["attributes"]
        calls = pair["call_ids"]
        wins = {w["candidate"]: w["wins"] for w in record["wins"]}
        assert wins[record["chosen_candidate"]] == max(wins.values())
    else:
        (decision,) = [
            d
            for d in _decisions(run)
            if d["evidence"].get("instruction_row_id") == three["row_id"]
            and d["evidence"].get("comparisons")
        ]
        assert decision["rule"] in (
            "position_inconsistent",
            "judge_unparseable",
            "intransitive_verdicts",
        )
        record = decision["evidence"]
        calls = None
    comparisons = record["comparisons"]
    assert [(c["first_candidate"], c["second_candidate"]) for c in comparisons] == compared
    judge_calls = [c[f"{o}_judge_call_id"] for c in comparisons for o in ("forward", "backward")]
    assert len(set(judge_calls)) == 6
    assert calls is None or calls == judge_calls


# A scripted judge over loopback: it prefers the better response by this ranking, whatever
# the order, except in the rock-paper-scissors row (a cycle) and for "Always A." (it answers
# "A" in both orders for that row: position bias).
RANK = {"Red.": 3, "Blue.": 2, "Green is one.": 1}
BEATS = {("Rock.", "Scissors."), ("Scissors.", "Paper."), ("Paper.", "Rock.")}
SHOWN = re.compile(r"Response A: (?P<a>.*)\n\nResponse B: (?P<b>.*)\n\nWhich", re.S)


def _scripted_judge(prompt: str, attempt: int) -> Fault:
    shown = SHOWN.search(prompt)
    a, b = shown["a"], shown["b"]
    if "Always" in prompt:
        better = "A"
    elif a in RANK:
        better = "A" if RANK[a] > RANK[b] else "B"
    else:
        better = "A" if (a, b) in BEATS else "B"
    return Fault(text=json.dumps({"better": better}))


def test_a_tournament_keeps_the_consistent_winner_over_the_consistent_loser(home):
    seeds = with_row_ids(
        conform(
            pl.DataFrame(
                {
                    "kind": ["instruction"] * 3,
                    "task_type": ["open_qa"] * 3,
                    "instruction": ["Name a color.", "Play a hand.", "Always answer."],
                    "response": ["seed"] * 3,
                    "generator_id": ["seed-reader"] * 3,
                    "attributes": [
                        json.dumps({"candidates": ["Blue.", "Green is one.", "Red."]}),
                        json.dumps({"candidates": ["Rock.", "Paper.", "Scissors."]}),
                        json.dumps({"candidates": ["One.", "Two.", "Three."]}),
                    ],
                }
            )
        )
    )
    with fault_server(_scripted_judge) as server:
        judge = OpenAICompatibleModel(
            backend="openai", base_url=server.base_url, model="judge", max_retries=0
        )
        method = PreferencePairsMethod(
            PreferencePairs(
                method="preference_pairs",
                signal="pairwise_judge",
                responses="candidates",
                judge=judge,
            )
        )
        ctx = SynthesisContext(
            wh=Warehouse(home), run_id="r1", created_at=datetime(2026, 1, 1), random_seed=0
        )
        output = method.run(seeds, ctx)
        assert len(server.requests) == 3 * 6  # every two of three, both orders, per row

    (pair,) = output.rows.to_dicts()
    attributes = json.loads(pair["attributes"])
    assert (pair["response"], attributes["rejected"]) == ("Red.", "Green is one.")
    assert (attributes["chosen_candidate"], attributes["rejected_candidate"]) == (2, 1)
    assert [(w["wins"], w["losses"]) for w in attributes["wins"]] == [(1, 1), (0, 2), (2, 0)]
    assert pair["generator_id"] == "seed-reader" and len(pair["call_ids"]) == 6
    assert pair["call_ids"] == [
        c[f"{o}_judge_call_id"] for c in attributes["comparisons"] for o in ("forward", "backward")
    ]
    decisions = {
        json.loads(d["evidence"])["instruction_row_id"]: (d["rule"], json.loads(d["evidence"]))
        for d in output.rejections.to_dicts()
    }
    ids = dict(zip(seeds["instruction"], seeds["row_id"], strict=True))
    rule, evidence = decisions[ids["Play a hand."]]
    # Each hand wins once and loses once: Rock (first on the tie) against Paper, which beats it.
    assert rule == "intransitive_verdicts"
    assert (evidence["chosen_candidate"], evidence["rejected_candidate"]) == (0, 1)
    assert len(evidence["comparisons"]) == 3
    rule, evidence = decisions[ids["Always answer."]]
    assert rule == "position_inconsistent"
    assert all(w["wins"] == 0 for w in evidence["wins"])
