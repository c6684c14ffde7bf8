"""An LLM judge of (row, nearest benchmark item) pairs, as in the LMSYS LLM decontaminator
(Yang et al., 2023): the model is asked whether the two are the same problem rephrased.

Any generator backend works; every call goes through the call log (cached, replayable), and
the judge is registered as a generator so its calls and verdicts trace back to model, template
and sampling parameters.
"""

from __future__ import annotations

import polars as pl
from pydantic import Field

from assets.models.context import ModelContext
from assets.models.prompt_templates import load_template
from assets.models.session import ModelSession
from assets.recipe.generators import GeneratorConfig, LocalModel, Sampling
from warehouse.lineage import register_generators
from warehouse.settings import Strict


class JudgeConfig(Strict):
    """An LLM asked whether a row and its nearest benchmark item are the same question
    rephrased (as in the LMSYS LLM decontaminator); it sees only pairs whose cosine reaches
    `candidate_threshold`."""

    generator: GeneratorConfig = LocalModel()
    candidate_threshold: float = Field(default=0.5, gt=0.0, le=1.0)
    template: str = "decontamination_judge"
    sampling: Sampling = Sampling(temperature=0.0, max_tokens=8)


# Keeps a pair inside a small model's context window; the start of a problem states it.
MAX_PAIR_TEXT_CHARS = 1_500
VERDICT_SCHEMA = {"row_id": pl.String, "judge_verdict": pl.String, "judge_call_id": pl.String}


def parse_verdict(output: str) -> str:
    """`yes`, `no`, or `unclear` when the answer starts with neither."""
    words = output.strip().lower().lstrip("*\"'`").split()
    first = words[0].strip(".,:;!*\"'`") if words else ""
    return first if first in ("yes", "no") else "unclear"


class Judge:
    def __init__(self, config: JudgeConfig):
        self.config = config
        self.template = load_template(config.template)
        self.calls = 0
        self.cache_hits = 0

    def judge(self, pairs: pl.DataFrame, ctx: ModelContext) -> pl.DataFrame:
        """Verdicts for `pairs` (`row_id`, `content`, `item_text`), with the call that gave each."""
        if pairs.is_empty():
            return pl.DataFrame(schema=VERDICT_SCHEMA)
        session = ModelSession(ctx)
        model = session.model(
            self.config.generator,
            [self.template],
            {"sampling": self.config.sampling.model_dump(), "role": "judge"},
        )
        register_generators(ctx.wh, session.generators)
        prompts = [
            (
                self.template.render(
                    benchmark_item=item[:MAX_PAIR_TEXT_CHARS].strip(),
                    candidate=text[:MAX_PAIR_TEXT_CHARS].strip(),
                ),
                0,
            )
            for text, item in pairs.select("content", "item_text").iter_rows()
        ]
        results = model.complete_many(prompts, self.config.sampling)
        self.calls += session.new_calls
        self.cache_hits += session.cache_hits
        return pl.DataFrame(
            {
                "row_id": pairs["row_id"],
                "judge_verdict": [parse_verdict(r.text) for r in results],
                "judge_call_id": [r.request_hash for r in results],
            },
            schema=VERDICT_SCHEMA,
        )
