"""Semantic deduplication in the manner of SemDeDup (Abbas et al., 2023).

Rows are embedded (all-MiniLM-L6-v2, cached in the warehouse per text), the normalized vectors
are clustered with spherical k-means, and pairs are compared only inside a cluster: a row whose
cosine to an earlier *kept* row of its cluster reaches the threshold is dropped. Rows are
visited in row_id order, so the representative of a group is its smallest row_id (the same
choice exact dedup makes), whatever order the rows arrive in. Like SemDeDup, duplicates that
k-means puts in different clusters are not compared; more clusters trade recall for speed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import polars as pl
from pydantic import Field

from assets.embeddings import Embedder, nearest
from assets.filters.text import body
from assets.run_context import RunContext
from assets.steps import CorpusDecision, CorpusFilter, CorpusState
from warehouse.connection import Warehouse
from warehouse.settings import Strict

if TYPE_CHECKING:
    from assets.spill import Spill


class SemanticDedupConfig(Strict):
    """SemDeDup (Abbas et al., 2023): k-means over normalized sentence embeddings, then rows
    whose cosine to an earlier kept row of the same cluster reaches `threshold` are dropped.
    Off by default: it needs the embedding model and it drops rows by a learned similarity."""

    enabled: bool = False
    threshold: float = Field(
        default=0.95, gt=0.0, le=1.0, description="Cosine at or above which a row is a duplicate."
    )
    clusters: int | None = Field(
        default=None, gt=0, description="k-means clusters; default ceil(sqrt(rows))."
    )
    iterations: int = Field(default=20, gt=0, le=1_000)
    random_seed: int = 0
    exclude_methods: list[str] = Field(
        default=["programmatic_math"],
        description="Methods whose rows are not compared: programmatic problems differ by their "
        "numbers, which sentence embeddings barely see (cosine > 0.95 between distinct problems).",
    )
    model: str = Field(
        default="all-MiniLM-L6-v2",
        description="The bundled all-MiniLM-L6-v2 or a local sentence-transformers folder.",
    )


_BLOCK = 2048


def _nearest_centroid(vectors: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    """Index of the most similar centroid per vector."""
    return nearest(vectors, centroids)[0]


def _kmeans_plus_plus(vectors: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """k-means++ seeding on cosine distance: spread-out first centroids, so a tight group of
    paraphrases is not split by two random seeds landing inside it."""
    # Seeding from a sample bounds its cost (k passes) on large corpora.
    sample = vectors[rng.choice(len(vectors), size=min(len(vectors), 20 * k), replace=False)]
    chosen = [int(rng.integers(len(sample)))]
    distance = 1.0 - sample @ sample[chosen[0]]
    for _ in range(1, k):
        weights = np.clip(distance, 0.0, None) ** 2
        total = weights.sum()
        pick = int(rng.choice(len(sample), p=weights / total)) if total > 0 else len(chosen)
        chosen.append(pick)
        distance = np.minimum(distance, 1.0 - sample @ sample[pick])
    return sample[chosen].copy()


def _cluster_sums(vectors: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    """Per-cluster vector sums by sorting and `reduceat` (np.add.at is unbuffered and slow)."""
    order = np.argsort(labels, kind="stable")
    present, starts = np.unique(labels[order], return_index=True)
    sums = np.zeros((k, vectors.shape[1]), dtype=vectors.dtype)
    sums[present] = np.add.reduceat(vectors[order], starts, axis=0)
    return sums


def spherical_kmeans(vectors: np.ndarray, k: int, iterations: int, seed: int) -> np.ndarray:
    """Cluster labels of unit vectors by cosine k-means; deterministic for a seed and order."""
    n = len(vectors)
    k = max(1, min(k, n))
    rng = np.random.default_rng(seed)
    centroids = _kmeans_plus_plus(vectors, k, rng)
    labels = _nearest_centroid(vectors, centroids)
    for _ in range(iterations):
        sums = _cluster_sums(vectors, labels, k)
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        empty = norms[:, 0] == 0
        # An empty cluster keeps its old centroid rather than collapsing to zero.
        centroids = np.where(empty[:, None], centroids, sums / np.where(norms == 0, 1, norms))
        updated = _nearest_centroid(vectors, centroids)
        if np.array_equal(updated, labels):
            break
        labels = updated
    return labels


def greedy_duplicates(
    vectors: np.ndarray, threshold: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For vectors in priority order: (dropped mask, index of the kept row each dropped row
    matched, its cosine). Only kept rows claim later rows, so a representative is never
    itself a dropped row."""
    m = len(vectors)
    dropped = np.zeros(m, dtype=bool)
    representative = np.full(m, -1, dtype=np.int64)
    similarity = np.zeros(m, dtype=np.float32)
    for start in range(0, m, _BLOCK):
        block = vectors[start : start + _BLOCK] @ vectors.T
        for offset, sims in enumerate(block):
            i = start + offset
            if dropped[i]:
                continue
            claimed = np.flatnonzero(sims[i + 1 :] >= threshold) + i + 1
            claimed = claimed[~dropped[claimed]]
            dropped[claimed] = True
            representative[claimed] = i
            similarity[claimed] = sims[claimed]
    return dropped, representative, similarity


