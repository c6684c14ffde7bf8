"""Every model-calling method steered by `attributes`, against the loopback server of
test_unsteered_methods: the drawn values reach its prompts, its rows (`attributes.sampled`),
the evidence of its rejections and its generators' parameters, and a re-run draws and keeps
the same."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter

from assets.registry import METHODS
from assets.synthesis.context import SynthesisContext
from assets.synthesis.methods.base import build_method
from assets.synthesis.samplers.config import SamplerConfig
from tests.flow.test_unsteered_methods import MODEL_CALLING, _answer, _config, _seeds
from tests.servers import fault_server
from warehouse import Warehouse

SAMPLERS = {
    "people": {
        "type": "persona",
        "personas": ["a retired sailor", "a pastry chef", "a first-year student"],
    },
    "register": {"type": "category", "values": ["formal", "casual"]},
    "subject": {"type": "category", "values": ["graph search", "string parsing"]},
    "domain": {"type": "category", "values": ["astronomy", "gardening"]},
}
# Per method: the bundled steered templates it is given and its attributes.
STEERED: dict[str, dict[str, Any]] = {
    "self_instruct": {
        "instruction_template": "self_instruct_steered",
        "attributes": {"topic": "subject", "persona": "people"},
    },
    "evol_instruct": {
        "depth_template": "evol_depth_steered",
        "breadth_template": "evol_breadth_steered",
        "attributes": {"difficulty": "register"},
    },
    "rephrase": {
        "template_prefix": "rephrase_for",
        "styles": ["plain"],
        "attributes": {"persona": "people"},
    },
    "verified_cot": {"template": "cot_rationale_for", "attributes": {"persona": "people"}},
    "grounded_qa": {"template": "grounded_qa_for", "attributes": {"persona": "people"}},
    "preference_pairs": {
        "generators": [{"template": "response_for"}, {"template": "concise_response"}],
        "attributes": {"persona": "people"},
    },
    "back_translation": {
        "template": "translate_register",
        "attributes": {"register": "register"},
    },
    "tool_use": {"answer_template": "tool_answer_for", "attributes": {"persona": "people"}},
    "self_chat": {"personas": [], "attributes": {"persona": "people"}},
    "magpie": {
        "user_prefix": "<|im_start|>system\nYou help people with $topic.<|im_end|>\n"
        "<|im_start|>user\n",
        "answer_template": "response_for",
        "attributes": {"topic": "domain", "persona": "people"},
    },
    "code_instruct": {"template": "code_instruct_topic", "attributes": {"topic": "subject"}},
    "program_of_thought": {
        "template": "program_of_thought_for",
        "attributes": {"persona": "people"},
    },
    "constrained_instruct": {
        "template": "response_for",
        "attributes": {"persona": "people"},
        # With its lowercase/no_commas draw, every answer passing the checks here is to a math
        # seed and states the wrong number (`wrong_answer`): word counts let others pass.
        "constraints": {"kinds": ["word_count"], "max_constraints": 1},
    },
    # The draft steered; critique and revision see the steered draft (their templates name
    # no attribute).
    "critique_revise": {"template": "response_for", "attributes": {"persona": "people"}},
}
VALUES = {
    name: [str(v) for v in (c.get("personas") or c.get("values"))] for name, c in SAMPLERS.items()
}


def _steered(method: str, base_url: str) -> Any:
    plain = _config(method, base_url).model_dump()
    for responder, steered in zip(
        plain.get("generators", []), STEERED[method].get("generators", []), strict=True
    ):
        responder.update(steered)
    extra = {k: v for k, v in STEERED[method].items() if k != "generators"}
    return METHODS.get(method).Config.model_validate({**plain, **extra})


def _run(method: str, home: Path, run_id: str) -> tuple[Any, list[str], Any]:
    adapter = TypeAdapter(SamplerConfig)
    with fault_server(_answer) as server:
        config = _steered(method, server.base_url)
        ctx = SynthesisContext(
            wh=Warehouse(home),
            run_id=run_id,
            created_at=datetime(2026, 1, 1),
            random_seed=11,
            samplers={name: adapter.validate_python(c) for name, c in SAMPLERS.items()},
        )
        output = build_method(config).run(_seeds(), ctx)
        prompts = [seen.prompt for seen in server.requests]
    return config, prompts, output


def test_every_model_calling_method_has_a_steered_case():
    assert sorted(STEERED) == MODEL_CALLING


@pytest.mark.parametrize("method", MODEL_CALLING)
def test_attributes_reach_prompts_rows_evidence_and_generators(method, home):
    config, prompts, output = _run(method, home, "run")
    given = config.attributes
    assert config.model_dump()["attributes"] == given
    rows = [json.loads(a) for a in output.rows["attributes"]]
    decisions = [json.loads(e) for e in output.rejections["evidence"]]
    assert rows, f"{method} kept no row"
    for record in [*rows, *decisions]:
        sampled = record["sampled"]
        assert set(sampled) == set(given)
        assert all(str(sampled[a]) in VALUES[given[a]] for a in given)
    # Each row's values were in the prompts it was made from (the magpie drawer's prompts
    # go to the local model, not to the server: its topic is seen in its generator).
    for row in rows:
        for attribute, value in row["sampled"].items():
            if method == "magpie" and attribute == "topic":
                continue
            assert any(str(value) in prompt for prompt in prompts), (attribute, value)
    steered = [g for g in output.generators if "attributes" in g.params]
    assert steered
    for generator in steered:
        assert {a: e["sampler"] for a, e in generator.params["attributes"].items()} == given

    again = _run(method, home, "again")[2]
    assert again.rows["row_id"].to_list() == output.rows["row_id"].to_list()
    assert [json.loads(a)["sampled"] for a in again.rows["attributes"]] == [
        r["sampled"] for r in rows
    ]
    assert again.model_calls == 0
