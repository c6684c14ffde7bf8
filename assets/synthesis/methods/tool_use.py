"""Tool-calling conversations (in the manner of Toolformer and ToolAlpaca): for each task (a
seed instruction of `task_types`), the model calls one of the recipe's tools, the tool's real
implementation runs, and the model writes the final answer from the result.

A call is made in two steps, each held to a JSON schema: the model first picks a tool by name
(an enum of the offered tools), then fills in that tool's arguments under the tool's own
argument schema. One step at a time keeps a small model from mixing tools up (given all
tools' schemas at once, SmolLM2-135M writes one tool's operation into another's arguments).
Both steps are chats whose earlier turns are the tools' worked examples (`Tool.examples`), a
task and its answer each; each tool's arguments step is its own generator. The outputs are
still checked here, because a server may not enforce schemas. A task yields no row, with a
decision keyed by the failing call, when the output names no offered tool (`unknown_tool`),
its arguments do not match the tool's schema (`invalid_arguments`), repeat one of the tool's
examples for another task (`copied_example`) or leave out a number or date of the task,
bring in a date it does not mention or are not what the task asks for as far as the tool can
tell (`Tool.mismatch`, e.g. swapped units) (`ungrounded_arguments`), the tool refuses or fails
(`tool_error`), no usable final answer comes back (`no_final_answer`), or the answer says
nothing of the tool's result (`answer_ignores_result`). A kept row is a
`conversation` (user, assistant tool call, tool result, assistant answer) whose attributes
hold the offered tools in OpenAI's `tools` layout and which call (and generator) wrote each
turn; the tool choice's call is in the row's `call_ids` and `attributes.choice_call`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import polars as pl
from pydantic import Field

from assets.models.backends import Messages
from assets.models.call_cache import CachedModel, CallResult
from assets.models.generators import GeneratorConfig, LocalModel, Sampling
from assets.models.json_schema import JsonSchema
from assets.models.prompt_templates import load_template
from assets.registry import TOOLS
from assets.synthesis.attributes import MethodAttributes, Steerable, render
from assets.synthesis.context import SOURCES_DESCRIPTION, MethodOutput, SynthesisContext
from assets.synthesis.model_run import Lineage, ModelRun
from assets.synthesis.samplers.draw import Value
from assets.tools.base import (
    Tool,
    ToolError,
    argument_problem,
    examples_of,
    spec,
    task_mismatch,
)
from assets.tools.grounding import answer_ignores_result, ungrounded_arguments
from warehouse.conversations import encode, message, tool_call

MAX_ANSWER_CHARS = 400
# A tool result quoted in a prompt and a row.
MAX_RESULT_CHARS = 1500
# What a JSON schema's name may not hold (`JsonSchema`): a plug-in tool's name may.
_NOT_IN_SCHEMA_NAME = re.compile(r"[^A-Za-z0-9_-]")


class ToolUse(Steerable):
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
    call_sampling: Sampling = Field(
        default=Sampling(temperature=0.2, max_tokens=96),
        description="Both steps of a tool call: the choice of tool, then its arguments.",
    )
    answer_sampling: Sampling = Sampling(temperature=0.2, max_tokens=128)
    choice_template: str = "tool_choice"
    arguments_template: str = "tool_arguments"
    task_template: str = Field(
        default="tool_task", description="How a task is put to the model (its examples too)."
    )
    answer_template: str = "tool_answer"
    added_keys: ClassVar[tuple[str, ...]] = (
        "choice_template",
        "arguments_template",
        "task_template",
        "answer_template",
    )


def choice_schema(tools: list[str]) -> JsonSchema:
    """`{"tool": name}`, the name one of `tools`."""
    return JsonSchema(
        "tool_choice",
        {
            "type": "object",
            "properties": {"tool": {"enum": tools}},
            "required": ["tool"],
            "additionalProperties": False,
        },
    )


def arguments_schema(tool: Tool) -> JsonSchema:
    """The tool's own argument schema, as the output schema of its arguments step."""
    name = _NOT_IN_SCHEMA_NAME.sub("_", f"tool_arguments_{tool.name}")[:64]
    return JsonSchema(name, tool.parameters)


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


def _json(output: str) -> tuple[Any, str | None]:
    try:
        # Not strict, as `JsonSchema`: llama.cpp grammars let raw newlines into strings.
        return json.loads(output, strict=False), None
    except ValueError as exc:
        return None, f"not JSON ({exc})"


def check_choice(output: str, tools: dict[str, Tool]) -> tuple[str, str]:
    """(`ok`, the tool's name) or (rule, reason) for a model's tool-choice output."""
    choice, problem = _json(output)
    if problem:
        return "invalid_arguments", problem
    if not isinstance(choice, dict) or not isinstance(choice.get("tool"), str):
        return "invalid_arguments", "not an object with a `tool` name"
    if choice["tool"] not in tools:
        return "unknown_tool", f"{choice['tool'][:80]!r} is not one of {', '.join(tools)}"
    return "ok", choice["tool"]


