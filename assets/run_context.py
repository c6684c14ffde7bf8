"""What a run gives the steps it builds: never recipe sections, only what the run provides."""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from assets.models.context import ModelContext
from assets.spark_session import SparkConfig


@dataclass(frozen=True)
class RunContext:
    """The model context (warehouse, call log, run id) for steps that call models or read the
    embedding cache, the benchmark items detectors compare rows with, and where Spark runs."""

    ctx: ModelContext | None = None
    benchmarks: pl.DataFrame | None = None
    spark: SparkConfig = field(default_factory=SparkConfig)

    def context(self, step: str) -> ModelContext:
        if self.ctx is None:
            raise ValueError(f"{step} needs the run's context (warehouse, call log)")
        return self.ctx

    def benchmark_items(self) -> pl.DataFrame:
        if self.benchmarks is None:
            raise ValueError("decontamination detectors need the benchmark items")
        return self.benchmarks
