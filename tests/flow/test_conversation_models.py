"""The conversation methods on the embedded SmolLM2: Magpie sends only the ChatML user prefix
and every drawn instruction becomes a row or a decision, with lineage but no seed; tool_use's
calls are held to the tools' schemas by a grammar, so a call that ran to its end always names
an offered tool with valid arguments."""

from __future__ import annotations

import json
from datetime import datetime

import polars as pl

from assets.recipe.generators import Sampling
from assets.synthesis.context import SynthesisContext
from assets.synthesis.methods.magpie import CHATML_USER_PREFIX, Magpie, MagpieMethod
from assets.synthesis.methods.tool_use import ToolUse, ToolUseMethod, call_schema, check_call
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
    tasks = ["What is 12 times 11?", "Which planet has the most moons?"]
    seeds = with_row_ids(
        conform(
            pl.DataFrame({"kind": "instruction", "task_type": "tool_use", "instruction": tasks})
        )
    )
    # Two tools keep the prompt short; the schema still has a branch per tool.
    method = ToolUseMethod(
        ToolUse(
            method="tool_use",
            tools=["calculator", "planet_table"],
            call_sampling=Sampling(temperature=0.2, max_tokens=48, seed=7),
            answer_sampling=Sampling(temperature=0.2, max_tokens=32, seed=7),
        )
    )
    output = method.run(seeds, _context(home))
    caller = output.generators[0]
    with Warehouse(home).reader() as con:
        calls = con.sql(
            "SELECT raw_output, finish_reason FROM model_calls WHERE generator_id = ?",
            params=[caller.generator_id],
        ).pl()
    assert calls.height == len(tasks)
    schema = call_schema(list(method.tools.values()))
    for output_text, finish_reason in calls.iter_rows():
        if finish_reason != "length":
            assert schema.problem(output_text) is None
            assert check_call(output_text, method.tools)[0] == "ok"
    assert not set(output.rejections["rule"]) & {"unknown_tool"}
