"""The scoring endpoint backend (`reward.base_url`: vLLM's /score or a /rerank) against a
loopback scoring server whose scores are a stand-in (its faults are what a real server cannot
be made to produce on demand): both request shapes, the key from the environment, 429 with
Retry-After, 5xx, timeouts, dropped connections and garbage bodies retried, a body that never
parses failing the call naming it, and every score a logged call answered from the log on a
re-run. tests/flow/test_preference_reward.py serves a real CrossEncoder through the same
server."""

from __future__ import annotations

import json
import math

import pytest

from assets.models.backends.openai_http import BackendError
from assets.models.backends.openai_score import OpenAIScoreBackend
from assets.models.call_cache import CachedModel
from assets.models.context import ModelContext
from assets.models.generators import ScoringEndpoint
from assets.synthesis.reward_judge import REWARD_SAMPLING
from tests.servers import Fault, score_server
from warehouse import Warehouse

KEY_ENV = "SYNTHFOUNDRY_TEST_SCORE_KEY"
KEY = "score-key-3b8d1f02"
PAIR = ("What is two plus two?", "Four.")


def _score(pairs: list[tuple[str, str]]) -> list[float]:
    """A stand-in score that depends on both texts."""
    return [len(answer) / (1 + len(request)) for request, answer in pairs]


def _config(base_url: str, **changes: object) -> ScoringEndpoint:
    return ScoringEndpoint.model_validate(
        {
            "base_url": base_url,
            "model": "reranker",
            "api_key_env": KEY_ENV,
            "timeout_s": 1.0,
            "max_retries": 5,
            "backoff_base_s": 0.01,
            "backoff_max_s": 0.05,
            **changes,
        }
    )


def _prompt(pair: tuple[str, str]) -> list[dict[str, str]]:
    return [{"role": "user", "content": pair[0]}, {"role": "assistant", "content": pair[1]}]


@pytest.fixture
def key(monkeypatch):
    monkeypatch.setenv(KEY_ENV, KEY)
    return KEY


@pytest.mark.parametrize("api", ["score", "rerank"])
def test_each_api_sends_its_shape_and_reads_its_score(api, key):
    with score_server(_score, api_key=KEY) as server:
        backend = OpenAIScoreBackend(_config(server.base_url, api=api, truncate_prompt_tokens=64))
        completion = backend.complete(_prompt(PAIR), REWARD_SAMPLING, 0)
        (seen,) = server.requests
    assert json.loads(completion.text) == pytest.approx(_score([PAIR])[0])
    assert completion.finish_reason == "stop" and completion.latency_ms > 0
    assert seen.authorization == f"Bearer {KEY}"
    expected = (
        {"text_1": PAIR[0], "text_2": PAIR[1]}
        if api == "score"
        else {"query": PAIR[0], "documents": [PAIR[1]]}
    )
    assert seen.payload == {"model": "reranker", **expected, "truncate_prompt_tokens": 64}
    assert backend.endpoint == f"{server.base_url}/{api}"
    assert backend.lineage_params() == {
        "base_url": server.base_url,
        "api": api,
        "truncate_prompt_tokens": 64,
    }


