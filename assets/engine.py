"""Where the filtered and decontaminated stages run their steps: in this process, or on Spark
(`execution: {engine: spark}`, the cluster of the recipe's `spark` section). Both engines make
the same decisions and keep the same rows; only where the work happens changes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import polars as pl
from pydantic import Field

from assets.spark_session import SparkConfig
from assets.steps import Step
from assets.stream import StageOutput, run_steps
from warehouse.settings import Strict


class ExecutionConfig(Strict):
    """The engine of the filtered and decontaminated stages."""

    engine: Literal["local", "spark"] = Field(
        default="local",
        description="local: in this process; spark: row steps and exact dedup on the `spark` "
        "section's master, the other steps in this process.",
    )
    chunk_rows: int = Field(
        default=20_000,
        gt=0,
        description="Rows per Spark task: a version is cut into chunks of this many rows.",
    )


def run_stage(
    rows: pl.DataFrame,
    steps: Sequence[Step],
    stage: str,
    execution: ExecutionConfig,
    spark: SparkConfig,
) -> StageOutput:
    """`run_steps` on the recipe's engine."""
    if execution.engine == "spark":
        # pyspark (and a JVM) only when a recipe asks for Spark.
        from assets.spark_steps import run_steps_on_spark

        return run_steps_on_spark(rows, steps, stage, spark, execution.chunk_rows)
    return run_steps(rows, steps, stage)
