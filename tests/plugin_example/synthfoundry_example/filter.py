"""A filter: drops instruction rows that contain a word (`filters.steps: [{step: banned_word,
word: ...}]`), with a decision like a built-in rule."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

import polars as pl

from assets.steps import RowFilter
from warehouse.settings import Strict


class BannedWordConfig(Strict):
    step: Literal["banned_word"]
    word: str


@dataclass(frozen=True)
class BannedWord(RowFilter):
    """Drops instructions that contain a word."""

    config: BannedWordConfig
    name: ClassVar[str] = "banned_word"
    Config: ClassVar[type[BannedWordConfig]] = BannedWordConfig

    def flag(self, rows: pl.DataFrame) -> pl.DataFrame:
        word = self.config.word
        return rows.filter(pl.col("instruction").str.contains(word, literal=True)).select(
            "row_id",
            pl.lit(self.name).alias("rule"),
            pl.lit(1.0).alias("score"),
            pl.struct(word=pl.lit(word)).struct.json_encode().alias("evidence"),
        )
