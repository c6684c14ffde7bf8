"""Methods steered by attributes, against a loopback OpenAI-compatible server that answers
at once: sampled values reach the prompts, the rows (`attributes.sampled`), the rejections
and the generator's parameters; a 3x4 grid is realized within 0.05 total variation over
2,000 rows; draws and rows are the same on a re-run."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from datetime import datetime

import polars as pl
import pytest
from pydantic import TypeAdapter

from assets.synthesis.context import SynthesisContext
from assets.synthesis.methods.evol_instruct import EvolInstruct, EvolInstructMethod
from assets.synthesis.methods.rephrase import Rephrase, RephraseMethod
from assets.synthesis.methods.self_instruct import SelfInstruct, SelfInstructMethod
from assets.synthesis.samplers.config import SamplerConfig
from tests.servers import Fault, completion_body, fault_server
from warehouse import Warehouse
from warehouse.rows import conform, with_row_ids

GRID = {
    "level": {"type": "category", "values": {"easy": 3, "medium": 2, "hard": 1}},
    "topic": {
        "type": "category",
        "values": {"cooking": 1, "physics": 2, "law": 3, "music": 4},
    },
}
GRID_TEMPLATE = "self_instruct_grid"


def _unique_instruction(prompt: str, attempt: int) -> str:
    """An instruction no other request gets (the same prompt comes again with another sample
    index): made-up words drawn from a hash of the prompt and the attempt."""
    digest = hashlib.sha256(f"{prompt}|{attempt}".encode()).digest()
    return "Describe the " + " ".join(f"w{digest[i]}{digest[i + 1]}" for i in range(0, 18, 2))


def _answer(prompt: str, attempt: int) -> Fault:
    if "Reply with JSON only" in prompt:
        evolved = _unique_instruction(prompt, 0) + " and add three more steps to it."
        return Fault(text=json.dumps({"prompt": evolved}))
    if "example tasks" in prompt:
        return Fault(text=_unique_instruction(prompt, attempt))
    return Fault(body=completion_body(prompt, {}, "An answer."))


@pytest.fixture
def seeds() -> pl.DataFrame:
    instructions = [
        "Write a haiku about autumn leaves.",
        "Explain how a bicycle gear works.",
        "List three uses of vinegar at home.",
        "Summarize the causes of the French revolution.",
    ]
    frame = pl.DataFrame(
        {
            "kind": ["instruction"] * 4,
            "instruction": instructions,
            "response": ["An answer."] * 4,
            "task_type": ["creative", "open_qa", "brainstorm", "summarization"],
        }
    )
    return with_row_ids(conform(frame))


def _context(home, samplers: dict, run_id: str = "run") -> SynthesisContext:
    adapter = TypeAdapter(SamplerConfig)
    return SynthesisContext(
        wh=Warehouse(home),
        run_id=run_id,
        created_at=datetime(2026, 1, 1),
        random_seed=5,
        samplers={name: adapter.validate_python(c) for name, c in samplers.items()},
    )


def _generator(server) -> dict:
    return {"backend": "openai", "base_url": server.base_url, "model": "stub", "max_retries": 0}


def test_self_instruct_realizes_a_3x4_grid_and_records_it(home, seeds, monkeypatch):
    # A template naming both attributes, as a user's own would.
    from assets.models import prompt_templates

    grid = prompt_templates.PromptTemplate(
        GRID_TEMPLATE,
        "1",
        "Here are some example tasks:\n$examples\nWrite one new task about $topic, $level to do.",
    )
    real = prompt_templates.load_template
    monkeypatch.setattr(
        "assets.synthesis.methods.self_instruct.load_template",
        lambda name, version=None: grid if name == GRID_TEMPLATE else real(name, version),
    )
    with fault_server(_answer) as server:
        config = SelfInstruct.model_validate(
            {
                "method": "self_instruct",
                "num_instructions": 2_000,
                "max_rouge_l": 0.9,
                "instruction_template": GRID_TEMPLATE,
                "attributes": {"level": "level", "topic": "topic"},
                "generator": _generator(server),
            }
        )
        output = SelfInstructMethod(config).run(seeds, _context(home, GRID))
        prompts = [seen.prompt for seen in server.requests if "example tasks" in seen.prompt]

    rows = output.rows
    sampled = [json.loads(a)["sampled"] for a in rows["attributes"]]
    assert rows.height >= 1_900
    # Every prompt carries its row's values.
    assert len(prompts) == 2_000
    topics = ("cooking", "physics", "law", "music")
    assert all(sum(f"about {t}," in p for t in topics) == 1 for p in prompts)
    realized = Counter((s["level"], s["topic"]) for s in sampled)
    level_share = {"easy": 3 / 6, "medium": 2 / 6, "hard": 1 / 6}
    topic_share = {"cooking": 0.1, "physics": 0.2, "law": 0.3, "music": 0.4}
    tvd = 0.5 * sum(
        abs(realized.get((lv, tp), 0) / rows.height - level_share[lv] * topic_share[tp])
        for lv in level_share
        for tp in topic_share
    )
    assert tvd <= 0.05
    [generator] = output.generators
    assert generator.params["attributes"]["topic"]["values"] == GRID["topic"]["values"]


def test_evol_instruct_steers_every_round_of_a_chain_alike(home, seeds):
    samplers = {"level": {"type": "category", "values": ["easy", "hard"]}}
    with fault_server(_answer) as server:
        config = EvolInstruct.model_validate(
            {
                "method": "evol_instruct",
                "num_instructions": 4,
                "rounds": 2,
                "operations": ["breadth"],
                "depth_template": "evol_depth_steered",
                "breadth_template": "evol_breadth_steered",
                "attributes": {"difficulty": "level"},
                "generator": _generator(server),
            }
        )
        output = EvolInstructMethod(config).run(seeds, _context(home, samplers))
        again = EvolInstructMethod(config).run(seeds, _context(home, samplers, "again"))
        evolutions = [s.prompt for s in server.requests if "Prompt Creator" in s.prompt]
    rows = output.rows.to_dicts()
    assert len(rows) == 8
    by_chain: dict[str, set[str]] = {}
    for row in rows:
        attributes = json.loads(row["attributes"])
        by_chain.setdefault(row["seed_ids"][0], set()).add(attributes["sampled"]["difficulty"])
    assert all(len(values) == 1 for values in by_chain.values()) and len(by_chain) == 4
    assert all(("be easy to" in p) != ("be hard to" in p) for p in evolutions)
    assert again.rows["row_id"].to_list() == output.rows["row_id"].to_list()
    assert (again.model_calls, again.cached_calls) == (0, output.model_calls)


def test_rephrase_renders_each_source_rows_persona(home, seeds):
    samplers = {"people": {"type": "persona", "personas": ["a pilot", "a baker", "a poet"]}}
    with fault_server(lambda prompt, attempt: Fault(text=f"Rewritten: {prompt}")) as server:
        config = Rephrase.model_validate(
            {
                "method": "rephrase",
                "kinds": ["instruction"],
                "styles": ["plain"],
                "template_prefix": "rephrase_for",
                "max_rouge_l": 1.0,
                "attributes": {"persona": "people"},
                "generator": _generator(server),
            }
        )
        output = RephraseMethod(config).run(seeds, _context(home, samplers))
        prompts = [seen.prompt for seen in server.requests]
    rows = output.rows.to_dicts()
    assert len(rows) == 4
    source = dict(zip(seeds["row_id"], seeds["instruction"], strict=True))
    for row in rows:
        persona = json.loads(row["attributes"])["sampled"]["persona"]
        (prompt,) = [p for p in prompts if source[row["parent_ids"][0]] in p]
        assert f"for {persona}." in prompt
    assert len({json.loads(r["attributes"])["sampled"]["persona"] for r in rows}) > 1
    [generator] = output.generators
    assert generator.params["attributes"]["persona"]["targets"] == pytest.approx(
        {"a pilot": 1 / 3, "a baker": 1 / 3, "a poet": 1 / 3}
    )
