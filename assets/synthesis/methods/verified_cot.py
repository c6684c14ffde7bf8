"""Verified chain-of-thought: rationales kept only when their final answer is the reference.

Sources are rows with an `answer`: seed rows, and rows made earlier in the run (list
`programmatic_math` in `sources`). Each problem gets up to `samples_per_problem` attempts
(rejection sampling as in STaR); attempt k+1 is made only for problems no attempt verified
yet, and the first verified rationale is kept. Every failed attempt is a decision with the
expected and extracted answers; a problem whose attempts all fail loses nothing else.
"""

from __future__ import annotations

import json
from typing import Literal

import polars as pl
from pydantic import Field

from assets.models.backends import build_backend
from assets.models.call_cache import CachedModel
from assets.models.generator_identity import model_generator
from assets.models.output_screens import rejection
from assets.models.prompt_templates import load_template
from assets.recipe.generators import GeneratorConfig, LocalModel, Sampling
from assets.synthesis.answers import verify
from assets.synthesis.context import (
    SOURCES_DESCRIPTION,
    MethodOutput,
    SynthesisContext,
    rows_from_records,
)
from warehouse.settings import Strict


class VerifiedCoT(Strict):
    """Chain-of-thought rationales kept only when their final answer matches the reference
    (rejection sampling as in STaR, Zelikman et al., 2022)."""

    method: Literal["verified_cot"]
    generator: GeneratorConfig = LocalModel()
    sources: list[str] = Field(
        default=["seed"],
        min_length=1,
        description=SOURCES_DESCRIPTION + " Rows without an `answer` are skipped.",
    )
    max_problems: int | None = Field(default=None, gt=0)
    samples_per_problem: int = Field(
        default=1, ge=1, le=64, description="Attempts per problem; the first verified is kept."
    )
    rel_tol: float = Field(default=1e-6, ge=0.0)
    abs_tol: float = Field(default=1e-9, ge=0.0)
    sampling: Sampling = Sampling(temperature=0.7, max_tokens=256)
    template: str = "cot_rationale"


def problem_text(instruction: str, input_: str | None) -> str:
    return instruction if not (input_ and input_.strip()) else f"{instruction}\n\n{input_}"


class VerifiedCoTMethod:
    name = "verified_cot"
    Config = VerifiedCoT

    def __init__(self, config: VerifiedCoT):
        self.config = config
        self.template = load_template(config.template)

    def run(self, seeds: pl.DataFrame, ctx: SynthesisContext) -> MethodOutput:
        problems = (
            ctx.source_rows(self.config.sources, seeds)
            .filter(
                (pl.col("kind") == "instruction")
                & pl.col("instruction").is_not_null()
                & (pl.col("answer").fill_null("").str.strip_chars() != "")
            )
            .sort("row_id")
        )
        if self.config.max_problems is not None:
            problems = problems.head(self.config.max_problems)
        backend = build_backend(self.config.generator)
        generator = model_generator(
            backend,
            [self.template],
            {
                "sampling": self.config.sampling.model_dump(),
                "samples_per_problem": self.config.samples_per_problem,
                "rel_tol": self.config.rel_tol,
                "abs_tol": self.config.abs_tol,
            },
        )
        model = CachedModel(backend, generator.generator_id, ctx)
        open_problems = problems.to_dicts()
        records, rejected = [], []
        for sample_index in range(self.config.samples_per_problem):
            if not open_problems:
                break
            calls = model.complete_many(
                [
                    (
                        self.template.render(problem=problem_text(p["instruction"], p["input"])),
                        sample_index,
                    )
                    for p in open_problems
                ],
                self.config.sampling,
            )
            still_open = []
            for problem, call in zip(open_problems, calls, strict=True):
                check = verify(
                    call.text, problem["answer"], self.config.rel_tol, self.config.abs_tol
                )
                if call.finish_reason == "length" or not check.matched:
                    rule = (
                        "truncated_rationale"
                        if call.finish_reason == "length"
                        else "no_final_answer"
                        if check.got is None
                        else "answer_mismatch"
                    )
                    rejected.append(
                        rejection(
                            call,
                            rule,
                            expected=check.expected,
                            got=check.got,
                            compared=check.how,
                            problem_row_id=problem["row_id"],
                            sample_index=sample_index,
                        )
                    )
                    still_open.append(problem)
                    continue
                records.append(
                    {
                        "kind": "instruction",
                        "task_type": problem["task_type"],
                        "instruction": problem["instruction"],
                        "input": problem["input"],
                        "response": call.text.strip(),
                        "answer": problem["answer"],
                        "verified": True,
                        "attributes": json.dumps(
                            {
                                "verification": {**check.as_dict(), "sample_index": sample_index},
                                "attempts": sample_index + 1,
                                "finish_reason": call.finish_reason,
                            }
                        ),
                        "seed_ids": problem["origin_seed_ids"],
                        "parent_ids": [problem["row_id"]],
                        "call_ids": [call.request_hash],
                        "generator_id": generator.generator_id,
                        "method": self.name,
                    }
                )
            open_problems = still_open
        return MethodOutput.made(
            rows_from_records(records, ctx), rejected, [generator], callers=[model]
        )
