"""Self-instruct's rejection rules for generated instructions (Wang et al. 2023, section 2.2
and its released filter): word-count bounds, tasks a text model cannot do (images, files,
plots...), instructions starting with punctuation or a non-ASCII character, and the prefixes
the authors rejected. Checked on the `instruction` of rows made by the configured methods."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

import polars as pl
from pydantic import Field

from assets.filters.rule_sets import WORDS, Threshold, flag_thresholds
from assets.run_context import RunContext
from assets.steps import RowFilter
from warehouse.settings import Strict

# Tasks a text model cannot do (Wang et al. 2023): the self_instruct method's screen and this
# filter match the same words the same way.
DEFAULT_BLACKLIST = [
    "image", "images", "graph", "graphs", "picture", "pictures", "file", "files", "map",
    "maps", "draw", "plot", "go to", "video", "audio", "music", "flowchart", "diagram",
]  # fmt: skip


def blacklist_regex(words: list[str]) -> str | None:
    """Whole-word, any-case match of any of `words` (multi-word entries match any spacing);
    the same pattern for Python's `re` and Polars."""
    if not words:
        return None
    alternatives = "|".join(r"\s+".join(map(re.escape, w.split())) for w in words)
    return rf"(?i)\b(?:{alternatives})\b"


class SelfInstructRules(Strict):
    """Self-instruct's rejection rules for generated instructions (Wang et al. 2023)."""

    enabled: bool = True
    methods: list[str] = Field(
        default=["self_instruct"], description="Methods whose instructions are checked."
    )
    min_words: int = Field(default=3, ge=0)
    max_words: int = Field(default=150, gt=0)
    blacklist: list[str] = Field(
        default=DEFAULT_BLACKLIST,
        description="Words (whole words, any case, any spacing) naming tasks a text model "
        "cannot do.",
    )
    reject_punctuation_start: bool = True
    reject_non_ascii_start: bool = Field(
        default=True, description="The paper's 'starts with a non-English character'."
    )
    rejected_prefixes: list[str] = ["Write a program"]


@dataclass(frozen=True)
class SelfInstructRejection(RowFilter):
    rules: SelfInstructRules
    name: str = "self_instruct"
    Config: ClassVar[type[Strict]] = SelfInstructRules
    config_key: ClassVar[str] = "self_instruct"

    @classmethod
    def from_config(cls, config: SelfInstructRules, run: RunContext) -> list[SelfInstructRejection]:
        return [cls(config)] if config.enabled else []

    def flag(self, rows: pl.DataFrame) -> pl.DataFrame:
        r = self.rules
        texts = rows.filter(
            (pl.col("kind") == "instruction") & pl.col("method").is_in(r.methods)
        ).select(
            "row_id",
            pl.lit("instruction").alias("field"),
            pl.col("instruction").fill_null("").str.strip_chars().alias("text"),
            pl.lit(False).alias("is_document"),
        )
        n_words = pl.col("text").str.count_matches(WORDS)
        checks = [
            Threshold("word_count", n_words, r.min_words, "min"),
            Threshold("word_count", n_words, r.max_words, "max"),
        ]
        if pattern := blacklist_regex(r.blacklist):
            checks.append(
                Threshold(
                    "blacklisted_word", pl.col("text").str.count_matches(pattern), None, "forbidden"
                )
            )
        if r.reject_punctuation_start:
            checks.append(
                Threshold(
                    "punctuation_start",
                    pl.col("text").str.contains(r"^[\p{P}\p{S}]").cast(pl.Int32),
                    None,
                    "forbidden",
                )
            )
        if r.reject_non_ascii_start:
            checks.append(
                Threshold(
                    "non_ascii_start",
                    pl.col("text").str.contains(r"^[^\x00-\x7F]").cast(pl.Int32),
                    None,
                    "forbidden",
                )
            )
        if r.rejected_prefixes:
            checks.append(
                Threshold(
                    "rejected_prefix",
                    pl.any_horizontal(
                        [pl.col("text").str.starts_with(p) for p in r.rejected_prefixes]
                    ).cast(pl.Int32),
                    None,
                    "forbidden",
                )
            )
        return flag_thresholds(texts, self.name, checks, None)
