"""A model judge that scores texts against a rubric prompt template on a 1..scale scale.

Used by synthesis methods (preference pairs, grounded QA) and by the filtered stage to score
rows: every judgement is a cached, logged model call, returned with its call id.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assets.models.call_cache import CachedModel, CallResult
from assets.models.prompt_templates import PromptTemplate
from assets.recipe.generators import Sampling

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
    """Scores items (dicts of the template's `$placeholders`) with one judge model; build it
    with `ModelSession.judge`."""

    def __init__(
        self, model: CachedModel, template: PromptTemplate, scale: int, sampling: Sampling
    ):
        self.model = model
        self.template = template
        self.scale = scale
        self.sampling = sampling

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
        return [Judgement(parse_score(call.text, self.scale), call) for call in calls]
