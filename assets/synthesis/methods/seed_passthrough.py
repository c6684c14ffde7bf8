"""Seed instruction/response pairs and seed conversations carried into the synthesized corpus
as they are."""

from __future__ import annotations

from typing import ClassVar, Literal

import polars as pl

from assets.synthesis.context import MethodOutput, SynthesisContext
from warehouse.settings import Strict


class SeedPassthrough(Strict):
    """Carry the seed instruction/response pairs and conversations into the synthesized corpus
    unchanged."""

    method: Literal["seed_passthrough"]
    task_types: list[str] | None = None


class SeedPassthroughMethod:
    name = "seed_passthrough"
    Config = SeedPassthrough
    # Each seed row's output depends on that row alone: the stage may stream the seeds.
    row_wise: ClassVar[bool] = True

    def __init__(self, config: SeedPassthrough):
        self.config = config

    def run(self, seeds: pl.DataFrame, ctx: SynthesisContext) -> MethodOutput:
        # Seed conversations (imported chats) are carried as they are too.
        chosen = seeds.filter(
            ((pl.col("kind") == "instruction") & pl.col("response").is_not_null())
            | (pl.col("kind") == "conversation")
        )
        if self.config.task_types is not None:
            chosen = chosen.filter(pl.col("task_type").is_in(self.config.task_types))
        # Same content and kind as the seed row, so the same row_id: the seed's own reader
        # generator stays its generator.
        rows = chosen.with_columns(
            pl.concat_list("row_id").alias("seed_ids"),
            pl.lit([], dtype=pl.List(pl.String)).alias("parent_ids"),
            pl.lit(self.name).alias("method"),
            pl.lit(ctx.run_id).alias("run_id"),
            pl.lit(ctx.created_at).alias("created_at"),
        )
        return MethodOutput(rows=rows)
