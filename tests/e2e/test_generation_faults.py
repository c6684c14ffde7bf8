"""The HTTP backend against a loopback server that injects faults: retries, Retry-After,
concurrency without loss, and a server that stays down failing the run, fast and clearly."""

from __future__ import annotations

import threading
import time
from email.utils import formatdate

import pytest
import yaml

from assets.models.backends import build_backend
from assets.models.backends.openai_http import OpenAIHTTPBackend, parse_retry_after
from assets.models.call_cache import CachedModel
from assets.models.context import ModelContext
from assets.models.generators import OpenAICompatibleModel, Sampling
from tests.conftest import BASE_RECIPE, SELF_INSTRUCT, materialize
from tests.servers import Fault, completion_body, fault_server
from warehouse import Warehouse

SAMPLING = Sampling(temperature=0.0, max_tokens=16)
KEY_ENV = "SYNTHFOUNDRY_TEST_FAULT_KEY"
KEY = "fault-key-7f3a9c1e"


def _config(base_url: str, **changes: object) -> OpenAICompatibleModel:
    settings = {
        "backend": "openai",
        "base_url": base_url,
        "model": "fault-model",
        "api_key_env": KEY_ENV,
        "timeout_s": 2.0,
        "max_retries": 5,
        "backoff_base_s": 0.01,
        "backoff_max_s": 0.05,
        **changes,
    }
    return OpenAICompatibleModel.model_validate(settings)


def _cached_model(home, config: OpenAICompatibleModel, refresh: bool = False) -> CachedModel:
    ctx = ModelContext(wh=Warehouse(home), run_id="fault-test", refresh_cache=refresh)
    return CachedModel(build_backend(config), "gen-fault", ctx)


def _calls(home) -> list[dict]:
    with Warehouse(home).reader() as con:
        return con.sql("SELECT * FROM model_calls ORDER BY created_at").pl().to_dicts()


@pytest.fixture
def key(monkeypatch):
    monkeypatch.setenv(KEY_ENV, KEY)
    return KEY


def test_each_fault_is_retried_and_retry_after_is_honoured(home, key):
    faults = [
        Fault(status=500, body=b'{"error": "internal"}'),
        Fault(body=b"<html>not json"),
        Fault(drop=True),
        Fault(delay_s=3.0),  # beyond timeout_s
        Fault(status=429, body=b"{}", retry_after="1"),
    ]

    def script(prompt: str, attempt: int) -> Fault | None:
        return faults[attempt] if attempt < len(faults) else None

    with fault_server(script) as server:
        model = _cached_model(home, _config(server.base_url))
        [result] = model.complete_many([("tell me a fact", 0)], SAMPLING)
        times = server.times("tell me a fact")
        seen = list(server.requests)

    assert len(seen) == len(faults) + 1  # every fault retried once, then the good answer
    assert times[-1] - times[-2] >= 1.0  # waited out Retry-After: 1
    assert all(s.authorization == f"Bearer {KEY}" for s in seen)
    assert result.text.startswith("Explain why the number")
    [call] = _calls(home)
    assert call["status"] == "ok"
    assert call["prompt_tokens"] == 4 and call["completion_tokens"] > 0
    assert call["latency_ms"] > 0
    assert KEY not in repr(call)


def test_retry_after_as_an_http_date(home, key):
    when = time.time() + 2.0
    stamp = formatdate(when, usegmt=True)  # whole seconds: wait until that second has come

    def script(prompt: str, attempt: int) -> Fault | None:
        return Fault(status=503, body=b"busy", retry_after=stamp) if attempt == 0 else None

    with fault_server(script) as server:
        _cached_model(home, _config(server.base_url)).complete_many([("q", 0)], SAMPLING)
        seen = list(server.requests)
    assert len(seen) == 2
    assert seen[1].wall >= int(when)
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert parse_retry_after("2.5") == 2.5
    assert parse_retry_after("soon") is None


