"""Python code in model and seed text: fenced code blocks, and the tests a row carries."""

from __future__ import annotations

import json
import re

# A fenced block: its label (the rest of the opening line) and its body.
_FENCE = re.compile(r"```([^\n`]*)\n(.*?)```", re.DOTALL)
_PYTHON_LABELS = {"python", "python3", "py"}
_SECTION = re.compile(r"(?im)^[ \t#*]*(PROBLEM|SOLUTION|TESTS)[ \t*]*:?[ \t*]*$")


def python_blocks(text: str | None) -> list[str]:
    """The Python code blocks of `text`: labelled ones if any, else unlabelled ones."""
    if not text:
        return []
    found = [(label.strip().lower(), body) for label, body in _FENCE.findall(text)]
    labelled = [body for label, body in found if label in _PYTHON_LABELS]
    return labelled or [body for label, body in found if not label]


def first_python_block(text: str | None) -> str | None:
    """The code a response answers with: its first Python block."""
    blocks = python_blocks(text)
    return blocks[0] if blocks else None


def row_tests(attributes: str | None) -> str | None:
    """The unit tests a row (or its seed) carries in `attributes.tests`: a string of Python
    (asserts or `test_*` functions) or a list of assert lines."""
    if not attributes:
        return None
    try:
        parsed = json.loads(attributes)
    except json.JSONDecodeError:
        return None
    tests = parsed.get("tests") if isinstance(parsed, dict) else None
    if isinstance(tests, list) and all(isinstance(t, str) for t in tests):
        tests = "\n".join(tests)
    return tests if isinstance(tests, str) and tests.strip() else None


def sections(text: str) -> dict[str, str]:
    """`PROBLEM:`, `SOLUTION:` and `TESTS:` sections of a model's answer (headings on their
    own lines), each as its text; code sections as the code of their first block."""
    marks = list(_SECTION.finditer(text))
    found: dict[str, str] = {}
    ends = [m.start() for m in marks[1:]] + [len(text)] if marks else []
    for mark, end in zip(marks, ends, strict=True):
        name = mark.group(1).lower()
        body = text[mark.end() : end].strip()
        if name in found or not body:
            continue
        if name != "problem":
            block = first_python_block(body)
            body = block if block is not None else body.strip("`").strip()
        found[name] = body
    return found


def as_response(code: str, note: str = "") -> str:
    """A response that answers with `code` in a Python block (and a note after it)."""
    response = f"```python\n{code.strip()}\n```"
    return f"{response}\n{note}" if note else response
