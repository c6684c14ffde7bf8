"""A model judge that scores texts against a rubric prompt template on a 1..scale scale.

Used by synthesis methods (preference pairs, grounded QA) and by the filtered stage to score
rows: every judgement is a cached, logged model call, returned with its call id. The judge's
output is held to `score_schema(scale)`, `{"score": N}` with N in 1..scale, so it parses
whenever the call was not cut off.
"""

from __future__ import annotations

from dataclasses import dataclass

from assets.models.call_cache import CachedModel, CallResult
from assets.models.generators import Sampling
from assets.models.json_schema import JsonSchema, SchemaMismatch
from assets.models.prompt_templates import PromptTemplate


def score_schema(scale: int) -> JsonSchema:
    """`{"score": N}`, N an integer in 1..`scale`."""
    return JsonSchema(
        f"rubric_score_1_to_{scale}",
        {
            "type": "object",
            "properties": {"score": {"enum": list(range(1, scale + 1))}},
            "required": ["score"],
            "additionalProperties": False,
        },
    )


@dataclass(frozen=True)
class Judgement:
    score: float | None
    call: CallResult
    # Why the output has no score (cut off, or not held to the schema by the backend).
    problem: str | None = None

    @property
    def call_id(self) -> str:
        return self.call.request_hash


class RubricJudge:
    """Scores items (dicts of the template's `$placeholders`) with one judge model; build it
    with `ModelSession.judge`."""

    def __init__(
        self, model: CachedModel, template: PromptTemplate, scale: int, sampling: Sampling
    ):
        self.model = model
        self.template = template
        self.scale = scale
        self.sampling = sampling
        self.schema = model.schema or score_schema(scale)

    @staticmethod
    def params(scale: int, sampling: Sampling) -> dict:
        """The judge's generator parameters: its role, scale and sampling."""
        return {"role": "judge", "scale": scale, "sampling": sampling.model_dump()}

    @property
    def generator_id(self) -> str:
        return self.model.generator_id

    def score(self, items: list[dict[str, str]]) -> list[Judgement]:
        prompts = [(self.template.render(scale=str(self.scale), **item), 0) for item in items]
        calls = self.model.complete_many(prompts, self.sampling)
        return [self._judgement(call) for call in calls]

    def _judgement(self, call: CallResult) -> Judgement:
        try:
            value = self.schema.parse(call.text)
        except SchemaMismatch as mismatch:
            return Judgement(None, call, mismatch.reason)
        return Judgement(float(value["score"]), call)
