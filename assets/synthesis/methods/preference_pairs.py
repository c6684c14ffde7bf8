"""Preference pairs (UltraFeedback-style): several responses per instruction, binarized into
one chosen/rejected pair per instruction by a signal:

- `rubric` (the default): a rubric judge scores every response (below);
- `checks`: the instruction's verifiable constraints (carried in its `attributes.constraints`,
  else drawn and rendered into it as `constrained_instruct` does) are checked on every
  response; chosen passes the most, rejected the fewest, and instructions whose responses all
  pass as many checks are dropped (`equal_checks`, every verdict in the evidence). With
  `chosen_passes_all`, chosen must also pass every check (as in Tulu 3's instruction-following
  pairs), else the instruction is dropped (`chosen_failed_checks`). No judge is called; the
  pair's `attributes` hold the constraints and both responses' verification;
- `pairwise_judge`: exactly two responses per instruction; the judge compares them twice,
  once in each order (assets/synthesis/pairwise_judge.py); the pair is kept only when both
  orders prefer the same response, else dropped as `position_inconsistent` (or
  `judge_unparseable`) with both verdicts and both judge calls in the evidence.
- `reward`: a local reward model (`reward.model_path`: the filtered stage's reward scorer, a
  CrossEncoder or one-output sequence-classification folder, never downloaded) scores every
  response as the rubric judge would (assets/synthesis/reward_judge.py: a generator whose
  every score is a logged call); highest against lowest, kept when the margin reaches
  `min_margin`, as with the rubric.

Responses come from one or more responders (a model, its prompt template and sampling); each
responder is its own generator. The judge scores every response on 1..`scale`; the highest
becomes `chosen` and the lowest `rejected`. Dropped, each with a decision: empty
responses, responses whose judge output has no score, instructions left with fewer than two
scored responses, and pairs whose score margin is below `min_margin` (ties included).

Lineage of a pair row: `generator_id` is the chosen response's generator (it wrote the
`response` text); `call_ids` holds the chosen and rejected responses' calls and both judge
calls; `attributes` names the rejected response's generator and the judge's generator, and
all of them are registered in `generators`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

import polars as pl
from pydantic import Field, field_validator, model_validator

from assets.constraints import Constraint, ConstraintDraw, render
from assets.models.call_cache import CachedModel, CallResult
from assets.models.generators import GeneratorConfig, LocalModel, Sampling
from assets.models.prompt_templates import PromptTemplate, load_template
from assets.models.rubric_judge import Judgement, RubricJudge
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
from assets.synthesis.model_run import JUDGE_OUTPUT_CHARS, Lineage, ModelRun
from assets.synthesis.pairwise_judge import PairwiseJudge
from assets.synthesis.preference_checks import rank_by_checks
from assets.synthesis.reward_judge import RewardJudge, RewardScorer
from warehouse.settings import Strict


class Responder(Strict):
    """One source of candidate responses: a model, its prompt template and sampling."""

    generator: GeneratorConfig = LocalModel()
    template: str = "self_instruct_response"
    sampling: Sampling = Sampling(temperature=0.8, max_tokens=192)


class PreferencePairs(Steerable):
    """Chosen/rejected pairs (UltraFeedback-style, Cui et al., 2023): several responses per
    instruction from one or more responders, scored by a rubric judge."""

    method: Literal["preference_pairs"]
    signal: Literal["rubric", "checks", "pairwise_judge", "reward"] = Field(
        default="rubric",
        description="rubric: a judge scores each response; checks: the response passing "
        "strictly more of the instruction's verifiable constraints is chosen; pairwise_judge: "
        "the judge compares the two responses in both orders and both must agree; reward: a "
        "local reward model (`reward`) scores each response.",
    )
    reward: RewardScorer | None = Field(
        default=None, description="With signal reward: the reward model folder that scores."
    )
    constraints: ConstraintDraw = Field(
        default=ConstraintDraw(),
        description="With signal checks: the constraints drawn for instructions that carry "
        "none in attributes.constraints.",
    )
    chosen_passes_all: bool = Field(
        default=False,
        description="With signal checks: chosen must pass every constraint, not only strictly "
        "more than rejected (a pair teaches the answer the instruction asked for).",
    )
    generators: list[Responder] = Field(default=[Responder()], min_length=1)
    judge: GeneratorConfig = LocalModel()
    sources: list[str] = Field(default=["seed"], min_length=1, description=SOURCES_DESCRIPTION)
    task_types: list[str] | None = None
    instruction_pattern: str | None = Field(default=None, description=PATTERN_DESCRIPTION)
    max_instructions: int = Field(default=8, gt=0)
    responses_per_generator: int = Field(default=2, ge=1, le=16)
    scale: Literal[5, 10] = 10
    min_margin: float = Field(
        default=1.0,
        ge=0.0,
        description="rubric and reward: chosen score minus rejected score, at least (checks: "
        "chosen always passes strictly more checks).",
    )
    judge_sampling: Sampling = Sampling(temperature=0.0, max_tokens=48)
    judge_template: str = "preference_judge"
    pairwise_template: str = "preference_pairwise"
    # Added after the signals: left out of the dump while at its default.
    added_keys: ClassVar[tuple[str, ...]] = ("chosen_passes_all", "instruction_pattern")

    _pattern = field_validator("instruction_pattern")(checked_pattern)

    @model_validator(mode="after")
    def _enough_responses(self) -> PreferencePairs:
        if len(self.generators) * self.responses_per_generator < 2:
            raise ValueError("a pair needs at least two responses per instruction")
        if (
            self.signal == "pairwise_judge"
            and len(self.generators) * self.responses_per_generator != 2
        ):
            raise ValueError("signal pairwise_judge compares exactly two responses per instruction")
        if (self.signal == "reward") != (self.reward is not None):
            raise ValueError("signal reward takes a `reward` model (`model_path`), and only it")
        if self.chosen_passes_all and self.signal != "checks":
            raise ValueError("chosen_passes_all goes with signal checks")
        return self

    def unchanged_dump(self, data: dict) -> dict:
        # Recipes on the rubric signal dump (and so hash) exactly as before `signal` existed.
        data = super().unchanged_dump(data)
        if self.signal == "rubric":
            for key in _ADDED_FOR_SIGNALS:
                if getattr(self, key) == type(self).model_fields[key].default:
                    data.pop(key, None)
        return data


# Settings added with the signals; a rubric recipe that leaves them out hashes as before.
_ADDED_FOR_SIGNALS = ("signal", "constraints", "pairwise_template", "reward")


@dataclass
class Candidate:
    """One response to the instruction at index `source`: its model and call."""

    source: int  # index of the instruction
    model: CachedModel
    call: CallResult
    judgement: Judgement | None = None


def _where(source: dict) -> dict:
    """The evidence naming an instruction (and what was sampled for it) in its rejections."""
    return {"instruction_row_id": source["row_id"], **MethodAttributes.row(source["sampled"])}


def keep_pair(
    run: ModelRun,
    source: dict,
    chosen: Candidate,
    worst: Candidate,
    other_calls: list[CallResult],
    *,
    signal: str,
    **evidence: object,
) -> None:
    """A preference row of `source`'s instruction: chosen in `response`, the rejected side,
    both calls and generators in `attributes` (then the signal's own `evidence`); its
    `call_ids` are the chosen, the rejected and `other_calls` (judges, a critique)."""
    run.keep(
        chosen.model,
        [chosen.call, worst.call, *other_calls],
        Lineage.of(source),
        kind="preference",
        task_type=source["task_type"],
        instruction=source["instruction"],
        input=source["input"],
        response=chosen.call.text.strip(),
        # The source's reference answer: the filtered stage drops a pair whose chosen side
        # gets it wrong (filters.reference_answer), however many checks that side passes.
        answer=source.get("answer"),
        attributes={
            "signal": signal,
            "rejected": worst.call.text.strip(),
            "finish_reason": chosen.call.finish_reason,
            "rejected_finish_reason": worst.call.finish_reason,
            "chosen_call_id": chosen.call.request_hash,
            "rejected_call_id": worst.call.request_hash,
            "chosen_generator_id": chosen.model.generator_id,
            "rejected_generator_id": worst.model.generator_id,
            **evidence,
            **MethodAttributes.row(source["sampled"]),
        },
    )


class PreferencePairsMethod:
    name = "preference_pairs"
    Config = PreferencePairs
    template_values: ClassVar[dict[str, frozenset[str]]] = {}

    @staticmethod
    def attribute_templates(config: PreferencePairs) -> list[tuple[PromptTemplate, frozenset[str]]]:
        """Each responder's template, filling `$instruction` itself; the judges are not
        steered (they score every response alike)."""
        return [(load_template(r.template), frozenset({"instruction"})) for r in config.generators]

    def __init__(self, config: PreferencePairs):
        self.config = config

    def run(self, seeds: pl.DataFrame, ctx: SynthesisContext) -> MethodOutput:
        config = self.config
        attributes = MethodAttributes.of(self.name, config, ctx)
        # Drawn per instruction: every response to it is steered alike, so the pair compares
        # answers to one request.
        instructions = attributes.attach(
            ctx.source_instructions(
                config.sources,
                seeds,
                config.task_types,
                config.max_instructions,
                config.instruction_pattern,
            ).to_dicts()
        )
        constraints = self._constraints(instructions, ctx)
        for row, drawn in zip(instructions, constraints, strict=True):
            if drawn is not None and drawn[1]:
                # Responders see the constraints they are checked against.
                row["instruction"] = render(row["instruction"], drawn[0])
        prompts = [problem_text(r["instruction"], r["input"]) for r in instructions]
        per_prompt = config.responses_per_generator
        run = ModelRun(self.name, ctx)
        responses: list[Candidate] = []
        for responder in config.generators:
            template = load_template(responder.template)
            model = run.model(
                responder.generator,
                [template],
                {
                    "role": "responder",
                    "sampling": responder.sampling.model_dump(),
                    **attributes.params(),
                },
            )
            calls = model.complete_many(
                [
                    (render_attributes(template, row["sampled"], instruction=p), k)
                    for row, p in zip(instructions, prompts, strict=True)
                    for k in range(per_prompt)
                ],
                responder.sampling,
            )
            owners = [i for i in range(len(instructions)) for _ in range(per_prompt)]
            for owner, call in zip(owners, calls, strict=True):
                # A cut-off response may still serve as `rejected`; a cut-off chosen response
                # is dropped by the filtered stage (its finish_reason is in attributes).
                if call.text.strip():
                    responses.append(Candidate(owner, model, call))
                else:
                    run.reject(call, "empty_response", **_where(instructions[owner]))
        if config.signal == "checks":
            by_source: dict[int, list[Candidate]] = {}
            for response in responses:
                by_source.setdefault(response.source, []).append(response)
            for index, source in enumerate(instructions):
                self._pair_by_checks(run, source, constraints[index][0], by_source.get(index, []))
            return run.output()
        if config.signal == "pairwise_judge":
            self._pairwise(run, instructions, prompts, responses)
            return run.output()
        # rubric: the judge model scores each response; reward: the reward model does.
        judge = (
            RewardJudge.build(run, config.reward)
            if config.reward is not None
            else run.judge(config.judge, config.judge_template, config.scale, config.judge_sampling)
        )
        verdicts = run.judged(
            judge,
            [r.call for r in responses],
            [
                {"instruction": prompts[r.source], "response": r.call.text.strip()}
                for r in responses
            ],
            [_where(instructions[r.source]) for r in responses],
        )
        scored: dict[int, list[Candidate]] = {}
        for response, verdict in zip(responses, verdicts, strict=True):
            if verdict is not None:
                response.judgement = verdict
                scored.setdefault(response.source, []).append(response)
        for index, source in enumerate(instructions):
            self._pair(run, judge, source, scored.get(index, []))
        return run.output()

    def _pairwise(
        self,
        run: ModelRun,
        instructions: list[dict],
        prompts: list[str],
        responses: list[Candidate],
    ) -> None:
        """Each instruction's two responses compared in both orders; a pair when both agree."""
        config = self.config
        judge = PairwiseJudge.build(
            run, config.judge, config.pairwise_template, config.judge_sampling
        )
        by_source: dict[int, list[Candidate]] = {}
        for response in responses:
            by_source.setdefault(response.source, []).append(response)
        compared = []
        for index, source in enumerate(instructions):
            candidates = by_source.get(index, [])
            if len(candidates) < 2:
                run.reject_source(
                    source["row_id"],
                    "too_few_responses",
                    score=float(len(candidates)),
                    call_ids=[c.call.request_hash for c in candidates],
                    **_where(source),
                )
            else:
                compared.append((index, candidates))
        verdicts = judge.compare(
            [
                (prompts[index], first.call.text.strip(), second.call.text.strip())
                for index, (first, second) in compared
            ]
        )
        for (index, candidates), verdict in zip(compared, verdicts, strict=True):
            source = instructions[index]
            pair = {
                "first_call_id": candidates[0].call.request_hash,
                "second_call_id": candidates[1].call.request_hash,
                **verdict.evidence(),
            }
            if verdict.problem:
                run.reject_source(
                    source["row_id"],
                    verdict.problem,
                    **_where(source),
                    forward_output=verdict.forward_call.text[:JUDGE_OUTPUT_CHARS],
                    backward_output=verdict.backward_call.text[:JUDGE_OUTPUT_CHARS],
                    **pair,
                )
                continue
            chosen = candidates[verdict.preferred]
            worst = candidates[1 - verdict.preferred]
            keep_pair(
                run,
                source,
                chosen,
                worst,
                [verdict.forward_call, verdict.backward_call],
                signal="pairwise_judge",
                judge_generator_id=judge.generator_id,
                **pair,
            )

    def _constraints(
        self, instructions: list[dict], ctx: SynthesisContext
    ) -> list[tuple[list[Constraint], bool] | None]:
        """Per instruction, with the checks signal: its constraints and whether they were
        drawn (`ConstraintDraw.for_row`); None for every instruction with the rubric."""
        if self.config.signal != "checks":
            return [None] * len(instructions)
        return [
            self.config.constraints.for_row(row, f"{ctx.random_seed}:{self.name}:{row['row_id']}")
            for row in instructions
        ]

    def _pair_by_checks(
        self,
        run: ModelRun,
        source: dict,
        constraints: list[Constraint],
        candidates: list[Candidate],
    ) -> None:
        """The responses passing the most and the fewest checks, kept as a pair when the
        first passes strictly more."""
        where = _where(source)
        if len(candidates) < 2:
            run.reject_source(
                source["row_id"],
                "too_few_responses",
                score=float(len(candidates)),
                call_ids=[c.call.request_hash for c in candidates],
                **where,
            )
            return
        ranking = rank_by_checks([c.call.text.strip() for c in candidates], constraints)
        if ranking.chosen is None:
            run.reject_source(
                source["row_id"],
                "equal_checks",
                score=float(ranking.passed[0]),
                constraints=[c.model_dump() for c in constraints],
                responses=[
                    {"call_id": c.call.request_hash, "passed": p, "verification": v}
                    for c, p, v in zip(
                        candidates, ranking.passed, ranking.verification, strict=True
                    )
                ],
                **where,
            )
            return
        chosen, worst = candidates[ranking.chosen], candidates[ranking.rejected]
        if self.config.chosen_passes_all and ranking.passed[ranking.chosen] < len(constraints):
            run.reject_source(
                source["row_id"],
                "chosen_failed_checks",
                score=float(ranking.passed[ranking.chosen]),
                constraints=[c.model_dump() for c in constraints],
                chosen_call_id=chosen.call.request_hash,
                verification=ranking.verification[ranking.chosen],
                **where,
            )
            return
        keep_pair(
            run,
            source,
            chosen,
            worst,
            [],
            signal="checks",
            constraints=[c.model_dump() for c in constraints],
            chosen_passed=ranking.passed[ranking.chosen],
            rejected_passed=ranking.passed[ranking.rejected],
            margin=ranking.margin,
            verification=ranking.verification[ranking.chosen],
            rejected_verification=ranking.verification[ranking.rejected],
            responses_checked=len(candidates),
        )

    def _pair(
        self,
        run: ModelRun,
        judge: RubricJudge | RewardJudge,
        source: dict,
        candidates: list[Candidate],
    ) -> None:
        """The best and worst scored responses to one instruction, kept as a pair when their
        margin is large enough."""
        if len(candidates) < 2:
            run.reject_source(
                source["row_id"],
                "too_few_scored_responses",
                score=float(len(candidates)),
                **_where(source),
                scored_call_ids=[c.call.request_hash for c in candidates],
            )
            return
        ranked = sorted(candidates, key=lambda r: -r.judgement.score)
        chosen, worst = ranked[0], ranked[-1]
        margin = chosen.judgement.score - worst.judgement.score
        pair = {
            "chosen_call_id": chosen.call.request_hash,
            "rejected_call_id": worst.call.request_hash,
            "chosen_score": chosen.judgement.score,
            "rejected_score": worst.judgement.score,
            "chosen_generator_id": chosen.model.generator_id,
            "rejected_generator_id": worst.model.generator_id,
        }
        # A rubric pair's attributes are what they were before signals (no `signal` key); a
        # reward pair names its signal and has no rubric scale.
        rubric = self.config.signal == "rubric"
        signal = {} if rubric else {"signal": self.config.signal}
        scale = {"scale": self.config.scale} if rubric else {}
        if margin < self.config.min_margin:
            run.reject(
                chosen.call,
                "small_margin",
                score=margin,
                min_margin=self.config.min_margin,
                **_where(source),
                **pair,
            )
            return
        run.keep(
            chosen.model,
            [chosen.call, worst.call, chosen.judgement.call, worst.judgement.call],
            Lineage.of(source),
            kind="preference",
            task_type=source["task_type"],
            instruction=source["instruction"],
            input=source["input"],
            response=chosen.call.text.strip(),
            answer=source.get("answer"),
            attributes={
                **signal,
                "rejected": worst.call.text.strip(),
                "finish_reason": chosen.call.finish_reason,
                "rejected_finish_reason": worst.call.finish_reason,
                **pair,
                "margin": margin,
                **scale,
                "judge_generator_id": judge.generator_id,
                "chosen_judge_call_id": chosen.judgement.call_id,
                "rejected_judge_call_id": worst.judgement.call_id,
                "responses_scored": len(candidates),
                **MethodAttributes.row(source["sampled"]),
            },
        )
