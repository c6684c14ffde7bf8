"""The `checks` preference signal: the response passing strictly more constraints is chosen,
equal counts make no pair, the hand-written triples reach the target, and recipes that keep
the rubric signal hash as they did before `signal` existed."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from assets.constraints import Constraint
from assets.models.call_cache import CallResult
from assets.recipe.loader import RecipeError, parse_recipe
from assets.synthesis.pairwise_judge import PairVerdict
from assets.synthesis.preference_checks import rank_by_checks

REPO = Path(__file__).resolve().parents[4]
TRIPLES = REPO / "tests" / "data" / "preference_triples.jsonl"
NO_COMMAS_LOWER = [Constraint(kind="no_commas"), Constraint(kind="lowercase")]


def _bench():
    spec = importlib.util.spec_from_file_location(
        "preference_bench", REPO / "bench" / "preference_signals" / "__main__.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_more_checks_passed_wins_whatever_the_order():
    responses = ["Yes, Sure.", "yes sure.", "yes, sure."]
    ranking = rank_by_checks(responses, NO_COMMAS_LOWER)
    assert ranking.passed == [0, 2, 1]
    assert (ranking.chosen, ranking.rejected, ranking.margin) == (1, 0, 2)
    assert [v["passed"] for v in ranking.verification[2]] == [False, True]
    backwards = rank_by_checks(responses[::-1], NO_COMMAS_LOWER)
    assert (backwards.chosen, backwards.rejected) == (1, 2)


def test_equal_counts_make_no_pair():
    ranking = rank_by_checks(["Yes, sure.", "YES, SURE."], NO_COMMAS_LOWER)
    assert ranking.passed == [0, 0] and ranking.chosen is None and ranking.rejected is None
    with pytest.raises(ValueError, match="at least one constraint"):
        rank_by_checks(["a", "b"], [])


def test_hand_written_triples_reach_the_target():
    triples = [json.loads(line) for line in TRIPLES.read_text(encoding="utf-8").splitlines()]
    assert len(triples) >= 60
    bench = _bench()
    accuracy, wrong = bench.checks_accuracy(triples)
    assert accuracy >= bench.TARGET, wrong
    # A flawed copy of a sound response (the sound one twice) is never a pair.
    same = [{**t, "flawed": t["sound"]} for t in triples]
    assert bench.checks_accuracy(same)[0] == 0.0


RECIPE = (
    "name: x\nseed: {sources: [{path: a.jsonl}]}\n"
    "synthesis: {methods: [{method: preference_pairs, min_margin: 2%s}]}\n"
)


def test_rubric_recipes_hash_as_before_and_checks_recipes_do_not():
    plain = parse_recipe(RECIPE % "", "r.yaml")
    explicit = parse_recipe(RECIPE % ", signal: rubric", "r.yaml")
    checks = parse_recipe(RECIPE % ", signal: checks", "r.yaml")
    drawn = parse_recipe(RECIPE % ", signal: checks, constraints: {kinds: [title]}", "r.yaml")
    dumped = plain.model_dump()["synthesis"]["methods"][0]
    assert "signal" not in dumped and "constraints" not in dumped
    assert plain.sha256 == explicit.sha256
    assert len({plain.sha256, checks.sha256, drawn.sha256}) == 3
    assert drawn.synthesis.methods[0].constraints.kinds == ["title"]


def _verdict(forward: str | None, backward: str | None) -> PairVerdict:
    call = CallResult(request_hash="h", text="", finish_reason="stop", cached=False)
    return PairVerdict(forward, backward, call, call)


@pytest.mark.parametrize(
    ("forward", "backward", "preferred", "problem"),
    [
        ("A", "B", 0, None),
        ("B", "A", 1, None),
        ("A", "A", None, "position_inconsistent"),
        ("B", "B", None, "position_inconsistent"),
        (None, "B", None, "judge_unparseable"),
        ("A", None, None, "judge_unparseable"),
    ],
)
def test_pairwise_verdict_needs_both_orders_to_agree(forward, backward, preferred, problem):
    verdict = _verdict(forward, backward)
    assert (verdict.preferred, verdict.problem) == (preferred, problem)
    assert verdict.evidence()["forward_verdict"] == forward


def test_pairwise_judge_compares_exactly_two_responses():
    with pytest.raises(RecipeError, match="exactly two responses"):
        parse_recipe(RECIPE % ", signal: pairwise_judge, responses_per_generator: 3", "r.yaml")
    two = parse_recipe(RECIPE % ", signal: pairwise_judge", "r.yaml")
    assert two.synthesis.methods[0].signal == "pairwise_judge"
