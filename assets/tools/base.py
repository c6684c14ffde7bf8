"""What a tool is: a name, a description, a JSON schema of its arguments and a function.

A plug-in tool (entry point group `synthfoundry.tools`) is a class with these attributes and
`run`; `assets.registry.TOOLS` lists the built-in ones. Arguments come from a model: `run`
gets them only after they matched `parameters`, and treats them as hostile all the same.
"""

from __future__ import annotations

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
