"""Model calls held to a JSON schema over HTTP: a server that refuses `response_format` is
asked in the next layout, then without one, and its outputs are validated and retried; a
server whose outputs never match fails the call after `schema_retries`, naming the schema."""

from __future__ import annotations

import json

import pytest

from assets.models.backends import build_backend
from assets.models.backends.openai_http import RETRY_SEED_STRIDE
from assets.models.call_cache import CachedModel
from assets.models.context import ModelContext
from assets.models.generators import OpenAICompatibleModel, Sampling
from assets.models.rubric_judge import score_schema
from tests.servers import Fault, fault_server
from warehouse import Warehouse

SCHEMA = score_schema(10)
SAMPLING = Sampling(temperature=0.7, max_tokens=16, seed=11)


def _model(home, base_url: str, **changes: object) -> CachedModel:
    config = OpenAICompatibleModel.model_validate(
        {
            "backend": "openai",
            "base_url": base_url,
            "model": "fault-model",
            "timeout_s": 2.0,
            "backoff_base_s": 0.01,
            "backoff_max_s": 0.05,
            **changes,
        }
    )
    ctx = ModelContext(wh=Warehouse(home), run_id="schema-test")
    return CachedModel(build_backend(config), "gen-schema", ctx, SCHEMA)


def _calls(home) -> list[dict]:
    with Warehouse(home).reader() as con:
        return con.sql("SELECT * FROM model_calls ORDER BY created_at").pl().to_dicts()


def test_a_server_that_refuses_response_format_gets_validated_retried_output(home):
    outputs = ["Sure! The score: 7", '{"score": 11}']

    def script(prompt: str, attempt: int) -> Fault:
        # Requests 0 and 1 carry a response_format and are refused before the script runs.
        if prompt == "rate A" and attempt - 2 < len(outputs):
            return Fault(text=outputs[attempt - 2])
        return Fault(text='{"score": 7}')

    refused = frozenset({"json_schema", "json_object"})
    with fault_server(script, refused_formats=refused) as server:
        model = _model(home, server.base_url)
        [result] = model.complete_many([("rate A", 0)], SAMPLING)
        [later] = model.complete_many([("rate B", 0)], SAMPLING)
        seen = [s.payload for s in server.requests]

    assert json.loads(result.text) == {"score": 7} and json.loads(later.text) == {"score": 7}
    layouts = [(p.get("response_format") or {}).get("type") for p in seen]
    # OpenAI's layout, llama.cpp's, then none: remembered for the next call.
    assert layouts == ["json_schema", "json_object", None, None, None, None]
    assert seen[0]["response_format"]["json_schema"] == {
        "name": "rubric_score_1_to_10",
        "schema": SCHEMA.schema,
        "strict": True,
    }
    assert seen[1]["response_format"] == {"type": "json_object", "schema": SCHEMA.schema}
    # A refusal is not an attempt; each invalid output is retried with another seed.
    assert [p["seed"] for p in seen[:5]] == [
        11,
        11,
        11,
        11 + RETRY_SEED_STRIDE,
        11 + 2 * RETRY_SEED_STRIDE,
    ]
    calls = _calls(home)
    assert [(c["prompt"], c["status"], c["raw_output"]) for c in calls] == [
        ("rate A", "ok", '{"score": 7}'),
        ("rate B", "ok", '{"score": 7}'),
    ]
    assert json.loads(calls[0]["params"])["json_schema"] == SCHEMA.identity()
    # The call's tokens (and so its cost) are all three answered attempts' (2 prompt words
    # each; 4 + 2 + 2 output words), not only the last one's.
    assert (calls[0]["prompt_tokens"], calls[0]["completion_tokens"]) == (6, 8)
    assert (calls[1]["prompt_tokens"], calls[1]["completion_tokens"]) == (2, 2)


def test_a_server_that_never_complies_fails_the_call_after_the_bound(home):
    with fault_server(lambda prompt, attempt: Fault(text="Score: 7")) as server:
        model = _model(home, server.base_url, schema_retries=2)
        with pytest.raises(RuntimeError) as failure:
            model.complete_many([("rate C", 0)], SAMPLING)
        attempts = server.attempts("rate C")

    message = str(failure.value)
    assert "no output matched JSON schema 'rubric_score_1_to_10'" in message
    assert "in 3 attempts with response_format type json_schema" in message
    assert "generator.schema_retries=2" in message and "last problem: not JSON" in message
    assert attempts == 3
    [call] = _calls(home)
    assert call["status"] == "error" and "rubric_score_1_to_10" in call["error"]
