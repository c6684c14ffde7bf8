"""What the filtered and decontaminated stages build their steps from."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from assets.models.context import ModelContext
from assets.recipe.root import DecontaminationConfig, DedupConfig, FilterConfig, Recipe
from assets.spark_session import SparkConfig


@dataclass(frozen=True)
class StageSetup:
    """The recipe's sections the steps read (defaults when left out), the run's context for
    steps that call models or read the embedding cache, and the benchmark items detectors
    compare rows with."""

    filters: FilterConfig = FilterConfig()
    dedup: DedupConfig = DedupConfig()
    decontamination: DecontaminationConfig = DecontaminationConfig()
    spark: SparkConfig = SparkConfig()
    ctx: ModelContext | None = None
    benchmarks: pl.DataFrame | None = None

    @classmethod
    def of(
        cls, recipe: Recipe, ctx: ModelContext, benchmarks: pl.DataFrame | None = None
    ) -> StageSetup:
        return cls(
            recipe.filters, recipe.dedup, recipe.decontamination, recipe.spark, ctx, benchmarks
        )

    def context(self, step: str) -> ModelContext:
        if self.ctx is None:
            raise ValueError(f"{step} needs the run's context (warehouse, call log)")
        return self.ctx

    def benchmark_items(self) -> pl.DataFrame:
        if self.benchmarks is None:
            raise ValueError("decontamination detectors need the benchmark items")
        return self.benchmarks
