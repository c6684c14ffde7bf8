"""Tool-calling conversations (in the manner of Toolformer and ToolAlpaca): for each task (a
seed instruction of `task_types`), the model calls one of the recipe's tools, the tool's real
implementation runs, and the model writes the final answer from the result.

The call is held to a JSON schema built from the tools' own argument schemas (one branch per
tool), so a local model can only name a tool it was offered with arguments of the right
shape; the output is still checked here, because a server may not enforce schemas. A task
yields no row, with a decision keyed by the call, when the output names no offered tool
(`unknown_tool`), its arguments do not match the tool's schema (`invalid_arguments`), the
tool refuses or fails (`tool_error`), or no usable final answer comes back
(`no_final_answer`). A kept row is a `conversation` (user, assistant tool call, tool result,
assistant answer) whose attributes hold the offered tools in OpenAI's `tools` layout and
which call (and generator) wrote each turn.
"""

from __future__ import annotations

import json
from typing import Any, Literal

import polars as pl
from pydantic import Field

from assets.models.call_cache import CallResult
from assets.models.json_schema import JsonSchema
from assets.models.prompt_templates import load_template
from assets.recipe.generators import GeneratorConfig, LocalModel, Sampling
from assets.registry import TOOLS
from assets.synthesis.context import SOURCES_DESCRIPTION, MethodOutput, SynthesisContext
from assets.synthesis.model_run import Lineage, ModelRun
from assets.tools.base import Tool, ToolError, argument_problem, spec
from warehouse.conversations import encode, message, tool_call
from warehouse.settings import Strict

MAX_ANSWER_CHARS = 400
# A tool result quoted in a prompt and a row.
MAX_RESULT_CHARS = 1500


class ToolUse(Strict):
    """Tool-calling conversations: the model calls one of `tools` for each task, the tool
    runs, and the model answers from its result."""

    method: Literal["tool_use"]
    generator: GeneratorConfig = LocalModel()
    sources: list[str] = Field(default=["seed"], min_length=1, description=SOURCES_DESCRIPTION)
    task_types: list[str] = Field(
        default=["tool_use"], min_length=1, description="Instructions of these task types."
    )
    tools: list[str] = Field(
        default=[
            "calculator",
            "convert_units",
            "date_arithmetic",
            "planet_table",
            "search_documents",
        ],
        min_length=1,
        description="Registered tools offered to the model (assets.registry.TOOLS).",
    )
    max_tasks: int | None = Field(default=None, gt=0)
    call_sampling: Sampling = Sampling(temperature=0.2, max_tokens=96)
    answer_sampling: Sampling = Sampling(temperature=0.2, max_tokens=128)


def call_schema(tools: list[Tool]) -> JsonSchema:
    """A tool call `{"tool": name, "tool_arguments": {...}}`, one branch per tool. (Keys are
    generated in sorted order: these put the tool's name first, so the arguments follow it.)"""
    return JsonSchema(
        "tool_call",
        {
            "anyOf": [
                {
                    "type": "object",
                    "properties": {
                        "tool": {"const": tool.name},
                        "tool_arguments": tool.parameters,
                    },
                    "required": ["tool", "tool_arguments"],
                    "additionalProperties": False,
                }
                for tool in tools
            ]
        },
    )


ANSWER_SCHEMA = JsonSchema(
    "final_answer",
    {
        "type": "object",
        "properties": {
            "final_answer": {"type": "string", "minLength": 1, "maxLength": MAX_ANSWER_CHARS}
        },
        "required": ["final_answer"],
        "additionalProperties": False,
    },
)


def check_call(output: str, tools: dict[str, Tool]) -> tuple[str, str | dict[str, Any]]:
    """(`ok`, the parsed call) or (rule, reason) for a model's tool-call output."""
    try:
        call = json.loads(output)
    except ValueError as exc:
        return "invalid_arguments", f"not JSON ({exc})"
    if not isinstance(call, dict) or not isinstance(call.get("tool"), str):
        return "invalid_arguments", "not an object with a `tool` name"
    if call["tool"] not in tools:
        return "unknown_tool", f"{call['tool'][:80]!r} is not one of {', '.join(tools)}"
    problem = argument_problem(tools[call["tool"]], call.get("tool_arguments"))
    if problem:
        return "invalid_arguments", problem
    return "ok", call


