"""Judge scores: a model grades kept rows per rubric criterion; scores become row columns
(`judge_<criterion>`, their mean `judge_score`) and the recipe's floors drop rows.

It runs after every other filter so the paid calls go to rows that are kept otherwise. The
judge is a generator like any other: its template and model are in `generators`, each row
names it in `judge_generator_id` and its calls in `judge_call_ids`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, ClassVar

import polars as pl
from pydantic import Field, field_validator, model_validator

from assets.models.context import ModelContext
from assets.models.generators import GeneratorConfig, LocalModel, Sampling
from assets.models.rubric_judge import RubricJudge
from assets.models.session import ModelSession
from assets.run_context import RunContext
from assets.steps import (
    STEP_DECISION_SCHEMA,
    RowStep,
    StepOutput,
    merge_stats,
    no_decisions,
)
from warehouse.lineage import register_generators
from warehouse.settings import Strict

JUDGE_CRITERIA = {
    "helpfulness": "does it do what the instruction asks, completely and usefully?",
    "correctness": "is everything it states or computes true and accurate?",
    "clarity": "is it well organized and easy to follow?",
    # What rules cannot see in a model's answer.
    "consistency": "does it never contradict itself (no claim and its opposite)?",
    "instruction_following": "does it follow every instruction and constraint it was given?",
}


class Criterion(Strict):
    """A criterion of the recipe's own: its column is `judge_<name>`."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")
    question: str = Field(min_length=8, description="What the judge is asked, as a question.")


def _criterion(entry: str | Criterion) -> Criterion:
    if isinstance(entry, Criterion):
        return entry
    if entry not in JUDGE_CRITERIA:
        raise ValueError(
            f"unknown judge criterion {entry!r}: built-in ones are {', '.join(JUDGE_CRITERIA)}; "
            "write your own as {name: ..., question: ...}"
        )
    return Criterion(name=entry, question=JUDGE_CRITERIA[entry])


class JudgeScoring(Strict):
    """A model grades each kept row per criterion on a 1..scale rubric (one call per row and
    criterion, cached): columns `judge_<criterion>` and their mean `judge_score`. Off by
    default: it costs a model call per row and criterion."""

    enabled: bool = False
    generator: GeneratorConfig = LocalModel()
    template: str = "quality_judge"
    criteria: list[str | Criterion] = Field(
        default=["helpfulness", "correctness", "clarity"],
        min_length=1,
        description="Built-in criteria by name (helpfulness, correctness, clarity, consistency, "
        "instruction_following) or your own as {name, question}.",
    )
    scale: int = Field(default=5, ge=2, le=10)
    sampling: Sampling = Sampling(temperature=0.0, max_tokens=8)
    kinds: list[str] = Field(
        default=["instruction", "preference"], description="Row kinds graded; others unscored."
    )
    min_score: float | None = Field(
        default=None, description="Rows whose mean judge_score is below this are dropped."
    )
    min_criterion: dict[str, float] = Field(
        default={}, description="criterion -> floor on that criterion's score."
    )
    drop_unscored: bool = Field(
        default=False,
        description="Drop graded rows whose judge answered with no parseable score.",
    )

    @field_validator("criteria")
    @classmethod
    def _known_and_distinct(cls, criteria: list[str | Criterion]) -> list[str | Criterion]:
        names = [_criterion(entry).name for entry in criteria]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"judge criteria named twice: {', '.join(repeated)}")
        return criteria

    @model_validator(mode="after")
    def _floors_name_criteria(self) -> JudgeScoring:
        unknown = sorted(set(self.min_criterion) - set(self.criterion_names))
        if unknown:
            raise ValueError(f"min_criterion names criteria not judged: {', '.join(unknown)}")
        return self

    @property
    def rubric(self) -> list[Criterion]:
        return [_criterion(entry) for entry in self.criteria]

    @property
    def criterion_names(self) -> list[str]:
        return [c.name for c in self.rubric]


def _grading_items(rows: pl.DataFrame) -> pl.DataFrame:
    """What the judge reads: the instruction with its input, and the response (or text)."""
    return rows.select(
        "row_id",
        pl.concat_str([pl.col("instruction"), pl.col("input")], separator="\n\n", ignore_nulls=True)
        .str.strip_chars()
        .alias("instruction"),
        pl.coalesce(pl.col("response"), pl.col("text"), pl.lit("")).alias("response"),
    )