def check_arguments(output: str, tool: Tool, task: str) -> tuple[str, str | dict[str, Any]]:
    """(`ok`, the parsed arguments) or (rule, reason) for a model's arguments output: they
    must match the tool's schema and, unless the task is the example's, not be a copy of
    one of the tool's examples (a small model copies the example it was shown)."""
    arguments, problem = _json(output)
    if problem:
        return "invalid_arguments", problem
    problem = argument_problem(tool, arguments)
    if problem:
        return "invalid_arguments", problem
    for example_task, example_arguments in examples_of(tool):
        if arguments == example_arguments and task.strip() != example_task:
            return "copied_example", f"the arguments of the example {example_task!r}"
    problem = ungrounded_arguments(task, arguments) or task_mismatch(tool, task, arguments)
    if problem:
        return "ungrounded_arguments", problem
    return "ok", arguments


def run_tool(tool: Tool, arguments: dict[str, Any]) -> tuple[str | None, str | None]:
    """(result, None) or (None, error) of one tool call."""
    try:
        return tool.run(arguments)[:MAX_RESULT_CHARS], None
    except ToolError as exc:
        return None, str(exc)
    except Exception as exc:  # a plug-in tool's bug is this call's failure, not the run's
        return None, f"{type(exc).__name__}: {exc}"


def final_answer(output: str) -> str | None:
    value, _ = _json(output)
    answer = value.get("final_answer") if isinstance(value, dict) else None
    return answer.strip() if isinstance(answer, str) and answer.strip() else None


@dataclass
class Attempt:
    """One task on its way to a row: the tool chosen, its arguments and its result."""

    task: dict[str, Any]
    choice: CallResult
    tool: str
    sampled: dict[str, Value]
    arguments_call: CallResult | None = None
    arguments: dict[str, Any] | None = None
    result: str = ""