def run_tool(tool: Tool, arguments: dict[str, Any]) -> tuple[str | None, str | None]:
    """(result, None) or (None, error) of one tool call."""
    try:
        return tool.run(arguments)[:MAX_RESULT_CHARS], None
    except ToolError as exc:
        return None, str(exc)
    except Exception as exc:  # a plug-in tool's bug is this call's failure, not the run's
        return None, f"{type(exc).__name__}: {exc}"


def final_answer(output: str) -> str | None:
    try:
        value = json.loads(output)
    except ValueError:
        return None
    answer = value.get("final_answer") if isinstance(value, dict) else None
    return answer.strip() if isinstance(answer, str) and answer.strip() else None


class ToolUseMethod:
    name = "tool_use"
    Config = ToolUse

    def __init__(self, config: ToolUse):
        self.config = config
        self.tools: dict[str, Tool] = {name: TOOLS.get(name)() for name in config.tools}
        self.specs = [spec(tool) for tool in self.tools.values()]
        self.call_template = load_template("tool_call")
        self.answer_template = load_template("tool_answer")

    def run(self, seeds: pl.DataFrame, ctx: SynthesisContext) -> MethodOutput:
        tasks = ctx.source_instructions(
            self.config.sources, seeds, self.config.task_types, self.config.max_tasks
        ).to_dicts()
        run = ModelRun(self.name, ctx)
        caller = run.model(
            self.config.generator,
            [self.call_template],
            {"tools": sorted(self.tools), "sampling": self.config.call_sampling.model_dump()},
            call_schema(list(self.tools.values())),
        )
        answerer = run.model(
            self.config.generator,
            [self.answer_template],
            {"sampling": self.config.answer_sampling.model_dump()},
            ANSWER_SCHEMA,
        )
        listing = "\n".join(json.dumps(s["function"], sort_keys=True) for s in self.specs)
        calls = caller.complete_many(
            [(self.call_template.render(tools=listing, task=t["instruction"]), 0) for t in tasks],
            self.config.call_sampling,
        )
        executed: list[tuple[dict, CallResult, dict, str]] = []
        for task, call in zip(tasks, calls, strict=True):
            where = {"source_row_id": task["row_id"]}
            rule, parsed = check_call(call.text, self.tools)
            if rule != "ok":
                run.reject(call, rule, reason=parsed, **where)
                continue
            assert isinstance(parsed, dict)
            result, error = run_tool(self.tools[parsed["tool"]], parsed["tool_arguments"])
            if error is not None:
                run.reject(call, "tool_error", tool=parsed["tool"], error=error, **where)
                continue
            executed.append((task, call, parsed, result or ""))
        answers = answerer.complete_many(
            [
                (
                    self.answer_template.render(
                        task=task["instruction"],
                        tool=parsed["tool"],
                        arguments=json.dumps(parsed["tool_arguments"], sort_keys=True),
                        result=result,
                    ),
                    0,
                )
                for task, _, parsed, result in executed
            ],
            self.config.answer_sampling,
        )
        for (task, call, parsed, result), answer_call in zip(executed, answers, strict=True):
            answer = final_answer(answer_call.text)
            where = {"source_row_id": task["row_id"], "tool": parsed["tool"]}
            if answer is None:
                run.reject(answer_call, "no_final_answer", **where)
                continue
            if not run.screen(answer_call, answer, cut_off_ok=True, **where):
                continue
            call_id = f"call_{call.request_hash[:12]}"
            messages = [
                message("user", task["instruction"]),
                message(
                    "assistant",
                    None,
                    tool_calls=[tool_call(call_id, parsed["tool"], parsed["tool_arguments"])],
                ),
                message("tool", result, name=parsed["tool"], tool_call_id=call_id),
                message("assistant", answer),
            ]
            run.keep(
                answerer,
                [call, answer_call],
                Lineage.of(task),
                kind="conversation",
                task_type="tool_use",
                messages=encode(messages),
                attributes={
                    "tools": self.specs,
                    "tool": parsed["tool"],
                    "turn_calls": [None, call.request_hash, None, answer_call.request_hash],
                    "turn_generators": [
                        None,
                        caller.generator_id,
                        None,
                        answerer.generator_id,
                    ],
                },
            )
        return run.output()
