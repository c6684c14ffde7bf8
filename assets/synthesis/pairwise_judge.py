"""A judge that compares two responses instead of scoring each: asked in both orders, so a
preference that only follows the position (judges often favour the first response shown)
cancels out and is not taken for a preference.

Each comparison is two cached, logged calls, the responses as A then B and as B then A; the
output is held to `{"better": "A" | "B"}`. A pair is decided only when both orders name the
same response.
"""

from __future__ import annotations

from dataclasses import dataclass

from assets.models.call_cache import CachedModel, CallResult
from assets.models.generators import GeneratorConfig, Sampling
from assets.models.json_schema import JsonSchema, SchemaMismatch
from assets.models.prompt_templates import PromptTemplate, load_template
from assets.models.session import ModelSession

PAIRWISE_SCHEMA = JsonSchema(
    "pairwise_preference",
    {
        "type": "object",
        "properties": {"better": {"enum": ["A", "B"]}},
        "required": ["better"],
        "additionalProperties": False,
    },
)


@dataclass(frozen=True)
class PairVerdict:
    """Both orders' answers ("A", "B", or None when unparseable) and the response preferred
    (0: the first given, 1: the second; None unless both orders agree)."""

    forward: str | None  # first response shown as A
    backward: str | None  # first response shown as B
    forward_call: CallResult
    backward_call: CallResult

    @property
    def preferred(self) -> int | None:
        first = {"A": 0, "B": 1}.get(self.forward or "")
        second = {"B": 0, "A": 1}.get(self.backward or "")
        return first if first is not None and first == second else None

    @property
    def problem(self) -> str | None:
        """Why there is no preference: `judge_unparseable` or `position_inconsistent`."""
        if self.forward is None or self.backward is None:
            return "judge_unparseable"
        return None if self.preferred is not None else "position_inconsistent"

    def evidence(self) -> dict:
        return {
            "forward_verdict": self.forward,
            "backward_verdict": self.backward,
            "forward_judge_call_id": self.forward_call.request_hash,
            "backward_judge_call_id": self.backward_call.request_hash,
        }


class PairwiseJudge:
    """Compares (instruction, first, second) items with one judge model, in both orders."""

    def __init__(self, model: CachedModel, template: PromptTemplate, sampling: Sampling):
        self.model = model
        self.template = template
        self.sampling = sampling

    @staticmethod
    def params(sampling: Sampling) -> dict:
        return {"role": "pairwise_judge", "sampling": sampling.model_dump()}

    @classmethod
    def build(
        cls, session: ModelSession, generator: GeneratorConfig, template: str, sampling: Sampling
    ) -> PairwiseJudge:
        """The judge of `generator` prompted with the template named `template`, its outputs
        held to `PAIRWISE_SCHEMA`, registered as a generator of `session`."""
        prompt = load_template(template)
        model = session.model(generator, [prompt], cls.params(sampling), PAIRWISE_SCHEMA)
        return cls(model, prompt, sampling)

    @property
    def generator_id(self) -> str:
        return self.model.generator_id

    def compare(self, items: list[tuple[str, str, str]]) -> list[PairVerdict]:
        prompts = []
        for instruction, first, second in items:
            for a, b in ((first, second), (second, first)):
                text = self.template.render(instruction=instruction, response_a=a, response_b=b)
                prompts.append((text, 0))
        calls = self.model.complete_many(prompts, self.sampling)
        return [
            PairVerdict(_better(forward), _better(backward), forward, backward)
            for forward, backward in zip(calls[::2], calls[1::2], strict=True)
        ]


def _better(call: CallResult) -> str | None:
    try:
        return PAIRWISE_SCHEMA.parse(call.text)["better"]
    except SchemaMismatch:
        return None
