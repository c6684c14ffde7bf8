"""Programmatic math: every emitted answer is computed and independently checked."""

from __future__ import annotations

import json
import random
from datetime import datetime
from fractions import Fraction

import polars as pl
import pytest

from assets.paths import bundled_path
from assets.seed_readers.files import read_file
from assets.synthesis.context import SynthesisContext
from assets.synthesis.expressions import ExpressionError, evaluate, format_number
from assets.synthesis.methods.programmatic_math import (
    ProgrammaticMath,
    ProgrammaticMathMethod,
    TemplateError,
    instantiate,
)
from warehouse import Warehouse
from warehouse.rows import conform, with_row_ids


def _templates() -> pl.DataFrame:
    frame = read_file(bundled_path("math_templates.jsonl"), "auto", 20_000).rows
    return with_row_ids(conform(frame))


def _context(tmp_path) -> SynthesisContext:
    return SynthesisContext(
        wh=Warehouse(tmp_path), run_id="test", created_at=datetime(2026, 1, 1), random_seed=5
    )


def test_bundled_templates_yield_verified_problems_with_correct_answers(tmp_path):
    templates = _templates()
    output = ProgrammaticMathMethod(
        ProgrammaticMath(method="programmatic_math", per_template=5)
    ).run(templates, _context(tmp_path))
    assert output.rejections.is_empty()
    assert output.rows.height == templates.height * 5
    assert output.rows["verified"].all()
    by_id = {r["row_id"]: r for r in templates.iter_rows(named=True)}
    for row in output.rows.iter_rows(named=True):
        template = by_id[row["seed_ids"][0]]
        spec = json.loads(template["attributes"])
        values = {
            k: Fraction(v)
            for k, v in json.loads(row["attributes"])["variables"].items()
            if k in spec["variables"] and "int" in spec["variables"][k]
        }
        values["answer"] = Fraction(row["answer"])
        assert evaluate(template["answer"], values) == values["answer"]
        assert all(evaluate(check, values) is True for check in spec["checks"])
        assert row["response"].endswith(f"The answer is {row['answer']}.")
        assert "{" not in row["instruction"] and "{" not in row["response"]


def test_same_seed_same_problems(tmp_path):
    method = ProgrammaticMathMethod(ProgrammaticMath(method="programmatic_math", per_template=3))
    first = method.run(_templates(), _context(tmp_path)).rows["row_id"].to_list()
    second = method.run(_templates(), _context(tmp_path)).rows["row_id"].to_list()
    assert first == second


def test_a_template_whose_check_fails_emits_a_rejection_not_a_row(tmp_path):
    broken = {
        "kind": "template",
        "task_type": "math",
        "instruction": "What is {a} + {b}?",
        "response": "{a} + {b} = {answer}.\nThe answer is {answer}.",
        "answer": "a + b + 1",
        "attributes": json.dumps(
            {
                "variables": {"a": {"int": [1, 9]}, "b": {"int": [1, 9]}},
                "checks": ["answer == a + b"],
            }
        ),
    }
    templates = with_row_ids(conform(pl.DataFrame([broken])))
    output = ProgrammaticMathMethod(
        ProgrammaticMath(method="programmatic_math", per_template=2)
    ).run(templates, _context(tmp_path))
    assert output.rows.is_empty()
    assert output.rejections["rule"].to_list() == ["answer_check_failed"] * 2
    with pytest.raises(TemplateError, match="answer check failed"):
        instantiate(templates.row(0, named=True), random.Random(0), 10)


@pytest.mark.parametrize("expression", ["__import__('os')", "a ** 2", "f(a)", "a.real", "True"])
def test_expression_grammar_rejects_anything_else(expression):
    with pytest.raises(ExpressionError):
        evaluate(expression, {"a": Fraction(2)})


def test_numbers_format_exactly():
    assert format_number(Fraction(6, 2)) == "3"
    assert format_number(Fraction(5, 2)) == "2.5"
    assert format_number(Fraction(1, 3)) == "1/3"
