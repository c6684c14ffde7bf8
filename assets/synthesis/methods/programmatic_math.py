"""Arithmetic and algebra word problems from template seed rows, with computed, checked answers.

A template row holds the problem and solution text with `{expression}` placeholders, the
answer expression, and in `attributes` the variables to sample, constraints on them and
checks that verify the answer independently. A problem whose checks fail is never emitted.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from fractions import Fraction
from typing import Literal

import polars as pl
from pydantic import Field

from assets.synthesis.context import (
    MethodOutput,
    SynthesisContext,
    rows_from_records,
)
from assets.synthesis.expressions import ExpressionError, evaluate, format_number
from warehouse.lineage import GeneratorRecord
from warehouse.settings import Strict


class ProgrammaticMath(Strict):
    """Arithmetic and algebra word problems from template seed rows, answers computed and checked."""

    method: Literal["programmatic_math"]
    per_template: int = Field(default=10, gt=0, le=100_000)
    max_attempts: int = Field(default=200, gt=0)


_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")
GENERATOR_VERSION = "1"


class TemplateError(ValueError):
    """A template row that cannot be instantiated."""


class ProgrammaticMathMethod:
    name = "programmatic_math"
    Config = ProgrammaticMath

    def __init__(self, config: ProgrammaticMath):
        self.config = config

    def generator(self) -> GeneratorRecord:
        return GeneratorRecord(
            backend="programmatic",
            model="math_templates",
            model_digest=f"synthfoundry.programmatic_math/{GENERATOR_VERSION}",
            params={
                "per_template": self.config.per_template,
                "max_attempts": self.config.max_attempts,
            },
        )

    def run(self, seeds: pl.DataFrame, ctx: SynthesisContext) -> MethodOutput:
        templates = seeds.filter(pl.col("kind") == "template")
        generator = self.generator()
        records: list[dict] = []
        rejected: list[dict] = []
        for template in templates.iter_rows(named=True):
            for index in range(self.config.per_template):
                rng = random.Random(f"{ctx.random_seed}:{template['row_id']}:{index}")
                try:
                    problem = instantiate(template, rng, self.config.max_attempts)
                except (TemplateError, ExpressionError) as exc:
                    rejected.append(_rejection(template["row_id"], index, exc))
                    continue
                records.append(
                    {
                        **problem,
                        "kind": "instruction",
                        "task_type": template["task_type"] or "math",
                        "verified": True,
                        "seed_ids": [template["row_id"]],
                        "parent_ids": [],
                        "call_ids": [],
                        "generator_id": generator.generator_id,
                        "method": self.name,
                    }
                )
        return MethodOutput.made(rows_from_records(records, ctx), rejected, [generator])


def _rejection(template_id: str, index: int, error: Exception) -> dict:
    candidate = hashlib.sha256(f"{template_id}:{index}".encode()).hexdigest()[:32]
    rule = "answer_check_failed" if "check" in str(error) else "template_error"
    return {
        "row_id": candidate,
        "rule": rule,
        "evidence": {"template_row_id": template_id, "sample_index": index, "error": str(error)},
    }


def _sample(variables: dict, rng: random.Random) -> tuple[dict[str, Fraction], dict[str, str]]:
    numbers: dict[str, Fraction] = {}
    words: dict[str, str] = {}
    for name, spec in variables.items():
        if "int" in spec:
            low, high = spec["int"]
            numbers[name] = Fraction(rng.randint(int(low), int(high)))
        elif "choice" in spec:
            words[name] = str(rng.choice(spec["choice"]))
        else:
            raise TemplateError(f"variable {name!r} needs an 'int' range or a 'choice' list")
    return numbers, words


def _render(text: str, numbers: dict[str, Fraction], words: dict[str, str]) -> str:
    def substitute(match: re.Match[str]) -> str:
        expression = match.group(1).strip()
        if expression in words:
            return words[expression]
        value = evaluate(expression, numbers)
        if isinstance(value, bool):
            raise TemplateError(f"placeholder {{{expression}}} is a condition, not a number")
        return format_number(value)

    return _PLACEHOLDER.sub(substitute, text)


def instantiate(template: dict, rng: random.Random, max_attempts: int) -> dict:
    """Sample variables until the constraints hold, compute the answer, verify it, render."""
    spec = json.loads(template["attributes"] or "{}")
    constraints = spec.get("constraints", [])
    checks = spec.get("checks", [])
    if not checks:
        raise TemplateError("template has no checks to verify its answer with")
    for _ in range(max_attempts):
        numbers, words = _sample(spec.get("variables", {}), rng)
        if all(evaluate(c, numbers) is True for c in constraints):
            break
    else:
        raise TemplateError(f"constraints not satisfied in {max_attempts} samples")
    answer = evaluate(template["answer"], numbers)
    if isinstance(answer, bool):
        raise TemplateError("the answer expression is a condition, not a number")
    with_answer = {**numbers, "answer": answer}
    failed = [c for c in checks if evaluate(c, with_answer) is not True]
    if failed:
        raise TemplateError(f"answer check failed: {failed[0]}")
    return {
        "instruction": _render(template["instruction"], with_answer, words),
        "response": _render(template["response"], with_answer, words),
        "answer": format_number(answer),
        "attributes": json.dumps(
            {
                "variables": {**{k: format_number(v) for k, v in numbers.items()}, **words},
                "checks": checks,
            }
        ),
    }
