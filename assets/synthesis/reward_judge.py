"""A reward model as a judge, behind the backend interface, so its scores are model calls like
any other: a generator, each score a logged, cached call whose prompt is the (request,
answer) pair as two chat messages and whose output is the score. Either:

- the filtered stage's reward scorer (assets/filters/reward_score.py): a local CrossEncoder or
  one-output sequence-classification folder, never downloaded (backend `reward`, the
  folder's name and weights digest); or
- a server's scoring API (`ScoringEndpoint`: vLLM's `/score` or a `/rerank`; backend
  `openai_score`, assets/models/backends/openai_score.py), its key from the environment.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Annotated

from pydantic import Discriminator, Field, Tag

from assets.filters.reward_score import load_reward_model, model_digest, predict_rewards
from assets.models.backends.base import Completion, Prompt
from assets.models.backends.openai_score import OpenAIScoreBackend, scored_pair
from assets.models.call_cache import CachedModel
from assets.models.generators import Sampling, ScoringEndpoint
from assets.models.json_schema import JsonSchema
from assets.models.rubric_judge import Judgement
from assets.models.session import ModelSession
from warehouse.settings import Strict

# A score has no sampling; a fixed one keeps its calls' cache keys stable.
REWARD_SAMPLING = Sampling(temperature=0.0, top_p=1.0, max_tokens=1)


class RewardScorer(Strict):
    """A local reward model folder (CrossEncoder or one-output sequence classification)."""

    model_path: str = Field(min_length=1, description="A model folder on this machine.")
    max_length: int = Field(default=512, ge=16, description="Tokens of a pair the model reads.")


def _reward_kind(value: object) -> str:
    # A scoring endpoint names its server; a local model its folder.
    if isinstance(value, dict):
        return "endpoint" if "base_url" in value else "local"
    return "endpoint" if isinstance(value, ScoringEndpoint) else "local"


# `preference_pairs`' `reward`: a local folder (`model_path`) or a scoring API (`base_url`).
Reward = Annotated[
    Annotated[RewardScorer, Tag("local")] | Annotated[ScoringEndpoint, Tag("endpoint")],
    Discriminator(_reward_kind),
]


@dataclass
class RewardBackend:
    """The backend interface (assets/models/backends/base.py) over a reward model: one pair
    in, its score out as text."""

    config: RewardScorer
    backend: str = "reward"
    # One pair at a time: the model's own threads use the cores.
    max_in_flight: int = 1

    @property
    def model(self) -> str:
        return Path(self.config.model_path).expanduser().name

    @cached_property
    def model_digest(self) -> str:
        load_reward_model(self.config.model_path, self.config.max_length)  # a clear error first
        return model_digest(self.config.model_path)

    def lineage_params(self) -> dict:
        return {"max_length": self.config.max_length}

    def complete(
        self,
        prompt: Prompt,
        sampling: Sampling,
        sample_index: int,
        schema: JsonSchema | None = None,
    ) -> Completion:
        pair = scored_pair(prompt)
        start = time.perf_counter()
        (score,) = predict_rewards(
            self.config.model_path, self.config.max_length, [pair], batch_size=1
        )
        return Completion(
            text=json.dumps(score),
            finish_reason="stop",
            prompt_tokens=None,
            completion_tokens=None,
            latency_ms=(time.perf_counter() - start) * 1000,
        )


class RewardJudge:
    """Scores (instruction, response) items with a reward model, as `RubricJudge.score` does
    with a judge model: one `Judgement` per item, its call logged."""

    def __init__(self, model: CachedModel):
        self.model = model

    @classmethod
    def build(cls, session: ModelSession, config: RewardScorer | ScoringEndpoint) -> RewardJudge:
        if isinstance(config, ScoringEndpoint):
            backend = OpenAIScoreBackend(config)
            model = session.backend_model(backend, [], {"role": "reward"}, price=config.price)
        else:
            model = session.backend_model(RewardBackend(config), [], {"role": "reward"})
        return cls(model)

    @property
    def generator_id(self) -> str:
        return self.model.generator_id

    def score(self, items: list[dict[str, str]]) -> list[Judgement]:
        prompts = [
            (
                [
                    {"role": "user", "content": item["instruction"]},
                    {"role": "assistant", "content": item["response"]},
                ],
                0,
            )
            for item in items
        ]
        calls = self.model.complete_many(prompts, REWARD_SAMPLING)
        return [Judgement(float(call.text), call) for call in calls]
