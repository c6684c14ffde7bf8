"""The tool_use method against a loopback OpenAI-compatible server whose answers are scripted
per task: a good call is executed and answered, a tool that refuses its arguments rejects the
task as `tool_error`, a blank answer as `no_final_answer`; every kept row is a conversation
whose tool calls validate against the offered tools' schemas and whose turns name their
calls. The checks a server cannot be trusted with (`unknown_tool`, `invalid_arguments`) are
tested on the parsed output directly."""

from __future__ import annotations

import json
from datetime import datetime

import jsonschema
import polars as pl

from assets.recipe.generators import OpenAICompatibleModel
from assets.synthesis.context import SynthesisContext
from assets.synthesis.methods.tool_use import ToolUse, ToolUseMethod, check_call
from tests.servers import Fault, fault_server
from warehouse import Warehouse
from warehouse.rows import conform, with_row_ids

# task -> (the tool call the model makes, the final answer it writes)
SCRIPT = {
    "What is 6 times 7?": ({"tool": "calculator", "tool_arguments": {"expression": "6*7"}}, "42"),
    "Divide 1 by 0.": ({"tool": "calculator", "tool_arguments": {"expression": "1/0"}}, "-"),
    "Which weekday was 1969-07-20?": (
        {
            "tool": "date_arithmetic",
            "tool_arguments": {"operation": "weekday", "date": "1969-07-20"},
        },
        "   ",
    ),
}


def _answer(prompt: str, attempt: int) -> Fault:
    task = next(t for t in SCRIPT if f"Task: {t}" in prompt)
    call, answer = SCRIPT[task]
    text = json.dumps({"final_answer": answer}) if "returned:" in prompt else json.dumps(call)
    body = {
        "choices": [{"message": {"content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 3, "completion_tokens": 5},
    }
    return Fault(body=json.dumps(body).encode())


def test_tool_use_executes_calls_and_rejects_what_fails(home):
    seeds = with_row_ids(
        conform(
            pl.DataFrame(
                {"kind": "instruction", "task_type": "tool_use", "instruction": list(SCRIPT)}
            )
        )
    )
    with fault_server(_answer) as server:
        generator = OpenAICompatibleModel(
            backend="openai", base_url=server.base_url, model="stub", max_retries=0
        )
        method = ToolUseMethod(ToolUse(method="tool_use", generator=generator))
        ctx = SynthesisContext(
            wh=Warehouse(home), run_id="r1", created_at=datetime(2026, 1, 1), random_seed=0
        )
        output = method.run(seeds, ctx)
    assert sorted(output.rejections["rule"]) == ["no_final_answer", "tool_error"]
    error = json.loads(output.rejections.filter(pl.col("rule") == "tool_error")["evidence"][0])
    assert error["error"] == "division by zero" and error["tool"] == "calculator"
    (row,) = output.rows.to_dicts()
    assert row["kind"] == "conversation" and row["method"] == "tool_use"
    messages = json.loads(row["messages"])
    assert [m["role"] for m in messages] == ["user", "assistant", "tool", "assistant"]
    (call,) = messages[1]["tool_calls"]
    assert messages[2]["tool_call_id"] == call["id"] and messages[2]["content"] == "42"
    assert messages[3]["content"] == "42"
    attributes = json.loads(row["attributes"])
    schemas = {t["function"]["name"]: t["function"]["parameters"] for t in attributes["tools"]}
    jsonschema.validate(json.loads(call["function"]["arguments"]), schemas["calculator"])
    # Each generated turn names its call; both calls are the row's lineage.
    turn_calls = attributes["turn_calls"]
    assert turn_calls[0] is None and turn_calls[2] is None
    assert row["call_ids"] == [turn_calls[1], turn_calls[3]]
    assert row["seed_ids"] == [seeds["row_id"][0]]
    assert len({g.generator_id for g in output.generators}) == 2


def test_calls_naming_unknown_tools_or_bad_arguments_are_rejected_by_rule():
    tools = ToolUseMethod(ToolUse(method="tool_use")).tools
    assert check_call('{"tool": "shell", "tool_arguments": {}}', tools)[0] == "unknown_tool"
    rule, reason = check_call('{"tool": "calculator", "tool_arguments": {"expr": "1"}}', tools)
    assert rule == "invalid_arguments" and "expression" in str(reason)
    assert check_call("calculator(1+1)", tools)[0] == "invalid_arguments"
    assert (
        check_call('{"tool": "calculator", "tool_arguments": {"expression": "1"}}', tools)[0]
        == "ok"
    )
