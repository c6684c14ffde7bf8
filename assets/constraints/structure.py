"""The response's shape: JSON matching a schema, bullet points, numbered sections, highlights,
placeholders, a title, quotes, a postscript, two answers.

Structure is read outside fenced code blocks: a `- item` line inside code is code.
"""

from __future__ import annotations

import json
import re
from typing import Any

import jsonschema
from pydantic import Field

from assets.constraints.base import PASS, ConstraintKind, Count, NoParams, Verdict, fail
from assets.constraints.text import outside_code
from warehouse.settings import Strict

# --- JSON ---------------------------------------------------------------------------------

# Schemas a general question can be answered in; each keeps its strings free.
_SCHEMAS: tuple[dict[str, Any], ...] = (
    {"type": "object", "required": ["answer"], "properties": {"answer": {"type": "string"}}},
    {
        "type": "object",
        "required": ["answer", "confidence"],
        "properties": {
            "answer": {"type": "string"},
            "confidence": {"type": "number", "minimum": 0, "maximum": 1},
        },
    },
    {
        "type": "object",
        "required": ["title", "points"],
        "properties": {
            "title": {"type": "string"},
            "points": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        },
    },
)
_JSON_FENCE = re.compile(r"^```(?:json)?\s*\n(.*)\n```$", re.DOTALL | re.IGNORECASE)


class JsonSchema(Strict):
    json_schema: dict[str, Any] = Field(description="The JSON schema the object must match.")


def _json(response: str, p: JsonSchema) -> Verdict:
    """The whole response is one JSON object (a single ```json fence around it is allowed),
    valid under the schema."""
    text = response.strip()
    fenced = _JSON_FENCE.match(text)
    try:
        value = json.loads(fenced.group(1) if fenced else text)
    except json.JSONDecodeError as exc:
        return fail(f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}")
    if not isinstance(value, dict):
        return fail(f"JSON {type(value).__name__}, expected an object")
    error = jsonschema.exceptions.best_match(
        jsonschema.Draft202012Validator(p.json_schema).iter_errors(value)
    )
    if error is not None:
        where = "/".join(str(part) for part in error.absolute_path) or "the object"
        return fail(f"schema mismatch at {where}: {error.message}")
    return PASS


JSON_SCHEMA = ConstraintKind(
    "json_schema",
    JsonSchema,
    check=_json,
    describe=lambda p: (
        "Answer with a JSON object only, matching this JSON schema: "
        f"{json.dumps(p.json_schema, separators=(',', ':'))}"
    ),
    draw=lambda rng: JsonSchema(json_schema=rng.choice(_SCHEMAS)),
    exclusive=True,
)

# --- lists and sections -------------------------------------------------------------------

# A bullet is a line starting at the margin with "*", "-" or "+" and a space: indented items
# are sub-points of the bullet above, and "***" or "---" rules are not bullets.
_BULLET = re.compile(r"^[*+-][ \t]+\S")


def _bullets(response: str, p: Count) -> Verdict:
    found = sum(1 for line in outside_code(response) if _BULLET.match(line))
    return p.compare(found, "top-level bullet points")


BULLET_COUNT = ConstraintKind(
    "bullet_count",
    Count,
    check=_bullets,
    describe=lambda p: (
        f"Your answer must contain exactly {p.count} bullet points in markdown, such as:\n"
        "* This is a point."
        if p.relation == "exactly"
        else f"Your answer must contain {p.amount} markdown bullet points."
    ),
    draw=lambda rng: Count(relation="exactly", count=rng.randint(2, 5)),
    conflicts=frozenset({"two_responses"}),
)


class Sections(Count):
    marker: str = Field(default="SECTION", min_length=1)


def _sections(response: str, p: Sections) -> Verdict:
    # "SECTION 1" at the start of a line, markdown heading marks allowed before it.
    heading = re.compile(rf"^\s*(?:#+\s*)?{re.escape(p.marker)}\s+\d+\b")
    found = sum(1 for line in outside_code(response) if heading.match(line))
    return p.compare(found, f"{p.marker} headings")


SECTION_COUNT = ConstraintKind(
    "section_count",
    Sections,
    check=_sections,
    describe=lambda p: (
        f"Your answer must have {p.amount} sections. Mark the beginning of "
        f"each section with {p.marker} X, such as: {p.marker} 1"
    ),
    draw=lambda rng: Sections(relation="exactly", count=rng.randint(2, 4)),
    conflicts=frozenset({"lowercase", "two_responses"}),
)

