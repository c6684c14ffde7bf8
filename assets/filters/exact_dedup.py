"""Exact deduplication on aggressively normalized text; the smallest row_id of a group stays."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import polars as pl

from assets.dedup.evidence import duplicate_decisions
from assets.steps import CorpusFilter, CorpusState
from warehouse.rows import hash_ids
from warehouse.settings import Strict

if TYPE_CHECKING:
    from assets.stage_setup import StageSetup


class ExactDedupConfig(Strict):
    """Rows equal after NFKC, case folding, punctuation/symbol removal and whitespace folding."""

    enabled: bool = True


def dedup_key(column: str) -> pl.Expr:
    """NFKC, case folding, punctuation and symbols dropped, whitespace folded."""
    return (
        pl.col(column)
        .fill_null("")
        .str.normalize("NFKC")
        .str.to_lowercase()
        .str.replace_all(r"[\p{P}\p{S}]+", " ")
        .str.replace_all(r"\s+", " ")
        .str.strip_chars()
    )


@dataclass(frozen=True)
class ExactDedup(CorpusFilter):
    """Rows of one kind whose normalized content is equal form a cluster named by the hash of
    that content (`cluster_id`); all but the smallest row_id are dropped."""

    name: str = "exact_duplicate"
    state: ClassVar[CorpusState] = CorpusState(
        {"row_id": pl.String(), "cluster_id": pl.String()},
        "sha256 of the row's kind and normalized content",
    )

    @classmethod
    def configured(cls, setup: StageSetup) -> list[ExactDedup]:
        return [cls()] if setup.dedup.exact.enabled else []

    def flag(self, rows: pl.DataFrame) -> pl.DataFrame:
        keys = rows.select(
            pl.concat_str(
                [
                    pl.col("kind"),
                    *[dedup_key(c) for c in ("instruction", "input", "response", "text")],
                ],
                separator="\x1f",
            )
        ).to_series()
        keyed = rows.select("row_id").with_columns(hash_ids(keys).alias("cluster_id"))
        clustered = keyed.with_columns(
            pl.col("row_id").min().over("cluster_id").alias("duplicate_of"),
            pl.len().over("cluster_id").alias("cluster_size"),
            pl.lit(1.0).alias("similarity"),
        ).filter(pl.col("row_id") != pl.col("duplicate_of"))
        return duplicate_decisions(
            clustered,
            rule=self.name,
            method="exact_dedup",
            similarity_kind="exact",
            params={"normalization": "nfkc+casefold+punctuation+whitespace"},
        )