class ToolUseMethod:
    name = "tool_use"
    Config = ToolUse
    # The placeholders the method fills; any other in its templates is an attribute.
    template_values: ClassVar[dict[str, frozenset[str]]] = {
        "choice_template": frozenset({"tools"}),
        "arguments_template": frozenset({"tool", "description", "parameters"}),
        "task_template": frozenset({"task"}),
        "answer_template": frozenset({"task", "tool", "arguments", "result"}),
    }

    def __init__(self, config: ToolUse):
        self.config = config
        self.tools: dict[str, Tool] = {name: TOOLS.get(name)() for name in config.tools}
        self.specs = [spec(tool) for tool in self.tools.values()]
        self.choice_template = load_template(config.choice_template)
        self.arguments_template = load_template(config.arguments_template)
        self.task_template = load_template(config.task_template)
        self.answer_template = load_template(config.answer_template)

    def _chat(
        self,
        system: str,
        shots: list[tuple[str, dict]],
        task: str,
        sampled: dict[str, Value],
    ) -> Messages:
        """A system message, each worked example as a user task and the assistant's JSON
        reply, then the task (all put as the task's attributes steer)."""
        messages = [{"role": "system", "content": system.strip()}]
        for example_task, reply in shots:
            messages.append({"role": "user", "content": self._task_turn(example_task, sampled)})
            messages.append({"role": "assistant", "content": json.dumps(reply)})
        messages.append({"role": "user", "content": self._task_turn(task, sampled)})
        return messages

    def _task_turn(self, task: str, sampled: dict[str, Value]) -> str:
        return render(self.task_template, sampled, task=task).strip()

    def _choice_prompt(self, task: str, sampled: dict[str, Value]) -> Messages:
        """The tool listing, then one worked example per tool (each tool's first, in the
        reverse of the listing's order: SmolLM2 leans to the tool of the latest turns, and so
        to the first-listed tool it has just read about) as a choice."""
        listing = "\n".join(f"- {tool.name}: {tool.description}" for tool in self.tools.values())
        shots = [
            (examples[0][0], {"tool": name})
            for name, tool in reversed(self.tools.items())
            if (examples := examples_of(tool))
        ]
        return self._chat(
            render(self.choice_template, sampled, tools=listing), shots, task, sampled
        )

    def _arguments_prompt(self, tool: Tool, task: str, sampled: dict[str, Value]) -> Messages:
        system = render(
            self.arguments_template,
            sampled,
            tool=tool.name,
            description=tool.description,
            parameters=json.dumps(tool.parameters),
        )
        return self._chat(system, list(examples_of(tool)), task, sampled)

    def run(self, seeds: pl.DataFrame, ctx: SynthesisContext) -> MethodOutput:
        run = ModelRun(self.name, ctx)
        attributes = MethodAttributes.of(self.name, self.config, ctx)
        # Drawn per task: its choice, arguments and answer are steered alike.
        tasks = attributes.attach(
            ctx.source_instructions(
                self.config.sources, seeds, self.config.task_types, self.config.max_tasks
            ).to_dicts()
        )
        sampling = self.config.call_sampling
        chooser = run.model(
            self.config.generator,
            [self.choice_template, self.task_template],
            {"tools": sorted(self.tools), "sampling": sampling.model_dump(), **attributes.params()},
            choice_schema(list(self.tools)),
        )
        answerer = run.model(
            self.config.generator,
            [self.answer_template],
            {"sampling": self.config.answer_sampling.model_dump(), **attributes.params()},
            ANSWER_SCHEMA,
        )
        choices = chooser.complete_many(
            [(self._choice_prompt(t["instruction"], t["sampled"]), 0) for t in tasks], sampling
        )
        attempts: list[Attempt] = []
        for task, choice in zip(tasks, choices, strict=True):
            rule, found = check_choice(choice.text, self.tools)
            if rule != "ok":
                run.reject(
                    choice,
                    rule,
                    reason=found,
                    source_row_id=task["row_id"],
                    **MethodAttributes.row(task["sampled"]),
                )
                continue
            attempts.append(Attempt(task, choice, found, task["sampled"]))
        fillers = self._fill_arguments(run, attempts, attributes)
        executed = [a for a in attempts if a.arguments is not None and self._execute(run, a)]
        answers = answerer.complete_many(
            [
                (
                    render(
                        self.answer_template,
                        a.sampled,
                        task=a.task["instruction"],
                        tool=a.tool,
                        arguments=json.dumps(a.arguments, sort_keys=True),
                        result=a.result,
                    ),
                    0,
                )
                for a in executed
            ],
            self.config.answer_sampling,
        )
        for attempt, answer_call in zip(executed, answers, strict=True):
            answer = final_answer(answer_call.text)
            where = {
                "source_row_id": attempt.task["row_id"],
                "tool": attempt.tool,
                **MethodAttributes.row(attempt.sampled),
            }
            if answer is None:
                run.reject(answer_call, "no_final_answer", **where)
                continue
            if not run.screen(answer_call, answer, cut_off_ok=True, **where):
                continue
            problem = answer_ignores_result(answer, attempt.result, attempt.task["instruction"])
            if problem:
                run.reject(answer_call, "answer_ignores_result", reason=problem, **where)
                continue
            self._keep(run, attempt, fillers[attempt.tool], chooser, answerer, answer_call, answer)
        return run.output()

    def _fill_arguments(
        self, run: ModelRun, attempts: list[Attempt], attributes: MethodAttributes
    ) -> dict[str, CachedModel]:
        """Each attempt's arguments, by its tool's own generator (held to the tool's schema);
        failures are rejected. Returns the generators by tool name."""
        sampling = self.config.call_sampling
        fillers = {}
        for name, tool in self.tools.items():
            mine = [a for a in attempts if a.tool == name]
            if not mine:
                continue
            fillers[name] = filler = run.model(
                self.config.generator,
                [self.arguments_template, self.task_template],
                {"tool": name, "sampling": sampling.model_dump(), **attributes.params()},
                arguments_schema(tool),
            )
            calls = filler.complete_many(
                [(self._arguments_prompt(tool, a.task["instruction"], a.sampled), 0) for a in mine],
                sampling,
            )
            for attempt, call in zip(mine, calls, strict=True):
                attempt.arguments_call = call
                rule, found = check_arguments(call.text, tool, attempt.task["instruction"])
                if rule != "ok":
                    run.reject(
                        call,
                        rule,
                        reason=found,
                        tool=name,
                        source_row_id=attempt.task["row_id"],
                        **MethodAttributes.row(attempt.sampled),
                    )
                    continue
                assert isinstance(found, dict)
                attempt.arguments = found
        return fillers

    def _execute(self, run: ModelRun, attempt: Attempt) -> bool:
        """Run the attempt's tool; a failure rejects its arguments call."""
        assert attempt.arguments_call is not None and attempt.arguments is not None
        result, error = run_tool(self.tools[attempt.tool], attempt.arguments)
        if error is not None:
            run.reject(
                attempt.arguments_call,
                "tool_error",
                tool=attempt.tool,
                error=error,
                source_row_id=attempt.task["row_id"],
                **MethodAttributes.row(attempt.sampled),
            )
            return False
        attempt.result = result or ""
        return True

    def _keep(
        self,
        run: ModelRun,
        attempt: Attempt,
        filler: CachedModel,
        chooser: CachedModel,
        answerer: CachedModel,
        answer_call: CallResult,
        answer: str,
    ) -> None:
        call = attempt.arguments_call
        assert call is not None and attempt.arguments is not None
        call_id = f"call_{call.request_hash[:12]}"
        messages = [
            message("user", attempt.task["instruction"]),
            message(
                "assistant",
                None,
                tool_calls=[tool_call(call_id, attempt.tool, attempt.arguments)],
            ),
            message("tool", attempt.result, name=attempt.tool, tool_call_id=call_id),
            message("assistant", answer),
        ]
        run.keep(
            answerer,
            [attempt.choice, call, answer_call],
            Lineage.of(attempt.task),
            kind="conversation",
            task_type="tool_use",
            messages=encode(messages),
            attributes={
                "tools": self.specs,
                "tool": attempt.tool,
                # The tool call's turn was written by its arguments call, after the choice.
                "choice_call": attempt.choice.request_hash,
                "choice_generator": chooser.generator_id,
                "turn_calls": [None, call.request_hash, None, answer_call.request_hash],
                "turn_generators": [None, filler.generator_id, None, answerer.generator_id],
                **MethodAttributes.row(attempt.sampled),
            },
        )