# *text* or **text**: the star hugs the text, so "* item" bullets and "2 * 3" are not it.
_HIGHLIGHT = re.compile(r"(?<![*\w])(\*\*?)(?=[^\s*])([^*\n]+?)(?<=[^\s*])\1(?![*\w])")


def _highlights(response: str, p: Count) -> Verdict:
    found = sum(len(_HIGHLIGHT.findall(line)) for line in outside_code(response))
    return p.compare(found, "highlighted sections")


HIGHLIGHTED_SECTIONS = ConstraintKind(
    "highlighted_sections",
    Count,
    check=_highlights,
    describe=lambda p: (
        f"Highlight {p.amount} sections of your answer with markdown, i.e. *highlighted section*."
    ),
    draw=lambda rng: Count(relation="at_least", count=rng.randint(1, 3)),
)

# [name] but not a markdown link's text "[name](url)" nor a task box "[ ]" / "[x]".
_PLACEHOLDER = re.compile(r"\[(?![ xX]\])[^\[\]\n]*[^\[\]\s][^\[\]\n]*\](?!\()")


PLACEHOLDER_COUNT = ConstraintKind(
    "placeholder_count",
    Count,
    check=lambda response, p: p.compare(len(_PLACEHOLDER.findall(response)), "placeholders"),
    describe=lambda p: (
        f"The answer must contain {p.amount} placeholders in square brackets, such as [address]."
    ),
    draw=lambda rng: Count(relation="at_least", count=rng.randint(1, 3)),
)

# --- wrapping -----------------------------------------------------------------------------

_TITLE = re.compile(r"<<([^<>\n]*)>>")


def _title(response: str, p: NoParams) -> Verdict:
    titles = _TITLE.findall(response)
    if not titles:
        return fail("no title in <<double angular brackets>>")
    if not any(t.strip() for t in titles):
        return fail("the <<title>> is empty")
    return PASS


TITLE = ConstraintKind(
    "title",
    NoParams,
    check=_title,
    describe=lambda p: (
        "Your answer must contain a title, wrapped in double angular brackets, such as "
        "<<poem of joy>>."
    ),
    draw=lambda rng: NoParams(),
)

# Straight or typographic double quotes, each pair opened and closed by its own kind.
_QUOTES = {'"': '"', "“": "”", "«": "»", "„": "“"}


def _quoted(response: str, p: NoParams) -> Verdict:
    text = response.strip()
    if len(text) < 2 or text[0] not in _QUOTES:
        return fail("does not start with a double quotation mark")
    if text[-1] != _QUOTES[text[0]]:
        return fail(f"starts with {text[0]} but does not end with {_QUOTES[text[0]]}")
    if not text[1:-1].strip():
        return fail("nothing inside the quotation marks")
    return PASS


QUOTED = ConstraintKind(
    "quoted",
    NoParams,
    check=_quoted,
    describe=lambda p: "Wrap your entire answer in double quotation marks.",
    draw=lambda rng: NoParams(),
    conflicts=frozenset({"start_phrase", "end_phrase", "postscript", "two_responses"}),
)


class Postscript(Strict):
    marker: str = Field(default="P.S.", min_length=1)


def _postscript(response: str, p: Postscript) -> Verdict:
    pattern = re.compile(rf"^\s*{re.escape(p.marker)}\s*\S", re.MULTILINE)
    return PASS if pattern.search(response) else fail(f"no postscript starting with {p.marker}")


POSTSCRIPT = ConstraintKind(
    "postscript",
    Postscript,
    check=_postscript,
    describe=lambda p: f"At the end of your answer, add a postscript starting with {p.marker}",
    draw=lambda rng: Postscript(marker=rng.choice(("P.S.", "P.P.S"))),
    conflicts=frozenset({"lowercase", "end_phrase", "two_responses"}),
)

_SEPARATOR = re.compile(r"^[ \t]*\*{6}[ \t]*$", re.MULTILINE)


def _two(response: str, p: NoParams) -> Verdict:
    parts = [part.strip() for part in _SEPARATOR.split(response)]
    if len(parts) != 2:
        return fail(f"{len(parts) - 1} ****** separators, expected 1 between two answers")
    if not all(parts):
        return fail("one of the two answers is empty")
    if parts[0] == parts[1]:
        return fail("the two answers are the same")
    return PASS


TWO_RESPONSES = ConstraintKind(
    "two_responses",
    NoParams,
    check=_two,
    describe=lambda p: "Give two different answers, separated by a line of six asterisks: ******",
    draw=lambda rng: NoParams(),
)
