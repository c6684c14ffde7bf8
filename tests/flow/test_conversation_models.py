"""The conversation methods on the embedded SmolLM2: Magpie sends only the ChatML user prefix
and every drawn instruction becomes a row or a decision, with lineage but no seed; tool_use's
calls are made in two grammar-held steps (choose a tool, fill in its arguments), so a call
that ran to its end always names an offered tool with valid arguments, and a kept tool-call
trace validates against its tool's schema."""

from __future__ import annotations

import json
from datetime import datetime

import polars as pl

from assets.models.generators import Sampling
from assets.synthesis.context import SynthesisContext
from assets.synthesis.methods.magpie import CHATML_USER_PREFIX, Magpie, MagpieMethod
from assets.synthesis.methods.tool_use import (
    ToolUse,
    ToolUseMethod,
    arguments_schema,
    choice_schema,
)
from assets.tools.base import argument_problem
from warehouse import Warehouse
from warehouse.rows import conform, empty_rows, with_row_ids


def _context(home) -> SynthesisContext:
    return SynthesisContext(
        wh=Warehouse(home), run_id="r1", created_at=datetime(2026, 1, 1), random_seed=0
    )


def _calls(home, ids: list[str]) -> pl.DataFrame:
    with Warehouse(home).reader() as con:
        return con.sql(
            "SELECT request_hash, generator_id, prompt, raw_output, finish_reason "
            "FROM model_calls WHERE list_contains(?, request_hash)",
            params=[ids],
        ).pl()


def test_magpie_draws_instructions_from_the_user_prefix_alone(home):
    config = Magpie(
        method="magpie",
        num_instructions=2,
        instruction_sampling=Sampling(temperature=1.0, top_p=0.99, max_tokens=24, seed=7),
        answer_sampling=Sampling(temperature=0.3, max_tokens=32, seed=7),
    )
    output = MagpieMethod(config).run(empty_rows(), _context(home))
    drawer, answerer = output.generators
    assert drawer.backend == "local_prefix" and drawer.model_digest.startswith("sha256:")
    assert drawer.template_text == CHATML_USER_PREFIX
    # Every drawn instruction is a row or a decision.
    instruction_calls = {
        json.loads(e)["call_id"]
        for e, rule in output.rejections.select("evidence", "rule").iter_rows()
        if rule.startswith("instruction_") or rule == "duplicate_instruction"
    }
    kept_calls = {ids[0] for ids in output.rows["call_ids"]}
    assert len(instruction_calls | kept_calls) == 2
    drawn = _calls(home, sorted(instruction_calls | kept_calls))
    assert set(drawn["prompt"]) == {CHATML_USER_PREFIX}
    assert set(drawn["generator_id"]) == {drawer.generator_id}
    for row in output.rows.to_dicts():
        assert row["seed_ids"] == [] and row["parent_ids"] == []
        assert row["generator_id"] == answerer.generator_id
        user, assistant = json.loads(row["messages"])
        (first_call,) = _calls(home, [row["call_ids"][0]]).to_dicts()
        assert user["content"] == first_call["raw_output"].strip()
        assert json.loads(row["attributes"])["turn_calls"] == row["call_ids"]


def test_tool_calls_of_the_local_model_match_the_tools_schemas(home):
    tasks = [
        "Find what the reference documents say about photosynthesis.",
        "Which planet has the most moons?",
    ]
    seeds = with_row_ids(
        conform(
            pl.DataFrame({"kind": "instruction", "task_type": "tool_use", "instruction": tasks})
        )
    )
    method = ToolUseMethod(
        ToolUse(
            method="tool_use",
            call_sampling=Sampling(temperature=0.2, max_tokens=64, seed=7),
            answer_sampling=Sampling(temperature=0.2, max_tokens=128, seed=7),
        )
    )
    output = method.run(seeds, _context(home))
    schemas = {
        record.generator_id: (record.params.get("tool"), record.template_name)
        for record in output.generators
    }
    with Warehouse(home).reader() as con:
        calls = con.sql("SELECT generator_id, raw_output, finish_reason FROM model_calls").pl()
    # Two steps per task, each held to its schema by a grammar: a choice among the offered
    # tools, then the chosen tool's own arguments.
    chose = [o for g, o, _ in calls.iter_rows() if schemas[g][1].startswith("tool_choice")]
    assert len(chose) == len(tasks)
    for generator_id, output_text, finish_reason in calls.iter_rows():
        tool, template = schemas[generator_id]
        if finish_reason == "length":
            continue
        if template.startswith("tool_choice"):
            assert choice_schema(list(method.tools)).problem(output_text) is None
        elif template.startswith("tool_arguments"):
            assert arguments_schema(method.tools[tool]).problem(output_text) is None
    assert not set(output.rejections["rule"]) & {"unknown_tool", "invalid_arguments"}
    # The document search is called and answered; its trace validates against the tool.
    assert output.rows.height >= 1
    for row in output.rows.to_dicts():
        _, call, result, answer = json.loads(row["messages"])
        (made,) = call["tool_calls"]
        tool = method.tools[made["function"]["name"]]
        arguments = json.loads(made["function"]["arguments"])
        assert argument_problem(tool, arguments) is None
        assert result["content"] == tool.run(arguments)[: len(result["content"])]
        assert answer["content"]