def test_faults_are_retried_and_retry_after_is_honoured(home, key):
    faults = [
        Fault(status=429, body=b"{}", retry_after="1"),
        Fault(status=503, body=b"loading"),
        Fault(delay_s=1.5),  # beyond timeout_s
        Fault(drop=True),
        Fault(body=b"<html>not json"),
        Fault(body=b'{"data": [{"index": 0, "score": "high"}]}'),
    ]

    def script(pair: tuple[str, str], attempt: int) -> Fault | None:
        return faults[attempt] if attempt < len(faults) else None

    with score_server(_score, script, api_key=KEY) as server:
        ctx = ModelContext(wh=Warehouse(home), run_id="score-faults")
        config = _config(server.base_url, max_retries=len(faults))
        model = CachedModel(OpenAIScoreBackend(config), "gen-score", ctx)
        (call,) = model.complete_many([(_prompt(PAIR), 0)], REWARD_SAMPLING)
        seen = list(server.requests)
        again = CachedModel(OpenAIScoreBackend(config), "gen-score", ctx)
        (cached,) = again.complete_many([(_prompt(PAIR), 0)], REWARD_SAMPLING)
        assert len(server.requests) == len(seen)  # the re-run asked nothing

    assert len(seen) == len(faults) + 1  # every fault retried once, then the score
    assert seen[1].at - seen[0].at >= 1.0  # waited out Retry-After: 1
    assert float(call.text) == pytest.approx(_score([PAIR])[0])
    assert cached.cached and cached.text == call.text and again.new_calls == 0
    with Warehouse(home).reader() as con:
        logged = con.sql("SELECT * FROM model_calls").pl().to_dicts()
    (row,) = logged
    assert (row["status"], row["backend"], row["model"]) == ("ok", "openai_score", "reranker")
    assert json.loads(row["prompt"]) == _prompt(PAIR) and row["raw_output"] == call.text
    assert row["prompt_tokens"] == len(PAIR[0].split()) + len(PAIR[1].split())
    assert KEY not in repr(logged)


@pytest.mark.parametrize(
    "body",
    [
        b'{"data": []}',
        b'{"data": [{"index": 0, "score": null}]}',
        b'{"data": [{"index": 0, "score": true}]}',
        b'{"data": [{"index": 0, "score": [0.1, 0.2]}]}',
        b'{"data": [{"index": 0, "score": NaN}]}',
        b'{"results": [{"index": 0, "relevance_score": 1.0}]}',  # a rerank body from /score
        b"[1.0]",
    ],
)
def test_a_body_without_a_finite_score_fails_the_call_naming_it(body, key):
    with score_server(_score, lambda pair, attempt: Fault(body=body), api_key=KEY) as server:
        backend = OpenAIScoreBackend(_config(server.base_url, max_retries=1))
        with pytest.raises(BackendError, match="gave up after 2 attempts .*unparseable body"):
            backend.complete(_prompt(PAIR), REWARD_SAMPLING, 0)
        assert server.attempts(PAIR) == 2


def test_scores_in_a_one_element_list_as_older_vllm_answers(key):
    old = Fault(body=b'{"data": [{"index": 0, "object": "score", "score": [0.25]}]}')
    with score_server(_score, lambda pair, attempt: old, api_key=KEY) as server:
        completion = OpenAIScoreBackend(_config(server.base_url)).complete(
            _prompt(PAIR), REWARD_SAMPLING, 0
        )
    assert json.loads(completion.text) == 0.25 and math.isfinite(json.loads(completion.text))


def test_the_key_comes_from_the_environment_and_a_rejected_one_is_named(monkeypatch):
    with score_server(_score, api_key=KEY) as server:
        monkeypatch.delenv(KEY_ENV, raising=False)
        backend = OpenAIScoreBackend(_config(server.base_url))
        with pytest.raises(BackendError, match=f"{KEY_ENV} \\(generator.api_key_env\\) is not set"):
            backend.complete(_prompt(PAIR), REWARD_SAMPLING, 0)
        assert server.requests == []
        monkeypatch.setenv(KEY_ENV, "not-the-key")
        with pytest.raises(
            BackendError, match=f"HTTP 401: the server rejected the API key from \\${KEY_ENV}"
        ):
            backend.complete(_prompt(PAIR), REWARD_SAMPLING, 0)
        assert server.attempts(PAIR) == 1  # not retried


def test_a_scoring_call_is_a_pair_and_no_schema():
    backend = OpenAIScoreBackend(_config("http://127.0.0.1:9/v1", api_key_env=None))
    with pytest.raises(ValueError, match="scores a user request and an assistant answer"):
        backend.complete("just a prompt", REWARD_SAMPLING, 0)
    with pytest.raises(ValueError, match="credentials or a query string"):
        _config("http://user:pw@127.0.0.1:9/v1")
