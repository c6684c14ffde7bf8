"""The OpenAI-compatible backend against a real server: `python -m llama_cpp.server` serving
SmolLM2 on loopback, behind an API key. Rows, call log, lineage, resuming a killed run, and
the key never landing anywhere."""

from __future__ import annotations

import json
import os
import signal
import time
import uuid

import polars as pl
import pytest

from assets.models.backends.openai_http import BackendError, OpenAIHTTPBackend
from assets.models.call_cache import CachedModel
from assets.models.context import ModelContext
from assets.models.generators import OpenAICompatibleModel, Sampling
from assets.models.rubric_judge import score_schema
from tests.conftest import BASE_RECIPE, SELF_INSTRUCT, materialize
from tests.e2e.test_resilience import _start_run
from tests.servers import contains_secret, llama_server
from warehouse import Warehouse

KEY_ENV = "SYNTHFOUNDRY_TEST_LLAMA_KEY"
# Distinctive, so finding it anywhere is a leak and not a coincidence.
KEY = f"sk-canary-{uuid.uuid4().hex}"


@pytest.fixture(scope="session")
def server():
    with llama_server(api_key=KEY) as running:
        yield running


@pytest.fixture
def key(monkeypatch):
    monkeypatch.setenv(KEY_ENV, KEY)
    return KEY


def _generator(server, **changes: object) -> dict:
    return {
        "backend": "openai",
        "base_url": server.base_url,
        "model": server.model,
        "api_key_env": KEY_ENV,
        "max_in_flight": 3,
        **changes,
    }


def _query(home, sql: str) -> pl.DataFrame:
    with Warehouse(home).reader() as con:
        return con.sql(sql).pl()


def _warehouse_text(home) -> str:
    """Every row of every table in the warehouse, as text."""
    parts = []
    with Warehouse(home).reader() as con:
        tables = con.sql("SELECT table_name FROM duckdb_tables()").fetchall()
        for (table,) in tables:
            parts.append(repr(con.sql(f'SELECT * FROM "{table}"').fetchall()))
    return "\n".join(parts)


def test_self_instruct_through_the_real_server(server, home, write_recipe, key):
    methods = [
        *BASE_RECIPE["synthesis"]["methods"],
        {**SELF_INSTRUCT, "generator": _generator(server)},
    ]
    recipe = write_recipe(synthesis={"methods": methods})
    result = materialize(home, recipe, selection=["seed", "synthesized"])
    assert result.success

    rows = _query(home, "SELECT call_ids FROM synthesized WHERE method = 'self_instruct'")
    assert rows.height > 0
    calls = _query(home, "SELECT * FROM model_calls")
    assert set(calls["status"]) == {"ok"}
    assert set(calls["backend"]) == {"openai"} and set(calls["model"]) == {server.model}
    assert calls["prompt_tokens"].min() > 0 and calls["completion_tokens"].min() > 0
    assert calls["latency_ms"].min() > 0
    assert set(rows.explode("call_ids")["call_ids"]) <= set(calls["request_hash"])
    generator = _query(home, "SELECT * FROM generators WHERE backend = 'openai'").row(0, named=True)
    assert generator["model"] == server.model
    assert json.loads(generator["params"])["base_url"] == server.base_url
    assert KEY not in _warehouse_text(home)


def test_the_real_server_holds_outputs_to_a_schema(server, home, key):
    """llama-cpp-python's server refuses OpenAI's `json_schema` layout (422) but honours
    llama.cpp's `json_object` with a schema: SmolLM2, constrained, always answers in it."""
    backend = OpenAIHTTPBackend(OpenAICompatibleModel.model_validate(_generator(server)))
    schema = score_schema(5)
    ctx = ModelContext(wh=Warehouse(home), run_id="schema-server")
    model = CachedModel(backend, "gen-schema-server", ctx, schema)
    prompts = [(f"Rate the sentence 'The sky is {c}.' from 1 to 5.", 0) for c in ("blue", "red")]
    calls = model.complete_many(prompts, Sampling(temperature=0.8, max_tokens=12, seed=5))
    assert all(schema.parse(call.text)["score"] in range(1, 6) for call in calls)
    assert backend.response_format == "json_object"


def test_a_wrong_key_is_rejected_with_the_variable_named(server, monkeypatch):
    monkeypatch.setenv(KEY_ENV, "not-the-key")
    backend = OpenAIHTTPBackend(OpenAICompatibleModel.model_validate(_generator(server)))
    with pytest.raises(
        BackendError, match=f"HTTP 401: the server rejected the API key from \\${KEY_ENV}"
    ):
        backend.complete("Say hi", Sampling(max_tokens=4), 0)


def _ok_calls(home) -> pl.DataFrame:
    with Warehouse(home, lock_timeout_s=60).reader() as con:
        return con.sql("SELECT request_hash, run_id FROM model_calls WHERE status = 'ok'").pl()


def test_killed_run_resumes_with_only_the_missing_calls_and_never_leaks_the_key(
    server, home, write_recipe, key, tmp_path
):
    llm = {
        **SELF_INSTRUCT,
        "num_instructions": 8,
        "instruction_sampling": {"temperature": 0.8, "max_tokens": 24, "seed": 1},
        "response_sampling": {"temperature": 0.2, "max_tokens": 24, "seed": 1},
        "generator": _generator(server),
    }
    recipe = write_recipe(
        synthesis={"methods": [*BASE_RECIPE["synthesis"]["methods"], llm]},
    )

    doomed = _start_run(home, recipe)
    deadline = time.monotonic() + 300
    while _ok_calls(home).height < 3:
        assert doomed.process.poll() is None, doomed.finish()[1]
        assert time.monotonic() < deadline
        time.sleep(0.2)
    os.killpg(doomed.process.pid, signal.SIGKILL)
    _, killed_output = doomed.finish(timeout=60)
    paid = _ok_calls(home)
    assert paid["request_hash"].n_unique() == paid.height

    code, output = _start_run(home, recipe).finish()
    assert code == 0, output
    after = _ok_calls(home)
    # Nothing paid for twice; the second run made exactly the calls the first did not finish.
    assert after["request_hash"].n_unique() == after.height
    new = after.filter(~pl.col("run_id").is_in(paid["run_id"].unique().implode()))
    missing = set(after["request_hash"]) - set(paid["request_hash"])
    assert new.height == len(missing) > 0
    assert set(new["request_hash"]) == missing
    used = _query(home, "SELECT call_ids FROM synthesized WHERE method = 'self_instruct'")
    assert set(used.explode("call_ids")["call_ids"]) <= set(after["request_hash"])

    # The key reached the server (it refuses requests without it) and nothing else.
    assert any((home / "exports").rglob("*.jsonl"))
    assert any((tmp_path / "dagster").rglob("*.db"))
    assert KEY not in killed_output and KEY not in output
    assert KEY not in _warehouse_text(home)
    assert contains_secret(home, KEY) == []  # exports, warehouse file, inbox, caches
    assert contains_secret(tmp_path / "dagster", KEY) == []  # run and event storage, logs