@dataclass
class SemanticDedup(CorpusFilter):
    """Drops rows whose embedding is within `threshold` cosine of a kept row in its cluster;
    its statistics (`semantic_dedup`) count clusters and embeddings encoded or cached."""

    wh: Warehouse
    config: SemanticDedupConfig
    name: str = "semantic_duplicate"
    clusters_used: int = field(default=0, init=False)
    encoded: int = field(default=0, init=False)
    cache_hits: int = field(default=0, init=False)
    state: ClassVar[CorpusState] = CorpusState(
        {"row_id": pl.String(), "embedding": pl.List(pl.Float32())},
        "the unit-normalized sentence embedding of the row's text (cached in the warehouse)",
    )
    streamed: ClassVar[bool] = True
    Config: ClassVar[type[Strict]] = SemanticDedupConfig
    config_key: ClassVar[str] = "semantic"

    @classmethod
    def from_config(cls, config: SemanticDedupConfig, run: RunContext) -> list[SemanticDedup]:
        if not config.enabled:
            return []
        return [cls(run.context("semantic dedup (its embedding cache)").wh, config)]

    def stats(self) -> dict[str, Any]:
        return {
            "semantic_dedup": {
                "clusters": self.clusters_used,
                "encoded": self.encoded,
                "embedding_cache_hits": self.cache_hits,
            }
        }

    def compared(self, batch: pl.DataFrame) -> pl.DataFrame:
        """The rows of `batch` that are compared (`row_id`, their text as `content`)."""
        return batch.filter(
            ~pl.col("method").is_in(self.config.exclude_methods).fill_null(False)
        ).select("row_id", body().alias("content"))

    def observe(self, batch: pl.DataFrame, spill: Spill) -> None:
        compared = self.compared(batch)
        if compared.is_empty():
            return
        embedder = Embedder(self.config.model)
        vectors = embedder.embed(self.wh, compared["content"].to_list())
        self.encoded += embedder.encoded
        self.cache_hits += embedder.cache_hits
        # Embeddings go to a memory-mapped file; DuckDB keeps only row ids and positions.
        stored = spill.array("semantic_embeddings", vectors.shape[1], np.float32)
        first = stored.rows
        stored.append(vectors)
        spill.append_state(
            "semantic_rows",
            compared.select("row_id").with_columns(
                pl.int_range(first, first + compared.height, dtype=pl.Int64).alias("idx")
            ),
        )

    def decide(self, spill: Spill) -> CorpusDecision:
        if not spill.has_state("semantic_rows"):
            return CorpusDecision()
        ordered = spill.con.sql("SELECT row_id, idx FROM semantic_rows ORDER BY row_id").pl()
        if ordered.height < 2:
            return CorpusDecision()
        vectors = np.asarray(spill.stored_array("semantic_embeddings")[ordered["idx"].to_numpy()])
        return self.decide_vectors(ordered["row_id"], vectors)

    def decide_vectors(self, row_ids: pl.Series, vectors: np.ndarray) -> CorpusDecision:
        """The decision over the compared rows' vectors, given in `row_id` order: clusters,
        then the greedy pass inside each (the Spark engine calls it with vectors encoded on
        its executors)."""
        n = len(row_ids)
        if n < 2:
            return CorpusDecision()
        k = self.config.clusters or math.ceil(math.sqrt(n))
        labels = spherical_kmeans(vectors, k, self.config.iterations, self.config.random_seed)
        self.clusters_used = int(len(np.unique(labels)))
        row_ids = row_ids.to_numpy()
        found: list[pl.DataFrame] = []
        for cluster in np.unique(labels):
            members = np.flatnonzero(labels == cluster)  # ascending, so row_id order
            if len(members) < 2:
                continue
            dropped, rep, sim = greedy_duplicates(vectors[members], self.config.threshold)
            if dropped.any():
                found.append(
                    pl.DataFrame(
                        {
                            "row_id": row_ids[members[dropped]],
                            "duplicate_of": row_ids[members[rep[dropped]]],
                            "similarity": sim[dropped].astype(np.float64),
                            "cluster": np.full(int(dropped.sum()), int(cluster)),
                        }
                    )
                )
        if not found:
            return CorpusDecision()
        return CorpusDecision(self._flags(pl.concat(found)))

    def _flags(self, found: pl.DataFrame) -> pl.DataFrame:
        return found.select(
            "row_id",
            pl.lit(self.name).alias("rule"),
            pl.col("similarity").round(6).alias("score"),
            pl.struct(
                method=pl.lit("semantic_dedup"),
                duplicate_of=pl.col("duplicate_of"),
                cluster=pl.col("cluster"),
                similarity=pl.col("similarity").round(6),
                threshold=pl.lit(self.config.threshold),
                model=pl.lit(self.config.model),
            )
            .struct.json_encode()
            .alias("evidence"),
        )
