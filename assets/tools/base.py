"""What a tool is: a name, a description, a JSON schema of its arguments and a function.

A plug-in tool (entry point group `synthfoundry.tools`) is a class with these attributes and
`run`; `assets.registry.TOOLS` lists the built-in ones. Arguments come from a model: `run`
gets them only after they matched `parameters`, and treats them as hostile all the same.
A tool may also hold `examples`, (task, arguments) pairs that show a model how its arguments
are filled in (`examples_of`), and a `mismatch(task, arguments)` method saying why arguments
cannot be what the task asks for (`task_mismatch`); both are optional for a plug-in tool.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Protocol

import jsonschema


class ToolError(Exception):
    """A call the tool refuses or cannot answer; the message is shown to the model."""


class Tool(Protocol):
    name: ClassVar[str]
    description: ClassVar[str]
    parameters: ClassVar[dict[str, Any]]

    def run(self, arguments: dict[str, Any]) -> str:
        """The result the model reads; `ToolError` when the call cannot be answered."""
        ...


# A worked example of a tool's use: a task and the arguments that answer it.
Example = tuple[str, dict[str, Any]]


def examples_of(tool: Tool) -> Sequence[Example]:
    """The tool's `examples` (optional for a plug-in tool), each checked against its schema:
    an example that does not match would teach a model wrong arguments."""
    examples: Sequence[Example] = getattr(tool, "examples", ())
    for task, arguments in examples:
        problem = argument_problem(tool, arguments)
        if problem:
            raise ValueError(f"tool {tool.name!r}: the example for {task!r} is invalid: {problem}")
    return examples


def task_mismatch(tool: Tool, task: str, arguments: dict[str, Any]) -> str | None:
    """Why `arguments` (valid for the tool) cannot answer `task`, as far as the tool can tell
    (its optional `mismatch` method), or None."""
    mismatch = getattr(tool, "mismatch", None)
    return mismatch(task, arguments) if mismatch is not None else None


def spec(tool: Tool) -> dict[str, Any]:
    """The tool in OpenAI's `tools` layout."""
    return {
        "type": "function",
        "function": {
            "name": tool.name,
            "description": tool.description,
            "parameters": tool.parameters,
        },
    }


def argument_problem(tool: Tool, arguments: object) -> str | None:
    """Why `arguments` do not match the tool's schema, or None."""
    error = jsonschema.exceptions.best_match(
        jsonschema.Draft202012Validator(tool.parameters).iter_errors(arguments)
    )
    if error is None:
        return None
    where = "/".join(str(part) for part in error.absolute_path) or "(root)"
    return f"at {where}: {error.message}"
