"""The verdict rule: detector names joined by and/or/not, evaluated as a Polars expression."""

from __future__ import annotations

import ast
import re
from functools import reduce

import polars as pl

from assets.registry import DETECTORS


def verdict_rule_names(rule: str) -> set[str]:
    """Detector names a verdict rule uses; a `ValueError` for anything but names of
    registered detectors (`DETECTORS`) joined by `and`, `or`, `not` and parentheses."""
    if not re.fullmatch(r"[\sA-Za-z()]+", rule):
        raise ValueError(f"rule {rule!r}: only detector names, and, or, not, ( ) are allowed")
    try:
        tree = ast.parse(rule.strip(), mode="eval")
    except SyntaxError:
        raise ValueError(f"rule {rule!r} is not a valid expression") from None
    detectors = DETECTORS.names()
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            if node.id not in detectors:
                raise ValueError(
                    f"rule {rule!r}: unknown detector {node.id!r} (use {', '.join(detectors)})"
                )
            names.add(node.id)
        elif not isinstance(
            node, ast.Expression | ast.BoolOp | ast.UnaryOp | ast.And | ast.Or | ast.Not | ast.Load
        ):
            raise ValueError(f"rule {rule!r}: only and, or, not and parentheses are allowed")
    return names


def rule_expression(rule: str, columns: dict[str, pl.Expr]) -> pl.Expr:
    """`rule` (validated by the recipe) over boolean detector columns, nulls as false."""
    verdict_rule_names(rule)

    def build(node: ast.AST) -> pl.Expr:
        if isinstance(node, ast.Expression):
            return build(node.body)
        if isinstance(node, ast.Name):
            return columns[node.id].fill_null(False)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return ~build(node.operand)
        if isinstance(node, ast.BoolOp):
            parts = [build(v) for v in node.values]
            if isinstance(node.op, ast.And):
                return reduce(lambda a, b: a & b, parts)
            return reduce(lambda a, b: a | b, parts)
        raise ValueError(f"rule {rule!r}: unsupported expression")

    return build(ast.parse(rule.strip(), mode="eval"))