def _floor_decisions(scores: pl.DataFrame, config: JudgeScoring) -> pl.DataFrame:
    """One decision per row below a floor: the first failed floor (mean, then criteria)."""
    checks: list[tuple[str, pl.Expr, pl.Expr, float]] = []
    if config.min_score is not None:
        checks.append(
            (
                "judge.min_score",
                pl.col("judge_score"),
                pl.col("judge_score") < config.min_score,
                config.min_score,
            )
        )
    for criterion, floor in config.min_criterion.items():
        column = pl.col(f"judge_{criterion}")
        checks.append((f"judge.min_{criterion}", column, column < floor, floor))
    if config.drop_unscored:
        checks.append(
            ("judge.unscored", pl.lit(None, pl.Float64), pl.col("judge_score").is_null(), 0.0)
        )
    if not checks:
        return no_decisions()
    rule = pl.coalesce([pl.when(failed).then(pl.lit(name)) for name, _, failed, _ in checks])
    score = pl.coalesce([pl.when(failed).then(value) for _, value, failed, _ in checks])
    threshold = pl.coalesce([pl.when(failed).then(pl.lit(limit)) for _, _, failed, limit in checks])
    criteria = [f"judge_{c}" for c in config.criterion_names]
    flagged = scores.with_columns(
        rule.alias("rule"), score.cast(pl.Float64).alias("score"), threshold.alias("threshold")
    ).filter(pl.col("rule").is_not_null())
    evidence = flagged.select(
        pl.struct(
            pl.struct(criteria).alias("scores"),
            "threshold",
            "judge_generator_id",
            "judge_call_ids",
        )
        .struct.json_encode()
        .alias("evidence")
    )
    return (
        flagged.select("row_id", "rule", "score")
        .with_columns(evidence.to_series(), pl.lit("drop").alias("action"))
        .select(STEP_DECISION_SCHEMA.keys())
        .cast(STEP_DECISION_SCHEMA)
    )


@dataclass
class JudgeScores(RowStep):
    """`rows` with judge columns (null where not graded), minus rows under a floor; its
    statistics (`judge`) count graded rows, drops and model calls."""

    config: JudgeScoring
    ctx: ModelContext
    name: str = "judge"
    Config: ClassVar[type[Strict]] = JudgeScoring
    config_key: ClassVar[str] = "judge"
    _totals: dict[str, Any] = field(default_factory=dict, init=False)

    @classmethod
    def from_config(cls, config: JudgeScoring, run: RunContext) -> list[JudgeScores]:
        return [cls(config, run.context("judge scores"))] if config.enabled else []

    @cached_property
    def session(self) -> ModelSession:
        return ModelSession(self.ctx, label="judge scores")

    @cached_property
    def judge(self) -> RubricJudge:
        config = self.config
        judge = self.session.judge(config.generator, config.template, config.scale, config.sampling)
        register_generators(self.ctx.wh, self.session.generators)
        return judge

    def apply(self, rows: pl.DataFrame) -> StepOutput:
        if rows.is_empty():
            return StepOutput(rows)
        judge, config = self.judge, self.config
        graded = _grading_items(rows.filter(pl.col("kind").is_in(config.kinds)))
        items = graded.select("instruction", "response").to_dicts()
        scores = graded.select("row_id")
        call_ids: list[pl.Series] = []
        for criterion in config.rubric:
            judgements = judge.score(
                [
                    {
                        **item,
                        "criterion": criterion.name.replace("_", " "),
                        "description": criterion.question,
                    }
                    for item in items
                ],
            )
            scores = scores.with_columns(
                pl.Series(
                    f"judge_{criterion.name}", [j.score for j in judgements], dtype=pl.Float64
                )
            )
            call_ids.append(pl.Series([j.call_id for j in judgements], dtype=pl.String))
        criteria = [f"judge_{c}" for c in config.criterion_names]
        scores = scores.with_columns(
            pl.mean_horizontal(criteria).alias("judge_score"),
            pl.lit(judge.generator_id).alias("judge_generator_id"),
            pl.concat_list([s.alias(f"call_{i}") for i, s in enumerate(call_ids)]).alias(
                "judge_call_ids"
            ),
        )
        decisions = _floor_decisions(scores, config)
        judged = rows.join(scores, on="row_id", how="left").join(
            decisions.select("row_id"), on="row_id", how="anti"
        )
        self._totals = merge_stats(
            self._totals,
            {
                "judge_generator_id": judge.generator_id,
                "graded_rows": scores.height,
                "unscored_rows": scores["judge_score"].null_count(),
                "score_sum": scores["judge_score"].sum(),
                "dropped": dict(decisions.group_by("rule").len().iter_rows()),
            },
        )
        return StepOutput(judged, decisions)

    def stats(self) -> dict[str, Any]:
        if not self._totals:
            return {}
        totals = self._totals
        scored = totals["graded_rows"] - totals["unscored_rows"]
        return {
            "judge": {
                "judge_generator_id": totals["judge_generator_id"],
                "graded_rows": totals["graded_rows"],
                "unscored_rows": totals["unscored_rows"],
                "mean_judge_score": totals["score_sum"] / scored if scored else None,
                "dropped": totals["dropped"],
                "new_calls": self.session.new_calls,
                "cached_calls": self.session.cache_hits,
            }
        }
