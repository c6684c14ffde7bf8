"""Verified chain-of-thought: rationales kept only when their final answer is the reference.

Sources are rows with an `answer`: seed rows, and rows made earlier in the run (list
`programmatic_math` in `sources`). Each problem gets up to `samples_per_problem` attempts
(rejection sampling as in STaR); attempt k+1 is made only for problems no attempt verified
yet, and the first verified rationale is kept. The model's output is held to `COT_SCHEMA`,
`{"reasoning", "answer"}`: the reasoning's length bound makes a grammar close it in time to
give the answer, and the answer is read from its own field. The row's response is the
reasoning followed by "The answer is X.". Every failed attempt is a decision with the expected
and given answers; a problem whose attempts all fail loses nothing else.
"""

from __future__ import annotations

from typing import ClassVar, Literal

import polars as pl
from pydantic import Field

from assets.answers import Verification, compare_answer
from assets.models.call_cache import CallResult
from assets.models.generators import GeneratorConfig, LocalModel, Sampling
from assets.models.json_schema import JsonSchema, SchemaMismatch
from assets.models.prompt_templates import load_template
from assets.synthesis.attributes import MethodAttributes, Steerable, render
from assets.synthesis.context import SOURCES_DESCRIPTION, MethodOutput, SynthesisContext
from assets.synthesis.model_run import Lineage, ModelRun


class VerifiedCoT(Steerable):
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


COT_SCHEMA = JsonSchema(
    "cot_rationale",
    {
        "type": "object",
        "properties": {
            "reasoning": {"type": "string", "minLength": 1, "maxLength": 400},
            "answer": {"type": "string", "minLength": 1, "maxLength": 40},
        },
        "required": ["reasoning", "answer"],
        "additionalProperties": False,
    },
)


def read_rationale(raw: str) -> tuple[str, str]:
    """(reasoning, final answer) of a model's output; `SchemaMismatch` when it is not
    `COT_SCHEMA`'s JSON."""
    value = COT_SCHEMA.parse(raw)
    return value["reasoning"].strip(), value["answer"].strip()


def problem_text(instruction: str, input_: str | None) -> str:
    return instruction if not (input_ and input_.strip()) else f"{instruction}\n\n{input_}"


def failed_check(call: CallResult, check: Verification) -> str | None:
    """The rule a rationale fails: cut off, no final answer, or the wrong one."""
    if call.finish_reason == "length":
        return "truncated_rationale"
    if check.matched:
        return None
    return "no_final_answer" if check.got is None else "answer_mismatch"


class VerifiedCoTMethod:
    name = "verified_cot"
    Config = VerifiedCoT
    # The placeholders the method fills; any other in its template is an attribute.
    template_values: ClassVar[dict[str, frozenset[str]]] = {"template": frozenset({"problem"})}

    def __init__(self, config: VerifiedCoT):
        self.config = config
        self.template = load_template(config.template)

    def run(self, seeds: pl.DataFrame, ctx: SynthesisContext) -> MethodOutput:
        config = self.config
        run = ModelRun(self.name, ctx)
        attributes = MethodAttributes.of(self.name, config, ctx)
        model = run.model(
            config.generator,
            [self.template],
            {
                "sampling": config.sampling.model_dump(),
                "samples_per_problem": config.samples_per_problem,
                "rel_tol": config.rel_tol,
                "abs_tol": config.abs_tol,
                **attributes.params(),
            },
            COT_SCHEMA,
        )
        has_answer = (
            (pl.col("kind") == "instruction")
            & pl.col("instruction").is_not_null()
            & (pl.col("answer").fill_null("").str.strip_chars() != "")
        )
        # Drawn per problem: its every attempt is steered alike.
        open_problems = attributes.attach(
            ctx.select_sources(config.sources, seeds, has_answer, config.max_problems).to_dicts()
        )
        for sample_index in range(config.samples_per_problem):
            if not open_problems:
                break
            calls = model.complete_many(
                [
                    (
                        render(
                            self.template,
                            p["sampled"],
                            problem=problem_text(p["instruction"], p["input"]),
                        ),
                        sample_index,
                    )
                    for p in open_problems
                ],
                config.sampling,
            )
            still_open = []
            for problem, call in zip(open_problems, calls, strict=True):
                where = {
                    "problem_row_id": problem["row_id"],
                    "sample_index": sample_index,
                    "expected": problem["answer"],
                    **MethodAttributes.row(problem["sampled"]),
                }
                try:
                    reasoning, final = read_rationale(call.text)
                except SchemaMismatch as mismatch:
                    # Cut off (the JSON unfinished), or a backend that could not hold it.
                    rule = "truncated_rationale" if call.finish_reason == "length" else None
                    run.reject(
                        call, rule or "unparseable_rationale", problem=mismatch.reason, **where
                    )
                    still_open.append(problem)
                    continue
                check = compare_answer(final, problem["answer"], config.rel_tol, config.abs_tol)
                rule = failed_check(call, check)
                if rule:
                    run.reject(
                        call,
                        rule,
                        got=check.got,
                        compared=check.how,
                        **where,
                    )
                    still_open.append(problem)
                    continue
                run.keep(
                    model,
                    [call],
                    Lineage.of(problem),
                    task_type=problem["task_type"],
                    instruction=problem["instruction"],
                    input=problem["input"],
                    response=f"{reasoning}\nThe answer is {final}.",
                    answer=problem["answer"],
                    verified=True,
                    attributes={
                        "verification": {**check.as_dict(), "sample_index": sample_index},
                        "attempts": sample_index + 1,
                        "finish_reason": call.finish_reason,
                        **MethodAttributes.row(problem["sampled"]),
                    },
                )
            open_problems = still_open
        return run.output()
