"""Program of thought (Chen et al., 2022): for a problem with a reference answer, the model
writes a Python program that computes it; the sandbox runs the program, and the row is kept
only when the last line it prints matches the reference.

Sources are rows with an `answer` (seed rows, `programmatic_math` rows listed in `sources`).
A failed attempt (an error, no output, a wrong answer) is a decision keyed by its call; its
error (never the reference answer) goes back to the model for up to `repair_attempts` more
attempts, each its own logged call, all listed in the kept row's `call_ids`.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import polars as pl
from pydantic import Field

from assets.answers import Verification, as_number, normalize_answer
from assets.execution.code_blocks import as_response, first_python_block
from assets.execution.sandbox import Execution, ExecutionResult, Sandbox, SandboxConfig
from assets.models.generators import GeneratorConfig, LocalModel, Sampling
from assets.models.prompt_templates import load_template
from assets.synthesis.attributes import MethodAttributes, Steerable, render
from assets.synthesis.context import SOURCES_DESCRIPTION, MethodOutput, SynthesisContext
from assets.synthesis.methods.verified_cot import problem_text
from assets.synthesis.model_run import Lineage, ModelRun


class ProgramOfThought(Steerable):
    """Programs that compute a problem's answer, kept only when the printed answer matches."""

    method: Literal["program_of_thought"]
    generator: GeneratorConfig = LocalModel()
    sources: list[str] = Field(
        default=["seed"],
        min_length=1,
        description=SOURCES_DESCRIPTION + " Rows without an `answer` are skipped.",
    )
    max_problems: int | None = Field(default=None, gt=0)
    repair_attempts: int = Field(
        default=1, ge=0, le=5, description="Attempts after a failure, each told the error."
    )
    rel_tol: float = Field(default=1e-6, ge=0.0)
    abs_tol: float = Field(default=1e-9, ge=0.0)
    sampling: Sampling = Sampling(temperature=0.3, max_tokens=256)
    template: str = "program_of_thought"
    repair_template: str = "program_repair"
    sandbox: SandboxConfig = SandboxConfig()


def program_of(output: str) -> str:
    """The program in a model's output: its first Python block, else (the prompt opens a
    block) the text up to the closing fence."""
    block = first_python_block(output)
    return block if block is not None else output.split("```", 1)[0]


def printed_answer(result: ExecutionResult) -> str | None:
    lines = [line.strip() for line in result.stdout.splitlines() if line.strip()]
    return lines[-1] if lines and not result.stdout_truncated else None


def check_printed(printed: str, expected: str, rel_tol: float, abs_tol: float) -> Verification:
    """The printed answer against the reference: numerically within tolerance when both are
    numbers, else as normalized strings."""
    want, have = as_number(expected), as_number(printed)
    if want is not None and have is not None:
        difference = abs(float(want) - float(have))
        matched = difference <= max(abs_tol, rel_tol * abs(float(want)))
        return Verification(matched, expected, printed, "numeric")
    same = normalize_answer(printed) == normalize_answer(expected)
    return Verification(same, expected, printed, "string")


class ProgramOfThoughtMethod:
    name = "program_of_thought"
    Config = ProgramOfThought
    # The placeholders the method fills; any other in its templates is an attribute.
    template_values: ClassVar[dict[str, frozenset[str]]] = {
        "template": frozenset({"problem"}),
        "repair_template": frozenset({"problem", "program", "error"}),
    }

    def __init__(self, config: ProgramOfThought):
        self.config = config
        self.template = load_template(config.template)
        self.repair = load_template(config.repair_template)

    def run(self, seeds: pl.DataFrame, ctx: SynthesisContext) -> MethodOutput:
        config = self.config
        run = ModelRun(self.name, ctx)
        attributes = MethodAttributes.of(self.name, config, ctx)
        model = run.model(
            config.generator,
            [self.template, self.repair],
            {
                "sampling": config.sampling.model_dump(),
                "repair_attempts": config.repair_attempts,
                "rel_tol": config.rel_tol,
                "abs_tol": config.abs_tol,
                **attributes.params(),
            },
        )
        has_answer = (
            (pl.col("kind") == "instruction")
            & pl.col("instruction").is_not_null()
            & (pl.col("answer").fill_null("").str.strip_chars() != "")
        )
        # Drawn per problem: its first attempt and its repairs are steered alike.
        problems = attributes.attach(
            ctx.select_sources(config.sources, seeds, has_answer, config.max_problems).to_dicts()
        )
        if not problems:
            return run.output()
        sandbox = Sandbox(config.sandbox, ctx.log)
        open_problems = [
            (
                p,
                render(
                    self.template, p["sampled"], problem=problem_text(p["instruction"], p["input"])
                ),
                [],
            )
            for p in problems
        ]
        for attempt in range(config.repair_attempts + 1):
            if not open_problems:
                break
            calls = model.complete_many(
                [(prompt, attempt) for _, prompt, _ in open_problems], config.sampling
            )
            programs = [program_of(call.text) for call in calls]
            results = sandbox.run_many([Execution(code, None, main=True) for code in programs])
            still_open = []
            for (problem, _, earlier), call, program, result in zip(
                open_problems, calls, programs, results, strict=True
            ):
                where = {
                    "problem_row_id": problem["row_id"],
                    "seed_ids": problem["origin_seed_ids"],
                    "attempt": attempt,
                    "earlier_call_ids": [c.request_hash for c in earlier],
                    **MethodAttributes.row(problem["sampled"]),
                }
                feedback = self._judge(run, model, problem, [*earlier, call], program, result)
                if feedback is None:
                    continue
                rule, evidence, words = feedback
                run.reject(call, rule, **evidence, **where)
                prompt = render(
                    self.repair,
                    problem["sampled"],
                    problem=problem_text(problem["instruction"], problem["input"]),
                    program=program.strip(),
                    error=words,
                )
                still_open.append((problem, prompt, [*earlier, call]))
            open_problems = still_open
        return run.output()

    def _judge(
        self,
        run: ModelRun,
        model: Any,
        problem: dict[str, Any],
        calls: list,
        program: str,
        result: ExecutionResult,
    ) -> tuple[str, dict[str, Any], str] | None:
        """Keep the row and return None, or the failed attempt's rule, evidence and the
        feedback for the next attempt."""
        if not result.passed:
            return result.status, result.evidence(), result.feedback()
        printed = printed_answer(result)
        if printed is None:
            why = "output_truncated" if result.stdout_truncated else "no_output"
            return why, result.evidence(), "It printed nothing: print the final answer."
        check = check_printed(printed, problem["answer"], self.config.rel_tol, self.config.abs_tol)
        if not check.matched:
            evidence = {**check.as_dict(), **result.evidence()}
            return "answer_mismatch", evidence, f"It printed {printed[:200]!r}: that is wrong."
        run.keep(
            model,
            calls,
            Lineage.of(problem),
            task_type=problem["task_type"],
            instruction=problem["instruction"],
            input=problem["input"],
            response=as_response(program, f"Running it prints: {printed}"),
            answer=problem["answer"],
            verified=True,
            attributes={
                "verification": check.as_dict(),
                "execution": result.summary(),
                "attempts": len(calls),
                "finish_reason": calls[-1].finish_reason,
                **MethodAttributes.row(problem["sampled"]),
            },
        )
        return None
