"""Arithmetic by a small recursive-descent parser: numbers, + - * / // % ^ (or **),
parentheses, unary signs, and a few functions. Nothing is ever evaluated as Python."""

from __future__ import annotations

import math
import re
from typing import Any, ClassVar

from assets.tools.base import Example, ToolError

MAX_EXPRESSION_CHARS = 200
MAX_DEPTH = 40
# |result| above this is refused: it keeps powers from allocating huge integers.
MAX_MAGNITUDE = 1e100
MAX_EXPONENT = 1000

_TOKEN = re.compile(r"\s*(?:(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?|(\*\*|//|[-+*/%^(),])|([a-z]+))")
FUNCTIONS = {
    "sqrt": math.sqrt,
    "abs": abs,
    "round": round,
    "floor": math.floor,
    "ceil": math.ceil,
    "log": math.log,
    "log10": math.log10,
    "exp": math.exp,
    "sin": math.sin,
    "cos": math.cos,
    "tan": math.tan,
}
CONSTANTS = {"pi": math.pi, "e": math.e}


def _tokens(expression: str) -> list[str]:
    tokens, position = [], 0
    text = expression.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise ToolError(f"unexpected character {text[position:].lstrip()[:1]!r}")
        number, exponent, operator, name = match.groups()
        tokens.append(number + (exponent or "") if number else operator or name)
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, tokens: list[str]):
        self.tokens = tokens
        self.position = 0
        self.depth = 0

    def peek(self) -> str | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self) -> str:
        token = self.peek()
        if token is None:
            raise ToolError("the expression ends too early")
        self.position += 1
        return token

    def expression(self) -> float:
        value = self.term()
        while self.peek() in ("+", "-"):
            value = _checked(value + self.term() if self.take() == "+" else value - self.term())
        return value

    def term(self) -> float:
        value = self.unary()
        while self.peek() in ("*", "/", "//", "%"):
            operator, right = self.take(), self.unary()
            if operator != "*" and right == 0:
                raise ToolError("division by zero")
            value = _checked(
                value * right
                if operator == "*"
                else value / right
                if operator == "/"
                else value // right
                if operator == "//"
                else value % right
            )
        return value

    def unary(self) -> float:
        if self.peek() in ("+", "-"):
            sign = -1 if self.take() == "-" else 1
            return sign * self.unary()
        return self.power()

    def power(self) -> float:
        base = self.atom()
        if self.peek() in ("^", "**"):
            self.take()
            exponent = self.unary()  # right-associative: 2^3^2 is 2^9
            if abs(exponent) > MAX_EXPONENT:
                raise ToolError(f"exponent {exponent:g} is larger than {MAX_EXPONENT}")
            try:
                return _checked(float(base) ** exponent)
            except (OverflowError, ZeroDivisionError) as exc:
                raise ToolError(f"power out of range: {exc}") from None
        return base

    def atom(self) -> float:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ToolError(f"the expression nests deeper than {MAX_DEPTH}")
        try:
            token = self.take()
            if token == "(":
                value = self.expression()
                if self.take() != ")":
                    raise ToolError("a ( is not closed")
                return value
            if token in CONSTANTS:
                return CONSTANTS[token]
            if token in FUNCTIONS:
                if self.take() != "(":
                    raise ToolError(f"{token} needs parentheses")
                argument = self.expression()
                if self.take() != ")":
                    raise ToolError(f"{token}( is not closed")
                try:
                    return _checked(float(FUNCTIONS[token](argument)))
                except (ValueError, OverflowError) as exc:
                    raise ToolError(f"{token}({argument:g}): {exc}") from None
            if token[0].isdigit() or token[0] == ".":
                return _checked(float(token))
            raise ToolError(f"unexpected {token!r}")
        finally:
            self.depth -= 1


def _checked(value: float) -> float:
    if isinstance(value, complex) or math.isnan(value) or abs(value) > MAX_MAGNITUDE:
        raise ToolError("the result is out of range")
    return value


def evaluate(expression: str) -> float:
    """The value of an arithmetic expression; `ToolError` naming what is wrong."""
    if len(expression) > MAX_EXPRESSION_CHARS:
        raise ToolError(f"the expression is longer than {MAX_EXPRESSION_CHARS} characters")
    parser = _Parser(_tokens(expression.lower()))
    if not parser.tokens:
        raise ToolError("the expression is empty")
    value = parser.expression()
    if parser.peek() is not None:
        raise ToolError(f"unexpected {parser.peek()!r}")
    return value


def formatted(value: float) -> str:
    """Integers without a decimal point, other values to 12 significant digits."""
    return str(int(value)) if float(value).is_integer() else f"{value:.12g}"


class Calculator:
    name: ClassVar[str] = "calculator"
    description: ClassVar[str] = (
        "Evaluate an arithmetic expression: + - * / // % ^, parentheses, sqrt, abs, round, "
        "floor, ceil, log, log10, exp, sin, cos, tan, pi, e."
    )
    examples: ClassVar[list[Example]] = [
        ("What is 15% of 80?", {"expression": "15 / 100 * 80"}),
        ("Add 3.5 and 4, then double the sum.", {"expression": "(3.5 + 4) * 2"}),
    ]
    parameters: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "expression": {"type": "string", "minLength": 1, "maxLength": MAX_EXPRESSION_CHARS}
        },
        "required": ["expression"],
        "additionalProperties": False,
    }

    def run(self, arguments: dict[str, Any]) -> str:
        return formatted(evaluate(str(arguments["expression"])))
