"""A model judge that scores texts against a rubric prompt template on a 1..scale scale.

Used by synthesis methods (preference pairs, grounded QA) and reusable by later stages to
score rows: every judgement is a cached, logged model call, returned with its call id.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assets.models.backends import build_backend
from assets.models.call_cache import CachedModel, CallResult
from assets.models.context import ModelContext
from assets.models.generator_identity import model_generator
from assets.models.prompt_templates import load_template
from assets.recipe.generators import GeneratorConfig, Sampling
from warehouse.lineage import GeneratorRecord

_NUM = r"(\d+(?:\.\d+)?)"
_LABELED = re.compile(
    rf"(?i)\b(?:score|rating|grade|rated?)\b\s*(?:is|of|:|=|-)?\s*[*\[(\"']*\s*{_NUM}"
    rf"(?:\s*(?:/|out of)\s*{_NUM})?"
)
_RATIO = re.compile(rf"{_NUM}\s*(?:/|out of)\s*{_NUM}")
_BARE = re.compile(rf"^\s*[*\[(\"']*\s*{_NUM}\s*[*\])\"']*\s*\.?\s*$")
# A short verdict ending in its number: "The response is 8." (small judges often answer so).
_SHORT_FINAL = re.compile(rf"^\W*(?:\w+\W+){{0,8}}?\b(?:is|as|gets?|deserves?)\s+{_NUM}\s*\.?\s*$")


def parse_score(raw: str, scale: int) -> float | None:
    """The score a judge wrote: "Score: 7", "Rating: 4/5", "8 out of 10", a bare number, or a
    short verdict ending in it ("The response is 8."). A ratio must be out of `scale`; a
    score outside 1..scale, or anything else, is unparseable (None)."""
    candidates: list[tuple[str, str | None]] = []
    candidates += [(m.group(1), m.group(2)) for m in _LABELED.finditer(raw)]
    candidates += [(m.group(1), m.group(2)) for m in _RATIO.finditer(raw)]
    for pattern in (_BARE, _SHORT_FINAL):
        found = pattern.match(raw)
        if found:
            candidates.append((found.group(1), None))
    for value, out_of in candidates:
        if out_of is not None and float(out_of) != scale:
            continue
        score = float(value)
        if 1 <= score <= scale:
            return score
    return None


@dataclass(frozen=True)
class Judgement:
    score: float | None
    call: CallResult

    @property
    def call_id(self) -> str:
        return self.call.request_hash


class RubricJudge:
    """Scores items (dicts of the template's `$placeholders`) with one judge model."""

    def __init__(self, generator: GeneratorConfig, template: str, scale: int, sampling: Sampling):
        self.template = load_template(template)
        self.backend = build_backend(generator)
        self.scale = scale
        self.sampling = sampling
        self.new_calls = 0
        self.cache_hits = 0

    @property
    def record(self) -> GeneratorRecord:
        return model_generator(
            self.backend,
            [self.template],
            {"role": "judge", "scale": self.scale, "sampling": self.sampling.model_dump()},
        )

    def score(self, ctx: ModelContext, items: list[dict[str, str]]) -> list[Judgement]:
        model = CachedModel(self.backend, self.record.generator_id, ctx)
        prompts = [(self.template.render(scale=str(self.scale), **item), 0) for item in items]
        calls = model.complete_many(prompts, self.sampling)
        self.new_calls += model.new_calls
        self.cache_hits += model.cache_hits
        return [Judgement(parse_score(call.text, self.scale), call) for call in calls]
