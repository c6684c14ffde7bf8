"""A decontamination detector (`decontamination: {keyword: {words: [...]}}`): fires on rows
that name a listed word; the verdict rule names it `keyword`, its evidence is the word."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import polars as pl

from assets.filters.text import body
from assets.run_context import RunContext
from assets.steps import RowStep, StepOutput
from warehouse.settings import Strict


class KeywordConfig(Strict):
    enabled: bool = False
    words: list[str] = []


@dataclass(frozen=True)
class KeywordDetector(RowStep):
    words: tuple[str, ...]
    name: str = "keyword"
    Config: ClassVar[type[Strict]] = KeywordConfig
    config_key: ClassVar[str] = "keyword"
    # What it adds to each row: the word found (`kw_word`) and whether it fires (`keyword`).
    columns: ClassVar[dict[str, pl.DataType]] = {"kw_word": pl.String(), "keyword": pl.Boolean()}

    @classmethod
    def from_config(cls, config: KeywordConfig, run: RunContext) -> list[KeywordDetector]:
        return [cls(tuple(config.words))] if config.enabled else []

    def apply(self, rows: pl.DataFrame) -> StepOutput:
        text = body().str.to_lowercase()
        found = pl.coalesce(
            [
                pl.when(text.str.contains(w.lower(), literal=True)).then(pl.lit(w))
                for w in self.words
            ]
            or [pl.lit(None, pl.String)]
        )
        annotated = rows.with_columns(found.cast(pl.String).alias("kw_word"))
        return StepOutput(annotated.with_columns(pl.col("kw_word").is_not_null().alias("keyword")))