def test_concurrent_calls_under_faults_lose_nothing_and_keep_order(home, key):
    prompts = [(f"prompt number {i}", i % 3) for i in range(40)]

    def script(prompt: str, attempt: int) -> Fault | None:
        number = int(prompt.rsplit(" ", 1)[1])
        if attempt == 0 and number % 4 == 1:
            return [Fault(status=502, body=b"bad gateway"), Fault(drop=True)][number % 2]
        if attempt == 0 and number % 4 == 2:
            return Fault(body=b'{"choices": []}', delay_s=0.05)
        if attempt == 0 and number % 4 == 3:
            return Fault(status=429, body=b"{}", retry_after="0")
        return Fault(delay_s=0.1)  # a valid answer that takes a while, so calls overlap

    with fault_server(script) as server:
        model = _cached_model(home, _config(server.base_url, max_in_flight=8, timeout_s=10))
        results = model.complete_many(prompts, SAMPLING)
        assert 1 < server.max_active <= 8
        first_round = len(server.requests)
        assert first_round == 40 + 30  # three in four prompts failed once

        # In input order, each the answer to its own prompt.
        for (prompt, _), result in zip(prompts, results, strict=True):
            assert result.text in completion_body(prompt, {}).decode()
            assert not result.cached
        calls = _calls(home)
        assert len(calls) == 40 and {c["status"] for c in calls} == {"ok"}
        assert sorted(c["request_hash"] for c in calls) == sorted(r.request_hash for r in results)

        # A re-run is served from the call log; refresh_cache calls again.
        again = _cached_model(home, _config(server.base_url, max_in_flight=8))
        assert [r.text for r in again.complete_many(prompts, SAMPLING)] == [r.text for r in results]
        assert again.cache_hits == 40 and again.new_calls == 0
        assert len(server.requests) == first_round
        fresh = _cached_model(home, _config(server.base_url, max_in_flight=8), refresh=True)
        fresh.complete_many(prompts[:5], SAMPLING)
        assert fresh.new_calls == 5 and len(server.requests) == first_round + 5


def test_a_client_error_fails_at_once_and_is_logged(home, key):
    arrived: set[str] = set()
    both_ok_in_flight = threading.Event()

    def script(prompt: str, attempt: int) -> Fault:
        if prompt == "bad":
            # Fail only once both good calls have reached the server, so they are surely in
            # flight (a loaded machine may start pool threads late).
            both_ok_in_flight.wait(timeout=30)
            return Fault(status=400, body=b'{"error": "max_tokens too large"}')
        if prompt == "wrong path":
            return Fault(status=404, body=b"Not Found")
        arrived.add(prompt)
        if {"ok 1", "ok 2"} <= arrived:
            both_ok_in_flight.set()
        return Fault(delay_s=0.2)

    with fault_server(script) as server:
        model = _cached_model(home, _config(server.base_url, max_in_flight=4))
        with pytest.raises(RuntimeError, match="HTTP 400: .*max_tokens too large"):
            model.complete_many([("ok 1", 0), ("bad", 0), ("ok 2", 0)], SAMPLING)
        assert server.attempts("bad") == 1
        with pytest.raises(RuntimeError, match="HTTP 404 \\(is base_url the API root"):
            OpenAIHTTPBackend(_config(server.base_url)).complete("wrong path", SAMPLING, 0)
        assert server.attempts("wrong path") == 1
    statuses = {c["prompt"]: c["status"] for c in _calls(home)}
    assert statuses["bad"] == "error"
    # The calls already in flight when it failed were paid for: they are logged too.
    assert statuses.get("ok 1") == "ok" and statuses.get("ok 2") == "ok"


def test_missing_key_names_the_variable(home, monkeypatch):
    monkeypatch.delenv(KEY_ENV, raising=False)
    with fault_server() as server:
        model = _cached_model(home, _config(server.base_url))
        with pytest.raises(RuntimeError, match=f"{KEY_ENV} \\(generator.api_key_env\\) is not set"):
            model.complete_many([("q", 0)], SAMPLING)
        assert server.requests == []


