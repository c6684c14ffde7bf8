"""Preference pairs (UltraFeedback-style): several responses per instruction, scored by a
rubric judge, binarized into one chosen/rejected pair per instruction.

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
from typing import Literal

import polars as pl
from pydantic import Field, model_validator

from assets.models.call_cache import CachedModel, CallResult
from assets.models.generators import GeneratorConfig, LocalModel, Sampling
from assets.models.prompt_templates import load_template
from assets.models.rubric_judge import Judgement, RubricJudge
from assets.synthesis.context import SOURCES_DESCRIPTION, MethodOutput, SynthesisContext
from assets.synthesis.methods.verified_cot import problem_text
from assets.synthesis.model_run import Lineage, ModelRun
from warehouse.settings import Strict


class Responder(Strict):
    """One source of candidate responses: a model, its prompt template and sampling."""

    generator: GeneratorConfig = LocalModel()
    template: str = "self_instruct_response"
    sampling: Sampling = Sampling(temperature=0.8, max_tokens=192)


class PreferencePairs(Strict):
    """Chosen/rejected pairs (UltraFeedback-style, Cui et al., 2023): several responses per
    instruction from one or more responders, scored by a rubric judge."""

    method: Literal["preference_pairs"]
    generators: list[Responder] = Field(default=[Responder()], min_length=1)
    judge: GeneratorConfig = LocalModel()
    sources: list[str] = Field(default=["seed"], min_length=1, description=SOURCES_DESCRIPTION)
    task_types: list[str] | None = None
    max_instructions: int = Field(default=8, gt=0)
    responses_per_generator: int = Field(default=2, ge=1, le=16)
    scale: Literal[5, 10] = 10
    min_margin: float = Field(
        default=1.0, ge=0.0, description="Chosen score minus rejected score, at least."
    )
    judge_sampling: Sampling = Sampling(temperature=0.0, max_tokens=48)
    judge_template: str = "preference_judge"

    @model_validator(mode="after")
    def _enough_responses(self) -> PreferencePairs:
        if len(self.generators) * self.responses_per_generator < 2:
            raise ValueError("a pair needs at least two responses per instruction")
        return self


@dataclass
class _Response:
    source: int  # index of the instruction
    model: CachedModel
    call: CallResult
    judgement: Judgement | None = None


class PreferencePairsMethod:
    name = "preference_pairs"
    Config = PreferencePairs

    def __init__(self, config: PreferencePairs):
        self.config = config

    def run(self, seeds: pl.DataFrame, ctx: SynthesisContext) -> MethodOutput:
        config = self.config
        instructions = ctx.source_instructions(
            config.sources, seeds, config.task_types, config.max_instructions
        ).to_dicts()
        prompts = [problem_text(r["instruction"], r["input"]) for r in instructions]
        per_prompt = config.responses_per_generator
        run = ModelRun(self.name, ctx)
        responses: list[_Response] = []
        for responder in config.generators:
            template = load_template(responder.template)
            model = run.model(
                responder.generator,
                [template],
                {"role": "responder", "sampling": responder.sampling.model_dump()},
            )
            calls = model.complete_many(
                [(template.render(instruction=p), k) for p in prompts for k in range(per_prompt)],
                responder.sampling,
            )
            owners = [i for i in range(len(instructions)) for _ in range(per_prompt)]
            for owner, call in zip(owners, calls, strict=True):
                # A cut-off response may still serve as `rejected`; a cut-off chosen response
                # is dropped by the filtered stage (its finish_reason is in attributes).
                if call.text.strip():
                    responses.append(_Response(owner, model, call))
                else:
                    run.reject(
                        call, "empty_response", instruction_row_id=instructions[owner]["row_id"]
                    )
        judge = run.judge(config.judge, config.judge_template, config.scale, config.judge_sampling)
        verdicts = run.judged(
            judge,
            [r.call for r in responses],
            [
                {"instruction": prompts[r.source], "response": r.call.text.strip()}
                for r in responses
            ],
            [{"instruction_row_id": instructions[r.source]["row_id"]} for r in responses],
        )
        scored: dict[int, list[_Response]] = {}
        for response, verdict in zip(responses, verdicts, strict=True):
            if verdict is not None:
                response.judgement = verdict
                scored.setdefault(response.source, []).append(response)
        for index, source in enumerate(instructions):
            self._pair(run, judge, source, scored.get(index, []))
        return run.output()

    def _pair(
        self, run: ModelRun, judge: RubricJudge, source: dict, candidates: list[_Response]
    ) -> None:
        """The best and worst scored responses to one instruction, kept as a pair when their
        margin is large enough."""
        if len(candidates) < 2:
            run.reject_source(
                source["row_id"],
                "too_few_scored_responses",
                score=float(len(candidates)),
                instruction_row_id=source["row_id"],
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
        if margin < self.config.min_margin:
            run.reject(
                chosen.call,
                "small_margin",
                score=margin,
                min_margin=self.config.min_margin,
                instruction_row_id=source["row_id"],
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
            attributes={
                "rejected": worst.call.text.strip(),
                "finish_reason": chosen.call.finish_reason,
                "rejected_finish_reason": worst.call.finish_reason,
                **pair,
                "margin": margin,
                "scale": self.config.scale,
                "judge_generator_id": judge.generator_id,
                "chosen_judge_call_id": chosen.judgement.call_id,
                "rejected_judge_call_id": worst.judgement.call_id,
                "responses_scored": len(candidates),
            },
        )
