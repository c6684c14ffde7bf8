"""The tool_use method against a loopback OpenAI-compatible server whose answers are scripted
per task: the tool is chosen, then its arguments filled in (each a chat whose earlier turns
are the tools' worked examples), the call is executed and answered; a tool that refuses its
arguments rejects the task as `tool_error`, a blank answer as `no_final_answer`, an answer
that ignores the result as `answer_ignores_result`; every kept row is a conversation whose
tool calls validate against the offered tools' schemas and whose turns name their calls.
The checks a server cannot be trusted with (`unknown_tool`, `invalid_arguments`,
`copied_example`, `ungrounded_arguments`) are tested on the parsed output directly."""

from __future__ import annotations

import json
from datetime import datetime

import jsonschema
import polars as pl

from assets.models.generators import OpenAICompatibleModel
from assets.synthesis.context import SynthesisContext
from assets.synthesis.methods.tool_use import (
    ToolUse,
    ToolUseMethod,
    check_arguments,
    check_choice,
)
from tests.servers import Fault, fault_server
from warehouse import Warehouse
from warehouse.rows import conform, with_row_ids

# task -> (the tool the model picks, its arguments, the final answer it writes)
SCRIPT = {
    "What is 6 times 7?": ("calculator", {"expression": "6*7"}, "It is 42."),
    "Divide 1 by 0.": ("calculator", {"expression": "1/0"}, "-"),
    "Which weekday was 1969-07-20?": (
        "date_arithmetic",
        {"operation": "weekday", "date": "1969-07-20"},
        "   ",
    ),
    "What is 8 plus 9?": ("calculator", {"expression": "8+9"}, "It is 18."),
}


def _answer(prompt: str, attempt: int) -> Fault:
    task = next(t for t in SCRIPT if f"Task: {t}" in prompt)
    tool, arguments, answer = SCRIPT[task]
    text = (
        json.dumps({"final_answer": answer})
        if "returned:" in prompt
        else json.dumps(arguments)
        if "You fill in the arguments" in prompt
        else json.dumps({"tool": tool})
    )
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
    assert sorted(output.rejections["rule"]) == [
        "answer_ignores_result",
        "no_final_answer",
        "tool_error",
    ]
    error = json.loads(output.rejections.filter(pl.col("rule") == "tool_error")["evidence"][0])
    assert error["error"] == "division by zero" and error["tool"] == "calculator"
    (row,) = output.rows.to_dicts()
    assert row["kind"] == "conversation" and row["method"] == "tool_use"
    messages = json.loads(row["messages"])
    assert [m["role"] for m in messages] == ["user", "assistant", "tool", "assistant"]
    (call,) = messages[1]["tool_calls"]
    assert messages[2]["tool_call_id"] == call["id"] and messages[2]["content"] == "42"
    assert messages[3]["content"] == "It is 42."
    attributes = json.loads(row["attributes"])
    schemas = {t["function"]["name"]: t["function"]["parameters"] for t in attributes["tools"]}
    jsonschema.validate(json.loads(call["function"]["arguments"]), schemas["calculator"])
    # Each generated turn names its call; the choice, arguments and answer calls are the row's
    # lineage.
    turn_calls = attributes["turn_calls"]
    assert turn_calls[0] is None and turn_calls[2] is None
    assert row["call_ids"] == [attributes["choice_call"], turn_calls[1], turn_calls[3]]
    assert row["seed_ids"] == [seeds["row_id"][0]]
    # The chooser, the answerer, and one arguments generator per tool used.
    assert len({g.generator_id for g in output.generators}) == 4


def test_calls_naming_unknown_tools_or_bad_arguments_are_rejected_by_rule():
    tools = ToolUseMethod(ToolUse(method="tool_use")).tools
    assert check_choice('{"tool": "shell"}', tools)[0] == "unknown_tool"
    assert check_choice("calculator", tools)[0] == "invalid_arguments"
    assert check_choice('{"tool": "calculator"}', tools) == ("ok", "calculator")
    calculator, units, dates = (
        tools["calculator"],
        tools["convert_units"],
        tools["date_arithmetic"],
    )
    task = "What is 1 plus 2?"
    rule, reason = check_arguments('{"expr": "1+2"}', calculator, task)
    assert rule == "invalid_arguments" and "expression" in str(reason)
    assert check_arguments("1+2", calculator, task)[0] == "invalid_arguments"
    assert check_arguments('{"expression": "1 + 2"}', calculator, task)[0] == "ok"
    # An example's arguments for another task; a task's number left out.
    copied = '{"expression": "15 / 100 * 80"}'
    assert check_arguments(copied, calculator, task)[0] == "copied_example"
    assert check_arguments(copied, calculator, "What is 15% of 80?")[0] == "ok"
    assert check_arguments('{"expression": "1 + 1"}', calculator, task)[0] == (
        "ungrounded_arguments"
    )
    # A date the task never mentions; swapped units.
    rule, reason = check_arguments(
        '{"operation": "add_days", "date": "2023-01-25", "days": 90}',
        dates,
        "What date is 90 days after 2024-03-15?",
    )
    assert rule == "ungrounded_arguments" and "2024-03-15" in str(reason)
    swapped = '{"value": 26.2, "from_unit": "km", "to_unit": "mi"}'
    assert check_arguments(swapped, units, "How many kilometres are 26.2 miles?")[0] == (
        "ungrounded_arguments"
    )
    right = '{"value": 26.2, "from_unit": "mi", "to_unit": "km"}'
    assert check_arguments(right, units, "How many kilometres are 26.2 miles?")[0] == "ok"
