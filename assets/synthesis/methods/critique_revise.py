"""Critique and revise (Constitutional AI, Bai et al. 2022; Self-Refine, Madaan et al. 2023):
the model drafts a response, critiques the draft against the recipe's `principles` (sentences)
and the instruction's verifiable constraints, then revises it in the light of the critique.

Three calls per instruction, one generator with three templates (draft, critique, revise).
The revision becomes an instruction row; with constraints it is kept only when it passes every
check (`verified = true`; otherwise `constraint_failed.<kind>` on the revision call, as
`constrained_instruct` decides). A preference row (revision chosen, draft rejected) is made
when the `preference` signal prefers the revision:

- `checks`: the revision passes strictly more of the instruction's constraints than the draft
  (`revision_not_better` otherwise, both verifications in the evidence; an instruction
  without constraints: `no_constraints_to_check`);
- `pairwise_judge`: the judge compares draft and revision in both orders and both prefer the
  revision (`draft_preferred`, `position_inconsistent` or `judge_unparseable` otherwise);
- `none`: no preference rows.

Lineage: both rows' `call_ids` name the draft, critique and revision calls (the pair's also
its judge calls), and `attributes` holds `draft_call_id`, `critique_call_id`,
`revision_call_id` with the draft and critique texts.

With `attributes` (`{name: sampler}`) each instruction's draws fill the draft, critique and
revise templates alike (the pairwise judge is not steered) and go on its rows and rejections
as `attributes.sampled`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

import polars as pl
from pydantic import Field

from assets.constraints import (
    Constraint,
    ConstraintDraw,
    carried_constraints,
    describe,
    render,
    verify,
)
from assets.models.call_cache import CachedModel, CallResult
from assets.models.generators import GeneratorConfig, LocalModel, Sampling
from assets.models.prompt_templates import load_template
from assets.synthesis.attributes import MethodAttributes, Steerable
from assets.synthesis.attributes import render as render_attributes
from assets.synthesis.context import SOURCES_DESCRIPTION, MethodOutput, SynthesisContext
from assets.synthesis.methods.preference_pairs import Candidate, keep_pair
from assets.synthesis.methods.verified_cot import problem_text
from assets.synthesis.model_run import JUDGE_OUTPUT_CHARS, Lineage, ModelRun
from assets.synthesis.pairwise_judge import PairwiseJudge
from assets.synthesis.preference_checks import rank_by_checks


class CritiqueRevise(Steerable):
    """Draft, critique against principles and constraints, revise; the revision is a row and,
    when the signal prefers it, a preference pair over the draft."""

    method: Literal["critique_revise"]
    principles: list[str] = Field(
        default=[],
        description="Sentences the critique holds every draft to (e.g. 'Answer only what was "
        "asked.'), besides the instruction's constraints.",
    )
    constraints: ConstraintDraw | None = Field(
        default=None,
        description="Draw constraints for instructions that carry none (as "
        "constrained_instruct does); null: only the constraints rows carry.",
    )
    preference: Literal["checks", "pairwise_judge", "none"] = Field(
        default="checks",
        description="Who decides whether the revision is preferred to the draft (a pair row).",
    )
    generator: GeneratorConfig = LocalModel()
    judge: GeneratorConfig = LocalModel()
    sources: list[str] = Field(default=["seed"], min_length=1, description=SOURCES_DESCRIPTION)
    task_types: list[str] | None = None
    max_instructions: int = Field(default=8, gt=0)
    template: str = "self_instruct_response"
    critique_template: str = "critique"
    revise_template: str = "revise"
    pairwise_template: str = "preference_pairwise"
    sampling: Sampling = Field(
        default=Sampling(temperature=0.7, max_tokens=256),
        description="The draft's and the revision's sampling.",
    )
    critique_sampling: Sampling = Sampling(temperature=0.2, max_tokens=160)
    judge_sampling: Sampling = Sampling(temperature=0.0, max_tokens=16)


def task_where(source: dict) -> dict:
    """The evidence naming an instruction (and what was sampled for it) in its rejections."""
    return {"instruction_row_id": source["row_id"], **MethodAttributes.row(source["sampled"])}


@dataclass
class _Task:
    """One instruction on its way: its source row (instruction rendered with its constraints),
    the criteria and the calls so far."""

    index: int
    source: dict
    constraints: list[Constraint]
    criteria: list[str]
    draft: CallResult | None = None
    critique: CallResult | None = None
    revision: CallResult | None = None

    def prompt(self) -> str:
        return problem_text(self.source["instruction"], self.source["input"])

    def text(self, call: CallResult | None) -> str:
        return call.text.strip() if call is not None else ""

    def values(self) -> dict[str, str]:
        """The placeholders of the three templates, as far as the steps have come."""
        return {
            "instruction": self.prompt(),
            "criteria": "\n".join(f"- {line}" for line in self.criteria),
            "response": self.text(self.draft),
            "critique": self.text(self.critique),
        }

    def lineage(self) -> dict[str, object]:
        return {
            "draft": self.text(self.draft),
            "critique": self.text(self.critique),
            "draft_call_id": self.draft.request_hash,
            "critique_call_id": self.critique.request_hash,
            "revision_call_id": self.revision.request_hash,
        }


class CritiqueReviseMethod:
    name = "critique_revise"
    Config = CritiqueRevise
    # The placeholders the method fills in each template (`_Task.values`: what is known by
    # that step); any other is an attribute. The pairwise judge's template is not steered.
    template_values: ClassVar[dict[str, frozenset[str]]] = {
        "template": frozenset({"instruction", "criteria"}),
        "critique_template": frozenset({"instruction", "response", "criteria"}),
        "revise_template": frozenset({"instruction", "response", "criteria", "critique"}),
    }

    def __init__(self, config: CritiqueRevise):
        self.config = config
        self.templates = [
            load_template(name)
            for name in (config.template, config.critique_template, config.revise_template)
        ]

    def run(self, seeds: pl.DataFrame, ctx: SynthesisContext) -> MethodOutput:
        config = self.config
        run = ModelRun(self.name, ctx)
        attributes = MethodAttributes.of(self.name, config, ctx)
        model = run.model(
            config.generator,
            self.templates,
            {
                "sampling": config.sampling.model_dump(),
                "critique_sampling": config.critique_sampling.model_dump(),
                "principles": config.principles,
                "constraints": config.constraints.model_dump() if config.constraints else None,
                **attributes.params(),
            },
        )
        tasks = self._tasks(run, seeds, ctx, attributes)
        # Each step's template reads what the steps before it wrote (`_Task.values`).
        steps = zip(
            ("draft", "critique", "revision"),
            self.templates,
            (config.sampling, config.critique_sampling, config.sampling),
            strict=True,
        )
        for step, template, sampling in steps:
            prompts = [
                (render_attributes(template, t.source["sampled"], **t.values()), 0) for t in tasks
            ]
            tasks = self._step(run, model, tasks, step, prompts, sampling)
        for task in tasks:
            self._keep_revision(run, model, task)
        if config.preference == "checks":
            for task in tasks:
                self._pair_by_checks(run, model, task)
        elif config.preference == "pairwise_judge":
            self._pair_by_judge(run, model, tasks)
        return run.output()

    def _tasks(
        self,
        run: ModelRun,
        seeds: pl.DataFrame,
        ctx: SynthesisContext,
        attributes: MethodAttributes,
    ) -> list[_Task]:
        """The source instructions (each with its draws under `sampled`) with their
        constraints (carried, or drawn when the recipe draws) and criteria; one without any
        criterion is a decision `no_criteria`."""
        config = self.config
        sources = attributes.attach(
            ctx.source_instructions(
                config.sources, seeds, config.task_types, config.max_instructions
            ).to_dicts()
        )
        tasks = []
        for index, source in enumerate(sources):
            if config.constraints is not None:
                key = f"{ctx.random_seed}:{self.name}:{source['row_id']}"
                constraints, drawn = config.constraints.for_row(source, key)
            else:
                constraints, drawn = carried_constraints(source), False
            criteria = [*config.principles, *describe(constraints)]
            if not criteria:
                run.reject_source(source["row_id"], "no_criteria", **task_where(source))
                continue
            if drawn:
                source = {**source, "instruction": render(source["instruction"], constraints)}
            tasks.append(_Task(index, source, constraints, criteria))
        return tasks

    @staticmethod
    def _step(
        run: ModelRun,
        model: CachedModel,
        tasks: list[_Task],
        step: str,
        prompts: list[tuple[str, int]],
        sampling: Sampling,
    ) -> list[_Task]:
        """One call per task for `step` (draft, critique or revision); the tasks whose output
        passes the common screens (else `<step>_<rule>`; a cut-off critique passes) go on."""
        going = []
        for task, call in zip(tasks, model.complete_many(prompts, sampling), strict=True):
            setattr(task, step, call)
            # A rejected step names the calls before it: every call ends in a row or a decision.
            earlier = {
                f"{name}_call_id": getattr(task, name).request_hash
                for name in ("draft", "critique")
                if name != step and getattr(task, name) is not None
            }
            where = {**task_where(task.source), "step": step, **earlier}
            # A critique cut off by the token limit still says what it found.
            cut_off_ok = step == "critique"
            if run.screen(
                call, call.text.strip(), prefix=f"{step}_", cut_off_ok=cut_off_ok, **where
            ):
                going.append(task)
        return going

    def _keep_revision(self, run: ModelRun, model: CachedModel, task: _Task) -> None:
        """The revision as an instruction row; with constraints, only when it passes all."""
        revision = task.text(task.revision)
        verification = verify(revision, task.constraints)
        failed = [v for v in verification if not v["passed"]]
        if failed:
            run.reject(
                task.revision,
                f"constraint_failed.{failed[0]['kind']}",
                score=1 - len(failed) / len(verification),
                failed=[v["kind"] for v in failed],
                verification=verification,
                **task.lineage(),
                **task_where(task.source),
            )
            return
        run.keep(
            model,
            [task.draft, task.critique, task.revision],
            Lineage.of(task.source),
            task_type=task.source["task_type"],
            instruction=task.source["instruction"],
            input=task.source["input"],
            response=revision,
            answer=task.source.get("answer"),
            verified=True if task.constraints else None,
            attributes={
                "finish_reason": task.revision.finish_reason,
                "principles": self.config.principles,
                "constraints": [c.model_dump() for c in task.constraints],
                "verification": verification,
                **task.lineage(),
                **MethodAttributes.row(task.source["sampled"]),
            },
        )

    def _pair(
        self, run: ModelRun, model: CachedModel, task: _Task, extra: list[CallResult], **evidence
    ) -> None:
        keep_pair(
            run,
            task.source,
            Candidate.generated(task.index, model, task.revision),
            Candidate.generated(task.index, model, task.draft),
            [task.critique, *extra],
            signal=self.config.preference,
            revision_over_draft=True,
            critique=task.text(task.critique),
            critique_call_id=task.critique.request_hash,
            principles=self.config.principles,
            **evidence,
        )

    def _pair_by_checks(self, run: ModelRun, model: CachedModel, task: _Task) -> None:
        """A pair when the revision passes strictly more constraints than the draft."""
        where = task_where(task.source)
        if not task.constraints:
            run.reject_source(task.source["row_id"], "no_constraints_to_check", **where)
            return
        ranking = rank_by_checks(
            [task.text(task.revision), task.text(task.draft)], task.constraints
        )
        constraints = [c.model_dump() for c in task.constraints]
        if ranking.chosen != 0:
            run.reject_source(
                task.source["row_id"],
                "revision_not_better",
                score=float(ranking.passed[0] - ranking.passed[1]),
                constraints=constraints,
                revision_passed=ranking.passed[0],
                draft_passed=ranking.passed[1],
                verification=ranking.verification[0],
                draft_verification=ranking.verification[1],
                **task.lineage(),
                **where,
            )
            return
        self._pair(
            run,
            model,
            task,
            [],
            constraints=constraints,
            chosen_passed=ranking.passed[0],
            rejected_passed=ranking.passed[1],
            margin=ranking.margin,
            verification=ranking.verification[0],
            rejected_verification=ranking.verification[1],
        )

    def _pair_by_judge(self, run: ModelRun, model: CachedModel, tasks: list[_Task]) -> None:
        """A pair when the judge, asked in both orders (draft first, then revision first),
        prefers the revision both times."""
        config = self.config
        judge = PairwiseJudge.build(
            run, config.judge, config.pairwise_template, config.judge_sampling
        )
        verdicts = judge.compare([(t.prompt(), t.text(t.draft), t.text(t.revision)) for t in tasks])
        for task, verdict in zip(tasks, verdicts, strict=True):
            if verdict.preferred == 1:
                self._pair(
                    run,
                    model,
                    task,
                    [verdict.forward_call, verdict.backward_call],
                    judge_generator_id=judge.generator_id,
                    **verdict.evidence(),
                )
                continue
            run.reject_source(
                task.source["row_id"],
                verdict.problem or "draft_preferred",
                forward_output=verdict.forward_call.text[:JUDGE_OUTPUT_CHARS],
                backward_output=verdict.backward_call.text[:JUDGE_OUTPUT_CHARS],
                **verdict.evidence(),
                **task.lineage(),
                **task_where(task.source),
            )
