"""The `anthropic_batch` backend against the fake server's Message Batches endpoints
(tests/batch_server.py: requests inline, `processing_status`, results JSONL by custom_id,
the same deterministic echo as online): answers enter the call log as online answers do,
the key goes in `x-api-key`, and requests left without an answer (errored, expired) are
submitted again, exactly those, through the runner `openai_batch` uses."""

from __future__ import annotations

import pytest

from assets.models.backends import build_backend
from assets.models.call_cache import CachedModel
from assets.models.context import ModelContext
from assets.models.generators import AnthropicBatchModel, OpenAICompatibleModel, Sampling
from tests.batch_server import batch_server, first_failures
from warehouse import Warehouse

SAMPLING = Sampling(temperature=0.0, max_tokens=16)
SYSTEM = [{"role": "system", "content": "Answer briefly."}, {"role": "user", "content": "Why?"}]
PROMPTS = [(f"tell me about topic {n}", 0) for n in range(9)] + [(SYSTEM, 0)]


def _anthropic(home, base_url: str, **changes) -> CachedModel:
    config = AnthropicBatchModel.model_validate(
        {
            "backend": "anthropic_batch",
            "base_url": base_url,
            "model": "claude-test",
            "api_key_env": "SYNTHFOUNDRY_TEST_ANTHROPIC_KEY",
            "folder": str(home / "requests"),
            "poll_interval_s": 0.02,
            "max_wait_s": 30.0,
            "backoff_base_s": 0.01,
            "backoff_max_s": 0.05,
            **changes,
        }
    )
    ctx = ModelContext(Warehouse(home), "anthropic")
    return CachedModel(build_backend(config), "gen-anthropic", ctx)


def _query(home, query: str) -> list[dict]:
    with Warehouse(home).reader() as con:
        return con.sql(query).pl().to_dicts()


@pytest.fixture(autouse=True)
def _key(monkeypatch):
    monkeypatch.setenv("SYNTHFOUNDRY_TEST_ANTHROPIC_KEY", "sk-ant-test-key")


def test_message_batch_answers_enter_the_call_log_as_online_answers_do(tmp_path):
    with batch_server() as server:
        online = OpenAICompatibleModel.model_validate(
            {"backend": "openai", "base_url": server.base_url, "model": "claude-test"}
        )
        ctx = ModelContext(Warehouse(tmp_path / "online"), "online")
        expected = CachedModel(build_backend(online), "gen", ctx).complete_many(PROMPTS, SAMPLING)
        results = _anthropic(tmp_path, server.base_url, max_requests_per_file=6).complete_many(
            PROMPTS, SAMPLING
        )
        keys = set(server.anthropic_keys)
        submitted = dict(server.submitted)
    assert [r.text for r in results] == [r.text for r in expected]
    assert keys == {"sk-ant-test-key"} and set(submitted.values()) == {1}
    calls = _query(tmp_path, "SELECT * FROM model_calls ORDER BY request_hash")
    assert len(calls) == len(PROMPTS)
    assert {(c["backend"], c["mode"], c["status"]) for c in calls} == {("anthropic", "batch", "ok")}
    assert all(c["prompt_tokens"] and c["completion_tokens"] for c in calls)
    batches = _query(tmp_path, "SELECT * FROM batches ORDER BY submitted_at")
    assert [b["request_count"] for b in batches] == [6, 4]
    assert {(b["provider"], b["status"]) for b in batches} == {("anthropic_batch", "completed")}


def test_errored_and_expired_requests_are_submitted_again_exactly(tmp_path):
    failing, fail = first_failures(2)
    # The first batch expires with half its requests answered (two of those errored).
    with batch_server(fail=fail, outcome=lambda n: "expired" if n == 1 else "completed") as server:
        results = _anthropic(tmp_path, server.base_url).complete_many(PROMPTS, SAMPLING)
        submitted = dict(server.submitted)
    assert len(results) == len(PROMPTS)
    twice = {h for h, n in submitted.items() if n == 2}
    # Expired: the second half; errored: the two injected failures in the first half.
    assert len(twice) == len(PROMPTS) - len(PROMPTS) // 2 + 2 and failing <= twice
    errors = _query(tmp_path, "SELECT * FROM model_calls WHERE status = 'error'")
    assert {e["request_hash"] for e in errors} == failing
    assert all("HTTP 500: api_error: injected" in e["error"] for e in errors)
