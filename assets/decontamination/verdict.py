"""The verdict rule: detector names joined by and/or/not, evaluated as a Polars expression."""

from __future__ import annotations

import ast
from functools import reduce

import polars as pl

from assets.recipe import verdict_rule_names


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
