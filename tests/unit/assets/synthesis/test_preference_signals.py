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
from assets.synthesis.methods.preference_pairs import parse_candidates
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


def _candidates(value: object) -> str:
    return json.dumps({"candidates": value})


def test_a_seed_rows_candidates_are_read_in_order_once_each():
    found, problem = parse_candidates(
        _candidates(
            [
                " Paris is the capital. ",
                {"response": "Lyon.", "model": "small-model", "rating": 2},
                "Paris is the capital.",  # the first again: one side of no pair
                {"response": "Marseille."},
            ]
        )
    )
    assert problem == ""
    assert found == [
        (0, "Paris is the capital.", None),
        (1, "Lyon.", "small-model"),
        (3, "Marseille.", None),
    ]


@pytest.mark.parametrize(
    ("attributes", "problem"),
    [
        (_candidates("one string"), "attributes.candidates is a string, expected a list"),
        (_candidates({"a": "b"}), "attributes.candidates is an object, expected a list"),
        (_candidates(["only one"]), "1 candidate(s), 1 distinct: a pair needs at least two"),
        (_candidates(["same", " same "]), "2 candidate(s), 1 distinct"),
        (_candidates([]), "0 candidate(s), 0 distinct"),
        (_candidates(["fine", 5]), "candidates[1] is a number; a candidate is a string or"),
        (_candidates(["fine", None]), "candidates[1] is null"),
        (_candidates(["fine", {"text": "x"}]), "candidates[1] has no `response` string"),
        (_candidates(["fine", {"response": "x", "model": 3}]), "candidates[1].model is a number"),
        (_candidates(["fine", "  "]), "candidates[1] is empty"),
        ("not json", "attributes is not a JSON object with `candidates`"),
        ('["a", "b"]', "attributes is not a JSON object with `candidates`"),
    ],
)
def test_an_unusable_candidate_list_names_its_problem(attributes, problem):
    found, reason = parse_candidates(attributes)
    assert found == [] and reason.startswith(problem), reason


def test_candidates_take_no_steering_and_any_signal_and_hash_as_before_by_default():
    with pytest.raises(RecipeError, match="nothing for `attributes` to steer"):
        parse_recipe(RECIPE % ", responses: candidates, attributes: {tone: t}", "r.yaml")
    # pairwise_judge's two-responses rule is about responders; candidates bring their own.
    pairwise = parse_recipe(
        RECIPE % ", signal: pairwise_judge, responses: candidates, responses_per_generator: 3",
        "r.yaml",
    )
    assert pairwise.synthesis.methods[0].responses == "candidates"
    checks = parse_recipe(RECIPE % ", signal: checks", "r.yaml")
    assert "responses" not in checks.model_dump()["synthesis"]["methods"][0]
    explicit = parse_recipe(RECIPE % ", signal: checks, responses: generated", "r.yaml")
    assert explicit.sha256 == checks.sha256
    seeded = parse_recipe(RECIPE % ", signal: checks, responses: candidates", "r.yaml")
    assert seeded.sha256 != checks.sha256


def test_signal_reward_takes_a_folder_or_a_scoring_endpoint():
    local = parse_recipe(RECIPE % ", signal: reward, reward: {model_path: /m}", "r.yaml")
    dumped = local.model_dump()["synthesis"]["methods"][0]["reward"]
    assert dumped == {"model_path": "/m", "max_length": 512}  # as before endpoints existed
    served = parse_recipe(
        RECIPE % ", signal: reward, reward: {base_url: 'http://127.0.0.1:8000/v1', model: r,"
        " api_key_env: RERANK_KEY}",
        "r.yaml",
    )
    reward = served.synthesis.methods[0].reward
    assert (reward.backend, reward.api, reward.api_key_env) == (
        "openai_score",
        "score",
        "RERANK_KEY",
    )
    with pytest.raises(RecipeError, match="NAME of an environment variable"):
        parse_recipe(
            RECIPE % ", signal: reward, reward: {base_url: 'http://h/v1', model: r,"
            " api_key_env: 'sk-123 secret'}",
            "r.yaml",
        )
    with pytest.raises(RecipeError, match="model_path"):
        parse_recipe(RECIPE % ", signal: reward, reward: {max_length: 64}", "r.yaml")
