"""A score (`filters: {word_count: {enabled: true}}`): each row's response length in words, as a
`word_count` column; rows under `min_words` are dropped."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import polars as pl

from assets.run_context import RunContext
from assets.steps import RowStep, StepOutput, apply_flags
from warehouse.settings import Strict


class WordCountConfig(Strict):
    enabled: bool = False
    min_words: int = 0


@dataclass(frozen=True)
class WordCount(RowStep):
    min_words: int
    name: str = "word_count"
    Config: ClassVar[type[Strict]] = WordCountConfig
    config_key: ClassVar[str] = "word_count"

    @classmethod
    def from_config(cls, config: WordCountConfig, run: RunContext) -> list[WordCount]:
        return [cls(config.min_words)] if config.enabled else []

    def apply(self, rows: pl.DataFrame) -> StepOutput:
        words = pl.col("response").fill_null("").str.extract_all(r"\w+").list.len()
        scored = rows.with_columns(words.cast(pl.Int64).alias("word_count"))
        short = scored.filter(pl.col("word_count") < self.min_words).select(
            "row_id",
            pl.lit("word_count").alias("rule"),
            pl.col("word_count").cast(pl.Float64).alias("score"),
            pl.struct("word_count").struct.json_encode().alias("evidence"),
        )
        return apply_flags(scored, short)
