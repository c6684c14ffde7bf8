"""preference_pairs with `signal: reward`: the filtered stage's reward scorer (here the seeded
one-output head on the packaged MiniLM, the `cross_encoder` fixture: its scores mean nothing,
so this checks the plumbing, not preference quality) scores every response; the highest and
lowest make the pair when their margin reaches `min_margin`, else `small_margin`. The reward
model is a generator (backend `reward`) and each score a logged call, answered from the call
log on a re-run. Responses come from a scripted loopback server, so they are known.

The same model served behind a scoring API (a loopback server running the CrossEncoder, as
vLLM's `/score` and `/rerank` answer) gives the same scores and pairs through
`reward.base_url`: a generator of backend `openai_score`, its calls logged and cached, the
key read from the environment and never stored."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from statistics import median

import polars as pl
import pytest

from assets.filters.reward_score import model_digest, predict_rewards
from assets.models.generators import OpenAICompatibleModel, Sampling
from assets.synthesis.context import MethodOutput, SynthesisContext
from assets.synthesis.methods.preference_pairs import PreferencePairs, PreferencePairsMethod
from tests.servers import Fault, fault_server, score_server
from warehouse import Warehouse
from warehouse.rows import conform, with_row_ids

pytestmark = pytest.mark.flow

# instruction -> the two responses the server gives (first and second request)
ANSWERS = {
    "What is the capital of France?": ("Paris is the capital of France.", "I like turtles."),
    "Name a primary color.": ("Red is a primary color.", "Colors are nice."),
    "How many legs does a spider have?": ("A spider has eight legs.", "Spiders spin webs."),
    "What is two plus two?": ("Two plus two is four.", "Five, probably."),
}


def _answer(prompt: str, attempt: int) -> Fault:
    return Fault(text=ANSWERS[prompt.strip()][attempt % 2])


def _seeds() -> pl.DataFrame:
    return with_row_ids(
        conform(
            pl.DataFrame(
                {
                    "kind": ["instruction"] * len(ANSWERS),
                    "task_type": ["open_qa"] * len(ANSWERS),
                    "instruction": list(ANSWERS),
                    "response": ["seed"] * len(ANSWERS),
                }
            )
        )
    )


def _expected_margins(folder: Path) -> dict[str, tuple[float, float]]:
    """Each instruction's two scores, straight from the scorer."""
    pairs = [(q, a) for q, answers in ANSWERS.items() for a in answers]
    scores = predict_rewards(str(folder), 512, pairs, batch_size=8)
    return {q: (scores[2 * i], scores[2 * i + 1]) for i, q in enumerate(ANSWERS)}


def _run(home: Path, folder: Path, min_margin: float, reward: dict | None = None) -> MethodOutput:
    with fault_server(_answer) as server:
        responder = OpenAICompatibleModel(
            backend="openai", base_url=server.base_url, model="stub", max_retries=0
        )
        method = PreferencePairsMethod(
            PreferencePairs(
                method="preference_pairs",
                signal="reward",
                reward=reward or {"model_path": str(folder)},
                generators=[
                    {"generator": responder, "sampling": Sampling(temperature=0.0, max_tokens=32)}
                ],
                responses_per_generator=2,
                max_instructions=len(ANSWERS),
                min_margin=min_margin,
            )
        )
        ctx = SynthesisContext(
            wh=Warehouse(home), run_id="r1", created_at=datetime(2026, 1, 1), random_seed=0
        )
        return method.run(_seeds(), ctx)


def test_reward_pairs_keep_the_higher_score_when_the_margin_is_reached(cross_encoder, home):
    expected = _expected_margins(cross_encoder)
    margins = {q: abs(a - b) for q, (a, b) in expected.items()}
    floor = median(margins.values())
    output = _run(home, cross_encoder, floor)

    pairs = {r["instruction"]: r for r in output.rows.to_dicts()}
    assert set(pairs) == {q for q, m in margins.items() if m >= floor}
    assert 0 < len(pairs) < len(ANSWERS), "both paths run"
    (reward,) = [g for g in output.generators if g.backend == "reward"]
    assert (reward.model, reward.model_digest) == (
        "minilm-reward",
        model_digest(str(cross_encoder)),
    )
    for instruction, pair in pairs.items():
        attributes = json.loads(pair["attributes"])
        high, low = sorted(expected[instruction], reverse=True)
        by_score = dict(zip(expected[instruction], ANSWERS[instruction], strict=True))
        assert pair["kind"] == "preference" and attributes["signal"] == "reward"
        assert (pair["response"], attributes["rejected"]) == (by_score[high], by_score[low])
        assert attributes["chosen_score"] == pytest.approx(high, abs=1e-5)
        assert attributes["rejected_score"] == pytest.approx(low, abs=1e-5)
        assert attributes["margin"] >= floor
        assert attributes["judge_generator_id"] == reward.generator_id
        # Lineage: both responses' calls, then both reward calls.
        assert pair["call_ids"] == [
            attributes["chosen_call_id"],
            attributes["rejected_call_id"],
            attributes["chosen_judge_call_id"],
            attributes["rejected_judge_call_id"],
        ]
    dropped = [{**d, "evidence": json.loads(d["evidence"])} for d in output.rejections.to_dicts()]
    assert {d["rule"] for d in dropped} == {"small_margin"}
    assert all(d["score"] < floor for d in dropped)

    # Every score is a logged call of the reward generator: the pair as two messages in, the
    # score out.
    with Warehouse(home).reader() as con:
        logged = con.sql(
            "SELECT prompt, raw_output FROM model_calls WHERE generator_id = ?",
            params=[reward.generator_id],
        ).pl()
    assert logged.height == 2 * len(ANSWERS)
    for prompt, raw in logged.iter_rows():
        user, assistant = json.loads(prompt)
        score = dict(zip(ANSWERS[user["content"]], expected[user["content"]], strict=True))[
            assistant["content"]
        ]
        assert float(raw) == pytest.approx(score, abs=1e-5)

    # A re-run reads every score from the call log.
    again = _run(home, cross_encoder, floor)
    assert again.rows["row_id"].to_list() == output.rows["row_id"].to_list()
    # Two responses and two scores per instruction, all cached.
    assert (again.model_calls, again.cached_calls) == (0, 4 * len(ANSWERS))


