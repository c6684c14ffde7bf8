"""Verified coding exercises: a model writes a problem, a solution and unit tests from a seed
coding instruction or a code snippet in a seed document (OSS-Instruct, Wei et al., 2023); the
sandbox runs the tests, and only exercises whose tests pass are kept.

Execution feedback: a failed attempt's error goes back to the model for up to
`repair_attempts` more attempts. Each attempt is its own logged call; a kept row lists every
attempt's call in `call_ids`, and each failed attempt is a decision keyed by its call, with
its source row, seeds, the earlier calls and the sandbox's verdict.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import polars as pl
from pydantic import Field

from assets.execution.code_blocks import as_response, first_python_block, sections
from assets.execution.sandbox import Execution, Sandbox, SandboxConfig
from assets.models.call_cache import CallResult
from assets.models.generators import GeneratorConfig, LocalModel, Sampling
from assets.models.prompt_templates import load_template
from assets.synthesis.attributes import MethodAttributes, Steerable, render
from assets.synthesis.context import SOURCES_DESCRIPTION, MethodOutput, SynthesisContext
from assets.synthesis.model_run import Lineage, ModelRun


class CodeInstruct(Steerable):
    """Coding exercises (problem, solution, unit tests) kept only when the tests pass in the
    sandbox."""

    method: Literal["code_instruct"]
    generator: GeneratorConfig = LocalModel()
    sources: list[str] = Field(default=["seed"], min_length=1, description=SOURCES_DESCRIPTION)
    task_types: list[str] = Field(
        default=["coding"], description="Instruction rows of these task types are material."
    )
    documents: bool = Field(
        default=True, description="Documents holding a Python code block are material too."
    )
    max_sources: int | None = Field(default=None, gt=0)
    max_material_chars: int = Field(default=1500, gt=0)
    repair_attempts: int = Field(
        default=1, ge=0, le=5, description="Attempts after a failure, each told the error."
    )
    sampling: Sampling = Sampling(temperature=0.7, max_tokens=384)
    template: str = "code_instruct"
    repair_template: str = "code_repair"
    sandbox: SandboxConfig = SandboxConfig()


def material_of(source: dict[str, Any], limit: int) -> str:
    """What an exercise is drawn from: an instruction (with its input), or a document's code."""
    if source["kind"] == "document":
        text = first_python_block(source["text"]) or source["text"]
    else:
        text = "\n\n".join(p for p in (source["instruction"], source["input"]) if p)
    return text[:limit]


class CodeInstructMethod:
    name = "code_instruct"
    Config = CodeInstruct
    # The placeholders the method fills; any other in its templates is an attribute.
    template_values: ClassVar[dict[str, frozenset[str]]] = {
        "template": frozenset({"material"}),
        "repair_template": frozenset({"problem", "solution", "tests", "error"}),
    }

    def __init__(self, config: CodeInstruct):
        self.config = config
        self.template = load_template(config.template)
        self.repair = load_template(config.repair_template)

    def run(self, seeds: pl.DataFrame, ctx: SynthesisContext) -> MethodOutput:
        config = self.config
        is_instruction = (
            (pl.col("kind") == "instruction")
            & pl.col("instruction").is_not_null()
            & pl.col("task_type").is_in(config.task_types)
        )
        is_snippet = (pl.col("kind") == "document") & pl.col("text").str.contains("```")
        where = is_instruction | is_snippet if config.documents else is_instruction
        run = ModelRun(self.name, ctx)
        attributes = MethodAttributes.of(self.name, config, ctx)
        # Drawn per source: its first attempt and its repairs are steered alike.
        sources = attributes.attach(
            ctx.select_sources(config.sources, seeds, where, config.max_sources).to_dicts()
        )
        model = run.model(
            config.generator,
            [self.template, self.repair],
            {
                "sampling": config.sampling.model_dump(),
                "repair_attempts": config.repair_attempts,
                **attributes.params(),
            },
        )
        if not sources:
            return run.output()
        sandbox = Sandbox(config.sandbox, ctx.log)
        # Per open source: the prompt of its next attempt and the calls of its earlier ones.
        open_sources = [
            (
                s,
                render(
                    self.template,
                    s["sampled"],
                    material=material_of(s, config.max_material_chars),
                ),
                [],
            )
            for s in sources
        ]
        for attempt in range(config.repair_attempts + 1):
            if not open_sources:
                break
            calls = model.complete_many([(p, attempt) for _, p, _ in open_sources], config.sampling)
            parsed = []
            for (source, _, earlier), call in zip(open_sources, calls, strict=True):
                where = {
                    "source_row_id": source["row_id"],
                    "seed_ids": source["origin_seed_ids"],
                    "attempt": attempt,
                    "earlier_call_ids": [c.request_hash for c in earlier],
                    **MethodAttributes.row(source["sampled"]),
                }
                if not run.screen(call, call.text, **where):
                    continue
                found = sections(call.text)
                missing = [k for k in ("problem", "solution", "tests") if k not in found]
                parsed.append((source, earlier, call, found, missing, where))
            runnable = [p for p in parsed if not p[4]]
            results = iter(
                sandbox.run_many([Execution(p[3]["solution"], p[3]["tests"]) for p in runnable])
            )
            still_open = []
            for source, earlier, call, found, missing, where in parsed:
                if missing:
                    run.reject(call, "unparseable_exercise", missing=missing, **where)
                    feedback = f"The answer lacked the section(s) {', '.join(missing)}."
                else:
                    result = next(results)
                    if result.passed:
                        self._keep(run, model, source, [*earlier, call], found, result.summary())
                        continue
                    run.reject(call, result.status, **result.evidence(), **where)
                    feedback = result.feedback()
                prompt = render(
                    self.repair,
                    source["sampled"],
                    problem=found.get("problem", ""),
                    solution=found.get("solution", ""),
                    tests=found.get("tests", ""),
                    error=feedback,
                )
                still_open.append((source, prompt, [*earlier, call]))
            open_sources = still_open
        return run.output()

    def _keep(
        self,
        run: ModelRun,
        model: Any,
        source: dict[str, Any],
        calls: list[CallResult],
        found: dict[str, str],
        execution: dict[str, Any],
    ) -> None:
        run.keep(
            model,
            calls,
            Lineage.of(source),
            task_type="coding",
            instruction=found["problem"],
            input="",
            response=as_response(found["solution"]),
            verified=True,
            attributes={
                "tests": found["tests"],
                "execution": execution,
                "attempts": len(calls),
                "source_kind": source["kind"],
                "finish_reason": calls[-1].finish_reason,
                **MethodAttributes.row(source["sampled"]),
            },
        )
