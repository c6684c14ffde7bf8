"""A dedup step (`dedup: {prefix: {enabled: true, chars: 24}}`): rows whose instructions begin
alike are duplicates; the smallest row_id of each group stays."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import polars as pl
from pydantic import Field

from assets.run_context import RunContext
from assets.steps import CorpusFilter, CorpusState
from warehouse.settings import Strict


class PrefixDedupConfig(Strict):
    enabled: bool = False
    chars: int = Field(default=24, gt=0, description="Characters of the instruction compared.")


@dataclass(frozen=True)
class PrefixDedup(CorpusFilter):
    chars: int
    name: str = "prefix_duplicate"
    Config: ClassVar[type[Strict]] = PrefixDedupConfig
    config_key: ClassVar[str] = "prefix"
    state: ClassVar[CorpusState] = CorpusState(
        {"row_id": pl.String(), "prefix": pl.String()}, "the instruction's first characters"
    )

    @classmethod
    def from_config(cls, config: PrefixDedupConfig, run: RunContext) -> list[PrefixDedup]:
        return [cls(config.chars)] if config.enabled else []

    def flag(self, rows: pl.DataFrame) -> pl.DataFrame:
        keyed = rows.select(
            "row_id", pl.col("instruction").fill_null("").str.slice(0, self.chars).alias("prefix")
        )
        kept = keyed.group_by("prefix").agg(pl.col("row_id").min().alias("duplicate_of"))
        return (
            keyed.join(kept, on="prefix")
            .filter(pl.col("row_id") != pl.col("duplicate_of"))
            .select(
                "row_id",
                pl.lit(self.name).alias("rule"),
                pl.lit(1.0).alias("score"),
                pl.struct("duplicate_of", "prefix").struct.json_encode().alias("evidence"),
            )
        )
