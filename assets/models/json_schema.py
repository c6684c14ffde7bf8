"""JSON schemas that hold a model call's output to a shape, and the check of an output.

A `JsonSchema` travels with every call of a model built with one (`ModelSession.model(...,
schema=...)`): the local backend turns it into a llama.cpp grammar, the HTTP backend sends it
as `response_format` and validates (and retries) what comes back. Its sha256, over canonical
JSON, is part of the generator identity and of each call's request hash.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from functools import cached_property
from typing import Any

import jsonschema

# OpenAI's rule for `response_format.json_schema.name`; other servers accept it too.
_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
# A model output quoted in an error message.
OUTPUT_QUOTE_CHARS = 200


class SchemaMismatch(ValueError):
    """A model output that is not JSON or does not match its schema."""

    def __init__(self, schema: JsonSchema, reason: str, output: str):
        quoted = output[:OUTPUT_QUOTE_CHARS] + ("..." if len(output) > OUTPUT_QUOTE_CHARS else "")
        super().__init__(
            f"output does not match JSON schema {schema.name!r} "
            f"(sha256 {schema.sha256[:12]}): {reason}; output: {quoted!r}"
        )
        self.schema = schema
        self.reason = reason


class JsonSchema:
    """A named JSON schema (draft 2020-12) for a model's output. The schema is checked when
    built, so a broken one fails where it is written, not at the first call."""

    def __init__(self, name: str, schema: Mapping[str, Any]):
        if not _NAME.fullmatch(name):
            raise ValueError(f"JSON schema name {name!r}: use 1-64 letters, digits, _ or -")
        try:
            jsonschema.Draft202012Validator.check_schema(schema)
        except jsonschema.SchemaError as exc:
            raise ValueError(f"JSON schema {name!r} is not a valid schema: {exc.message}") from None
        self.name = name
        self.schema: dict[str, Any] = json.loads(json.dumps(schema))
        self._validator = jsonschema.Draft202012Validator(self.schema)

    def __repr__(self) -> str:
        return f"JsonSchema({self.name!r}, sha256={self.sha256[:12]})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, JsonSchema) and (self.name, self.sha256) == (
            other.name,
            other.sha256,
        )

    def __hash__(self) -> int:
        return hash((self.name, self.sha256))

    @cached_property
    def canonical(self) -> str:
        """The schema as canonical JSON: sorted keys, no spaces."""
        return json.dumps(self.schema, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    @cached_property
    def sha256(self) -> str:
        return hashlib.sha256(self.canonical.encode()).hexdigest()

    def identity(self) -> dict[str, str]:
        """What a generator record holds of the schema."""
        return {"name": self.name, "sha256": self.sha256}

    def problem(self, output: str) -> str | None:
        """Why `output` does not match (not JSON, or the first violation and where), or None."""
        return self._check(output)[1]

    def parse(self, output: str) -> Any:
        """The JSON value of `output`; `SchemaMismatch` when it is not JSON or does not match."""
        value, reason = self._check(output)
        if reason is not None:
            raise SchemaMismatch(self, reason, output)
        return value

    def _check(self, output: str) -> tuple[Any, str | None]:
        try:
            # Not strict: llama.cpp's JSON grammars (in-process and in llama-cpp-python's
            # server) let raw newlines and tabs into strings, the one way they stray from JSON.
            value = json.loads(output, strict=False)
        except ValueError as exc:
            return None, f"not JSON ({exc})"
        error = jsonschema.exceptions.best_match(self._validator.iter_errors(value))
        if error is None:
            return value, None
        where = "/".join(str(part) for part in error.absolute_path) or "(root)"
        return value, f"at {where}: {error.message}"