def test_rejected_key_is_reported_without_its_value(home, key):
    echo = Fault(status=500, body=f'{{"error": "invalid key {KEY}"}}'.encode())
    with fault_server(lambda p, a: echo) as server:
        backend = OpenAIHTTPBackend(_config(server.base_url, max_retries=1))
        with pytest.raises(RuntimeError) as failure:
            backend.complete("q", SAMPLING, 0)
    assert "invalid key ***" in str(failure.value) and KEY not in str(failure.value)
    with fault_server(lambda p, a: Fault(status=401, body=f'{{"key": "{KEY}"}}'.encode())) as s:
        with pytest.raises(RuntimeError) as failure:
            OpenAIHTTPBackend(_config(s.base_url)).complete("q", SAMPLING, 0)
        assert s.attempts("q") == 1
    assert f"API key from ${KEY_ENV}" in str(failure.value) and KEY not in str(failure.value)


def test_a_server_that_stays_down_fails_the_run_quickly_and_clearly(home, write_recipe, key):
    with fault_server(lambda p, a: Fault(status=503, body=b"overloaded")) as server:
        generator = {
            "backend": "openai",
            "base_url": server.base_url,
            "model": "fault-model",
            "api_key_env": KEY_ENV,
            "max_in_flight": 4,
            "max_retries": 1000,  # the failure budget, not the retries, has to end this
            "max_consecutive_failures": 12,
            "backoff_base_s": 0.01,
            "backoff_max_s": 0.05,
        }
        methods = [*BASE_RECIPE["synthesis"]["methods"], {**SELF_INSTRUCT, "generator": generator}]
        recipe = write_recipe(synthesis={"methods": methods})
        started = time.monotonic()
        result = materialize(home, recipe)
        elapsed = time.monotonic() - started
        seen = len(server.requests)

    assert not result.success
    assert elapsed < 120
    assert 12 <= seen <= 12 + 4  # the budget, plus requests already in flight when it ran out
    [failure] = [e for e in result.all_events if e.is_step_failure]
    message = str(failure.step_failure_data.error)
    assert server.base_url in message
    assert "12 requests in a row failed" in message
    assert "HTTP 503: overloaded" in message
    assert KEY not in message
    errors = [c for c in _calls(home) if c["status"] == "error"]
    assert errors and all(server.base_url in c["error"] for c in errors)


def test_recipe_generator_union_and_key_hygiene():
    from assets.models.generators import LocalModel
    from assets.recipe.loader import RecipeError, parse_recipe
    from tests.conftest import recipe_dict

    def recipe(generator: dict) -> str:
        methods = [{**SELF_INSTRUCT, "generator": generator}]
        return yaml.safe_dump(recipe_dict(synthesis={"methods": methods}))

    # Recipes from before the union (no `backend`) still mean the local model.
    parsed = parse_recipe(recipe({"n_ctx": 1024}), "old.yaml")
    assert isinstance(parsed.synthesis.methods[0].generator, LocalModel)
    openai = {"backend": "openai", "base_url": "http://127.0.0.1:9/v1", "model": "m"}
    parsed = parse_recipe(recipe(openai), "new.yaml")
    assert parsed.synthesis.methods[0].generator.max_in_flight == 8

    with pytest.raises(RecipeError) as pasted:
        parse_recipe(recipe({**openai, "api_key_env": KEY}), "pasted.yaml")
    assert "pasted.yaml" in str(pasted.value) and "generator.openai.api_key_env" in str(
        pasted.value
    )
    assert "NAME of an environment variable" in str(pasted.value) and KEY not in str(pasted.value)
    with pytest.raises(RecipeError, match="must not carry credentials") as in_url:
        parse_recipe(recipe({**openai, "base_url": f"https://user:{KEY}@host/v1"}), "url.yaml")
    assert KEY not in str(in_url.value)
    with pytest.raises(RecipeError, match="generator: .*'vllm'"):
        parse_recipe(recipe({"backend": "vllm"}), "bad.yaml")
