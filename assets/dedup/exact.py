"""Exact deduplication on aggressively normalized text; the smallest row_id of a group stays."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import polars as pl

from assets.dedup.evidence import duplicate_decisions
from assets.run_context import RunContext
from assets.steps import CorpusDecision, CorpusFilter, CorpusState
from warehouse.rows import content_keys, hash_ids
from warehouse.settings import Strict

if TYPE_CHECKING:
    from assets.spill import Spill

# Rows sharing a cluster with a smaller row_id, with the cluster's smallest row_id and size.
_DUPLICATES_SQL = """
WITH clusters AS (
    SELECT cluster_id, min(row_id) AS duplicate_of, count(*) AS cluster_size
    FROM exact_dedup GROUP BY cluster_id HAVING count(*) > 1
)
SELECT s.row_id, c.cluster_id, c.duplicate_of, c.cluster_size, 1.0::DOUBLE AS similarity
FROM exact_dedup AS s JOIN clusters AS c USING (cluster_id)
WHERE s.row_id <> c.duplicate_of
ORDER BY s.row_id
"""


class ExactDedupConfig(Strict):
    """Rows equal after NFKC, case folding, punctuation/symbol removal and whitespace folding."""

    enabled: bool = True


def dedup_key(column: str | pl.Expr) -> pl.Expr:
    """NFKC, case folding, punctuation and symbols dropped, whitespace folded."""
    return (
        (pl.col(column) if isinstance(column, str) else column)
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

    Config: ClassVar[type[Strict]] = ExactDedupConfig
    config_key: ClassVar[str] = "exact"

    @classmethod
    def from_config(cls, config: ExactDedupConfig, run: RunContext) -> list[ExactDedup]:
        return [cls()] if config.enabled else []

    streamed: ClassVar[bool] = True

    def keys(self, rows: pl.DataFrame) -> pl.DataFrame:
        """`row_id` and `cluster_id` of each row: it depends on that row alone, so any engine
        can compute it batch by batch."""
        keys = content_keys(rows, dedup_key)
        return rows.select("row_id").with_columns(hash_ids(keys).alias("cluster_id"))

    def observe(self, batch: pl.DataFrame, spill: Spill) -> None:
        spill.append_state("exact_dedup", self.keys(batch))

    def decide(self, spill: Spill) -> CorpusDecision:
        if not spill.has_state("exact_dedup"):
            return CorpusDecision()
        # A GROUP BY in the spill's DuckDB (it spills to disk past its memory limit): only
        # the dropped rows come back.
        return CorpusDecision(self.duplicates(spill.con.sql(_DUPLICATES_SQL).pl()))

    def duplicates(self, clustered: pl.DataFrame) -> pl.DataFrame:
        """Flags of the rows to drop; `clustered` holds them with `cluster_id`, `duplicate_of`
        (the smallest row_id of the cluster) and `cluster_size`."""
        return duplicate_decisions(
            clustered.with_columns(pl.lit(1.0).alias("similarity")),
            rule=self.name,
            method="exact_dedup",
            similarity_kind="exact",
            params={"normalization": "nfkc+casefold+punctuation+whitespace"},
        )

    def flag(self, rows: pl.DataFrame) -> pl.DataFrame:
        clustered = (
            self.keys(rows)
            .with_columns(
                pl.col("row_id").min().over("cluster_id").alias("duplicate_of"),
                pl.len().over("cluster_id").alias("cluster_size"),
            )
            .filter(pl.col("row_id") != pl.col("duplicate_of"))
        )
        return self.duplicates(clustered)
