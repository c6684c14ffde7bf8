"""A safe, exact evaluator for the arithmetic in math templates (no `eval`)."""

from __future__ import annotations

import ast
import operator
from fractions import Fraction

Value = Fraction | bool

_BINARY = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
}
_COMPARE = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}


class ExpressionError(ValueError):
    """An expression outside the template grammar, or one that cannot be evaluated."""


def evaluate(expression: str, names: dict[str, Fraction]) -> Value:
    """Evaluate integer arithmetic, comparisons and and/or exactly over `names`."""
    try:
        tree = ast.parse(expression, mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"cannot parse {expression!r}: {exc.msg}") from None
    try:
        return _eval(tree.body, names)
    except ZeroDivisionError:
        raise ExpressionError(f"division by zero in {expression!r}") from None


def _eval(node: ast.AST, names: dict[str, Fraction]) -> Value:
    match node:
        case ast.Constant(value=bool()):
            raise ExpressionError("boolean literals are not part of the grammar")
        case ast.Constant(value=int() as value):
            return Fraction(value)
        case ast.Name(id=name):
            if name not in names:
                raise ExpressionError(f"unknown name {name!r}")
            return names[name]
        case ast.BinOp(left=left, op=op, right=right) if type(op) in _BINARY:
            return _BINARY[type(op)](_number(left, names), _number(right, names))
        case ast.UnaryOp(op=ast.USub(), operand=operand):
            return -_number(operand, names)
        case ast.UnaryOp(op=ast.UAdd(), operand=operand):
            return _number(operand, names)
        case ast.UnaryOp(op=ast.Not(), operand=operand):
            return not _eval(operand, names)
        case ast.BoolOp(op=ast.And(), values=values):
            return all(bool(_eval(v, names)) for v in values)
        case ast.BoolOp(op=ast.Or(), values=values):
            return any(bool(_eval(v, names)) for v in values)
        case ast.Compare(left=left, ops=ops, comparators=comparators):
            current = _number(left, names)
            for op, right_node in zip(ops, comparators, strict=True):
                if type(op) not in _COMPARE:
                    raise ExpressionError(f"comparison {type(op).__name__} is not allowed")
                right = _number(right_node, names)
                if not _COMPARE[type(op)](current, right):
                    return False
                current = right
            return True
    raise ExpressionError(f"{ast.unparse(node)!r} is not allowed in a template expression")


def _number(node: ast.AST, names: dict[str, Fraction]) -> Fraction:
    value = _eval(node, names)
    if isinstance(value, bool):
        raise ExpressionError(f"{ast.unparse(node)!r} is a condition where a number is expected")
    return value


def format_number(value: Fraction) -> str:
    """Whole numbers plainly, terminating fractions as decimals, others as p/q."""
    if value.denominator == 1:
        return str(value.numerator)
    denominator = value.denominator
    for prime in (2, 5):
        while denominator % prime == 0:
            denominator //= prime
    if denominator == 1:
        return f"{float(value):.10g}"
    return f"{value.numerator}/{value.denominator}"
