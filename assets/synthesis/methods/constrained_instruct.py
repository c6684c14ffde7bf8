"""Constrained instructions (IFEval-style, as in Tulu 3 and AutoIF): seed instructions with
1-3 verifiable constraints added ("at most 50 words", "no commas", "end with ..."), answered
by the model, and kept only when the response passes every check.

Constraints are drawn per instruction from the registered kinds (assets/synthesis/
constraints), compatible with each other, by a random generator keyed on the recipe's
`random_seed` and the source row, and rendered as sentences after the instruction. A source
row that already carries `attributes.constraints` keeps its own (its instruction already asks
for them). Each instruction is answered `attempts` times; the first answer that passes every
check becomes the row (`verified = true`, the constraints in `attributes.constraints`, each
constraint's verdict and reason in `attributes.verification`). Every answer that fails a
check is a decision `constraint_failed.<kind>` (the first constraint it failed), with every
verdict in the evidence; empty, cut-off and refusing answers are screened first.
"""

from __future__ import annotations

from typing import ClassVar, Literal

import polars as pl
from pydantic import Field, field_validator

from assets.answers import reference_check
from assets.constraints import ConstraintDraw, render, verify
from assets.models.generators import GeneratorConfig, LocalModel, Sampling
from assets.models.prompt_templates import load_template
from assets.synthesis.attributes import MethodAttributes, Steerable
from assets.synthesis.attributes import render as render_attributes
from assets.synthesis.context import (
    PATTERN_DESCRIPTION,
    SOURCES_DESCRIPTION,
    MethodOutput,
    SynthesisContext,
    checked_pattern,
)
from assets.synthesis.methods.verified_cot import problem_text
from assets.synthesis.model_run import Lineage, ModelRun


class ConstrainedInstruct(Steerable):
    """Instructions with verifiable constraints added; only answers passing every check kept."""

    method: Literal["constrained_instruct"]
    constraints: ConstraintDraw = Field(
        default=ConstraintDraw(),
        description="The kinds and how many (1-3) are drawn for instructions that carry none.",
    )
    generator: GeneratorConfig = LocalModel()
    sources: list[str] = Field(default=["seed"], min_length=1, description=SOURCES_DESCRIPTION)
    task_types: list[str] | None = None
    instruction_pattern: str | None = Field(default=None, description=PATTERN_DESCRIPTION)
    max_instructions: int = Field(default=8, gt=0)
    attempts: int = Field(
        default=1, ge=1, le=8, description="Answers asked per instruction; the first to pass wins."
    )
    template: str = "self_instruct_response"
    sampling: Sampling = Sampling(temperature=0.7, max_tokens=256)
    # Added later: left out of the dump while at its default.
    added_keys: ClassVar[tuple[str, ...]] = ("instruction_pattern",)

    _pattern = field_validator("instruction_pattern")(checked_pattern)


class ConstrainedInstructMethod:
    name = "constrained_instruct"
    Config = ConstrainedInstruct
    # The placeholders the method fills; any other in its template is an attribute.
    template_values: ClassVar[dict[str, frozenset[str]]] = {"template": frozenset({"instruction"})}

    def __init__(self, config: ConstrainedInstruct):
        self.config = config
        self.template = load_template(config.template)

    def run(self, seeds: pl.DataFrame, ctx: SynthesisContext) -> MethodOutput:
        config = self.config
        run = ModelRun(self.name, ctx)
        attributes = MethodAttributes.of(self.name, config, ctx)
        sources = attributes.attach(
            ctx.source_instructions(
                config.sources,
                seeds,
                config.task_types,
                config.max_instructions,
                config.instruction_pattern,
            ).to_dicts()
        )
        model = run.model(
            config.generator,
            [self.template],
            {
                "sampling": config.sampling.model_dump(),
                "attempts": config.attempts,
                "constraints": config.constraints.model_dump(),
                **attributes.params(),
            },
        )
        tasks = []
        for source in sources:
            key = f"{ctx.random_seed}:{self.name}:{source['row_id']}"
            constraints, drawn = config.constraints.for_row(source, key)
            instruction = (
                render(source["instruction"], constraints) if drawn else source["instruction"]
            )
            tasks.append((source, constraints, instruction))
        calls = model.complete_many(
            [
                (
                    render_attributes(
                        self.template,
                        source["sampled"],
                        instruction=problem_text(instruction, source["input"]),
                    ),
                    k,
                )
                for source, _, instruction in tasks
                for k in range(config.attempts)
            ],
            config.sampling,
        )
        for index, (source, constraints, instruction) in enumerate(tasks):
            attempts = calls[index * config.attempts : (index + 1) * config.attempts]
            where = {
                "instruction_row_id": source["row_id"],
                **MethodAttributes.row(source["sampled"]),
            }
            for call in attempts:
                response = call.text.strip()
                if not run.screen(call, response, **where):
                    continue
                verification = verify(response, constraints)
                failed = [v for v in verification if not v["passed"]]
                if failed:
                    run.reject(
                        call,
                        f"constraint_failed.{failed[0]['kind']}",
                        score=1 - len(failed) / len(verification),
                        failed=[v["kind"] for v in failed],
                        verification=verification,
                        **where,
                    )
                    continue
                # A constraint-perfect answer to a problem with a known result must also get
                # the result right; the next attempt may.
                checked = reference_check(response, source.get("answer"))
                if checked is not None and not checked.matched:
                    run.reject(call, "wrong_answer", **checked.as_dict(), **where)
                    continue
                run.keep(
                    model,
                    [call],
                    Lineage.of(source),
                    task_type=source["task_type"],
                    instruction=instruction,
                    input=source["input"],
                    response=response,
                    answer=source.get("answer"),
                    verified=True,
                    attributes={
                        "finish_reason": call.finish_reason,
                        "base_instruction": source["instruction"],
                        "constraints": [c.model_dump() for c in constraints],
                        "verification": verification,
                        **MethodAttributes.row(source["sampled"]),
                    },
                )
                break
        return run.output()
