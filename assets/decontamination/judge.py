"""An LLM judge of (row, nearest benchmark item) pairs, as in the LMSYS LLM decontaminator
(Yang et al., 2023): the model is asked whether the two are the same problem rephrased.

Any generator backend works; every call goes through the call log (cached, replayable), and
the judge is registered as a generator so its calls and verdicts trace back to model, template
and sampling parameters. Its output is held to `VERDICT_OUTPUT`, `{"same_problem": "yes"|"no"}`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import polars as pl
from pydantic import Field

from assets.decontamination.embedding import EmbeddingNearest
from assets.decontamination.verdict import rule_expression
from assets.filters.text import body
from assets.models.context import ModelContext
from assets.models.generators import GeneratorConfig, LocalModel, Sampling
from assets.models.json_schema import JsonSchema, SchemaMismatch
from assets.models.prompt_templates import load_template
from assets.models.session import ModelSession
from assets.registry import DETECTORS
from assets.run_context import RunContext
from assets.steps import RowStep, StepOutput, merge_stats
from warehouse.lineage import register_generators
from warehouse.settings import Strict


class JudgeConfig(Strict):
    """An LLM asked whether a row and its nearest benchmark item are the same question
    rephrased (as in the LMSYS LLM decontaminator); it sees only pairs whose cosine reaches
    `candidate_threshold`. Off unless the recipe writes `decontamination.judge`."""

    enabled: bool = False
    generator: GeneratorConfig = LocalModel()
    candidate_threshold: float = Field(default=0.5, gt=0.0, le=1.0)
    template: str = "decontamination_judge"
    sampling: Sampling = Sampling(temperature=0.0, max_tokens=16)
    verdict_rule: str | None = Field(
        default=None,
        exclude=True,
        description="Set from the section's verdict rule (`decontamination.rule`): the judge "
        "is asked only where its answer changes the verdict.",
    )


# Keeps a pair inside a small model's context window; the start of a problem states it.
MAX_PAIR_TEXT_CHARS = 1_500
VERDICT_SCHEMA = {"row_id": pl.String, "judge_verdict": pl.String, "judge_call_id": pl.String}


VERDICT_OUTPUT = JsonSchema(
    "same_problem_verdict",
    {
        "type": "object",
        "properties": {"same_problem": {"enum": ["yes", "no"]}},
        "required": ["same_problem"],
        "additionalProperties": False,
    },
)


def parse_verdict(output: str) -> str:
    """`yes`, `no`, or `unclear` when the output does not match `VERDICT_OUTPUT` (cut off)."""
    try:
        return VERDICT_OUTPUT.parse(output)["same_problem"]
    except SchemaMismatch:
        return "unclear"


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
        session = ModelSession(ctx, label="decontamination judge")
        model = session.model(
            self.config.generator,
            [self.template],
            {"sampling": self.config.sampling.model_dump(), "role": "judge"},
            VERDICT_OUTPUT,
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


@dataclass
class PairJudge(RowStep):
    """Annotates rows whose verdict the judge decides (the other detectors' signals leave it
    open) and whose nearest item reaches `candidate_threshold` with `judge_verdict`, the call
    that gave it (`judge_call_id`), and `judge`, whether the judge said yes. Runs after the
    other detectors; its statistics count the pairs judged and new model calls."""

    benchmarks: pl.DataFrame
    config: JudgeConfig
    rule: str
    ctx: ModelContext
    name: str = "judge"
    # The nearest items the judge reads, found here when the embedding detector is off.
    nearest: EmbeddingNearest | None = None
    Config: ClassVar[type[Strict]] = JudgeConfig
    config_key: ClassVar[str] = "judge"
    columns: ClassVar[dict[str, pl.DataType]] = {
        **{name: dtype for name, dtype in VERDICT_SCHEMA.items() if name != "row_id"},
        "judge": pl.Boolean(),
    }
    _totals: dict[str, int] = field(default_factory=dict, init=False)

    @classmethod
    def from_config(cls, config: JudgeConfig, run: RunContext) -> list[PairJudge]:
        if not config.enabled:
            return []
        if config.verdict_rule is None:
            raise ValueError("the decontamination judge needs the section's verdict rule")
        ctx = run.context("the decontamination judge")
        items = run.benchmark_items()
        # Without a detector config: every row's whole text, nearest item only, never firing.
        nearest = EmbeddingNearest(items, ctx.wh, None)
        return [cls(items, config, config.verdict_rule, ctx, nearest=nearest)]

    def apply(self, rows: pl.DataFrame) -> StepOutput:
        if "similarity" not in rows.columns and self.nearest is not None:
            rows = self.nearest.apply(rows).rows
        signals = {
            name: pl.col(name) if name in rows.columns else pl.lit(False)
            for name in DETECTORS.names()
            if name != self.name
        }
        # The judge is worth a call only where its answer decides the verdict.
        decides = rule_expression(self.rule, {**signals, self.name: pl.lit(True)}) != (
            rule_expression(self.rule, {**signals, self.name: pl.lit(False)})
        )
        items = self.benchmarks.select(
            pl.col("benchmark").alias("nn_benchmark"),
            pl.col("item_id").alias("nn_item_id"),
            pl.col("text").alias("item_text"),
        ).unique(["nn_benchmark", "nn_item_id"], keep="first", maintain_order=True)
        pairs = (
            rows.filter(decides & (pl.col("similarity") >= self.config.candidate_threshold))
            .select("row_id", body().alias("content"), "nn_benchmark", "nn_item_id")
            .join(items, on=["nn_benchmark", "nn_item_id"], how="left")
            .sort("row_id")
        )
        judge = Judge(self.config)
        verdicts = judge.judge(pairs, self.ctx)
        self._totals = merge_stats(
            self._totals, {"judge_pairs": pairs.height, "judge_new_calls": judge.calls}
        )
        annotated = rows.join(verdicts, on="row_id", how="left", maintain_order="left")
        return StepOutput(annotated.with_columns((pl.col("judge_verdict") == "yes").alias("judge")))

    def stats(self) -> dict[str, Any]:
        return dict(self._totals)