def test_signal_reward_needs_its_model_and_only_it():
    with pytest.raises(ValueError, match="signal reward takes a `reward` model"):
        PreferencePairs(method="preference_pairs", signal="reward")
    with pytest.raises(ValueError, match="signal reward takes a `reward` model"):
        PreferencePairs(method="preference_pairs", reward={"model_path": "x"})
    endpoint = PreferencePairs(
        method="preference_pairs",
        signal="reward",
        reward={"base_url": "http://127.0.0.1:8000/v1", "model": "m", "api": "rerank"},
    )
    assert endpoint.reward.backend == "openai_score" and endpoint.reward.api == "rerank"
    with pytest.raises(ValueError, match="api"):
        PreferencePairs(
            method="preference_pairs",
            signal="reward",
            reward={"base_url": "http://127.0.0.1:8000/v1", "model": "m", "api": "embed"},
        )


KEY_ENV = "SYNTHFOUNDRY_TEST_REWARD_KEY"
KEY = "reward-key-51c0de9a"


@pytest.mark.parametrize("api", ["score", "rerank"])
def test_a_scoring_endpoint_serving_the_model_gives_the_same_pairs(
    cross_encoder, home, monkeypatch, api
):
    expected = _expected_margins(cross_encoder)
    margins = {q: abs(a - b) for q, (a, b) in expected.items()}
    floor = median(margins.values())
    local = _run(home, cross_encoder, floor)
    monkeypatch.setenv(KEY_ENV, KEY)

    def scorer(pairs: list[tuple[str, str]]) -> list[float]:
        return predict_rewards(str(cross_encoder), 512, pairs, batch_size=8)

    with score_server(scorer, api_key=KEY) as server:
        endpoint = {
            "base_url": server.base_url,
            "model": "minilm-reward",
            "api": api,
            "api_key_env": KEY_ENV,
            "max_in_flight": 4,
        }
        served = _run(home, cross_encoder, floor, endpoint)
        asked = len(server.requests)
        again = _run(home, cross_encoder, floor, endpoint)
        assert len(server.requests) == asked == 2 * len(ANSWERS)  # the re-run asked nothing

    def pairs(output: MethodOutput) -> dict[str, tuple]:
        rows = output.rows.to_dicts()
        return {
            r["instruction"]: (
                r["response"],
                json.loads(r["attributes"])["rejected"],
                round(json.loads(r["attributes"])["margin"], 4),
            )
            for r in rows
        }

    assert pairs(served) == pairs(local) and 0 < len(pairs(served)) < len(ANSWERS)
    assert sorted(served.rejections["rule"]) == sorted(local.rejections["rule"])
    (generator,) = [g for g in served.generators if g.backend == "openai_score"]
    assert (generator.model, generator.model_digest) == ("minilm-reward", None)
    assert generator.params["base_url"] == server.base_url and generator.params["api"] == api
    for row in served.rows.to_dicts():
        attributes = json.loads(row["attributes"])
        assert attributes["judge_generator_id"] == generator.generator_id
        assert row["call_ids"][2:] == [
            attributes["chosen_judge_call_id"],
            attributes["rejected_judge_call_id"],
        ]
    with Warehouse(home).reader() as con:
        logged = con.sql(
            "SELECT prompt, raw_output, status FROM model_calls WHERE generator_id = ?",
            params=[generator.generator_id],
        ).pl()
        stored = repr(con.sql("SELECT * FROM model_calls").fetchall())
        stored += repr(con.sql("SELECT * FROM generators").fetchall())
    assert logged.height == 2 * len(ANSWERS) and set(logged["status"]) == {"ok"}
    for prompt, raw, _ in logged.iter_rows():
        user, assistant = json.loads(prompt)
        score = dict(zip(ANSWERS[user["content"]], expected[user["content"]], strict=True))[
            assistant["content"]
        ]
        assert float(raw) == pytest.approx(score, abs=1e-5)
    assert KEY not in stored
    assert again.rows["row_id"].to_list() == served.rows["row_id"].to_list()
    assert (again.model_calls, again.cached_calls) == (0, 4 * len(ANSWERS))
