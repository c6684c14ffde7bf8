"""SmolLM2-135M under a grammar built from a JSON schema: every output parses, and the schema
is part of the generator identity and the request hash (and absent for schema-less calls)."""

from __future__ import annotations

import json

from assets.models.context import ModelContext
from assets.models.generators import LocalModel, Sampling
from assets.models.json_schema import JsonSchema
from assets.models.prompt_templates import PromptTemplate
from assets.models.session import ModelSession
from warehouse import Warehouse

ANIMAL = JsonSchema(
    "animal_fact",
    {
        "type": "object",
        "properties": {
            "animal": {"type": "string", "minLength": 1, "maxLength": 16},
            "legs": {"enum": [0, 2, 4, 6, 8]},
            "can_fly": {"type": "boolean"},
        },
        "required": ["animal", "legs", "can_fly"],
        "additionalProperties": False,
    },
)
TEMPLATE = PromptTemplate("animal", "1", 'Describe a $thing as JSON: {"animal", "legs", "can_fly"}')
SAMPLING = Sampling(temperature=0.8, max_tokens=32, seed=3)
THINGS = [
    "cat", "dog", "bird", "spider", "fish", "snake", "ant", "horse", "bee", "crab",
    "owl", "cow", "bat", "frog", "duck", "goat", "moth", "eel", "wolf", "hen",
]  # fmt: skip


def test_twenty_grammar_constrained_calls_all_parse(home):
    session = ModelSession(ModelContext(wh=Warehouse(home), run_id="grammar-test"))
    local = LocalModel(n_threads=1)  # two threads spin on each other on a busy machine
    model = session.model(local, [TEMPLATE], {"sampling": SAMPLING.model_dump()}, ANIMAL)
    plain = session.model(local, [TEMPLATE], {"sampling": SAMPLING.model_dump()})
    calls = model.complete_many([(TEMPLATE.render(thing=t), 0) for t in THINGS], SAMPLING)

    values = [ANIMAL.parse(call.text) for call in calls]  # raises on any unparseable output
    assert len(values) == 20 and all(call.finish_reason == "stop" for call in calls)
    assert {v["legs"] for v in values} <= {0, 2, 4, 6, 8}
    # One backend for both models: the model file loads once per session.
    assert model.backend is plain.backend
    with_schema, without = session.generators
    assert with_schema.params["json_schema"] == {"name": "animal_fact", "sha256": ANIMAL.sha256}
    assert "json_schema" not in without.params
    assert with_schema.generator_id != without.generator_id
    prompt = TEMPLATE.render(thing="cat")
    assert model.request_hash(prompt, SAMPLING, 0) != plain.request_hash(prompt, SAMPLING, 0)
    with Warehouse(home).reader() as con:
        logged = con.sql("SELECT params FROM model_calls").fetchall()
    assert len(logged) == 20
    assert all(json.loads(p)["json_schema"]["sha256"] == ANIMAL.sha256 for (p,) in logged)
