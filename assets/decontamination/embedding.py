"""Nearest benchmark item of every row by cosine of sentence embeddings.

Each side is compared through its views (the text, and for Python code its problem statement:
`views.py`); a row's similarity to an item is the best cosine over view pairs.

Rows and benchmark items are embedded through the warehouse cache (a benchmark's items are
encoded once per content, a row once across versions); the top-1 item per row comes from
blocked matrix products, so memory stays at one block of rows times the benchmark size.

With `candidates` set the detector is a cascade: a character n-gram TF-IDF score
over every row (`cascade.py`) nominates candidates, only the candidates' problem part
(instruction, input, code blocks: `views.problem_part`) is embedded, and what fires is the
cosine with an item's docstring plus the share of it the row restates (`coverage.py`), not one
cosine. Rows that are not candidates get no similarity, so the embedding (and the judge, which
reads it) never fires on them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

import numpy as np
import polars as pl
from pydantic import Field, model_serializer

from assets.decontamination.cascade import CandidateFilter, candidate_scores
from assets.decontamination.coverage import (
    RESCORED_SCHEMA,
    CoverageItems,
    TokenCoverage,
    coverage_items,
    coverage_nearest,
)
from assets.decontamination.lexical import fitted_items
from assets.decontamination.views import problem_part, with_views
from assets.embeddings import DEFAULT_EMBEDDING_MODEL, Device, Embedder, nearest
from assets.filters.text import body
from assets.run_context import RunContext
from assets.steps import RowStep, StepOutput, merge_stats
from warehouse.connection import Warehouse
from warehouse.embeddings import store_embeddings
from warehouse.settings import Strict


class EmbeddingDetector(Strict):
    """Nearest benchmark item of each row by cosine of sentence embeddings (top-1); off unless
    the recipe writes `decontamination.embedding`."""

    enabled: bool = False
    threshold: float = Field(
        default=0.63,
        gt=0.0,
        le=1.0,
        description="Cosine at or above which the `embedding` detector fires (tuned in "
        "bench/decontamination on rephrased HumanEval prompts).",
    )
    model: str = "all-MiniLM-L6-v2"
    candidates: CandidateFilter | None = Field(
        default_factory=CandidateFilter,
        description="The cascade's first stage (on by default): only rows it nominates are "
        "embedded, and only their instruction, input and code blocks, and `coverage` decides; "
        "null: every row's whole text is embedded and one cosine against `threshold` decides.",
    )
    coverage: TokenCoverage = Field(
        default_factory=TokenCoverage,
        description="In the cascade (`candidates` set), what decides: cosine with an item's "
        "docstring plus the share of its tokens the row covers (`threshold` above is then not "
        "used); without the cascade, unused.",
    )
    device: Device = Field(
        default="auto",
        description="auto: CUDA (fp16) when torch sees a GPU, else the CPU; cpu; cuda.",
    )

    @model_serializer(mode="wrap")
    def _hash_unchanged_by_defaults(self, handler: Any) -> dict:
        # A recipe that turns the cascade off (`candidates: null`), on the default device, dumps
        # (and so hashes) as recipes did before these keys existed; where vectors are computed
        # never changes a decision.
        data = handler(self)
        if self.candidates is None:
            data.pop("candidates", None)
            data.pop("coverage", None)
        if self.device == "auto":
            data.pop("device", None)
        return data


NEAREST_SCHEMA = {
    "row_id": pl.String,
    "nn_benchmark": pl.String,
    "nn_item_id": pl.String,
    "similarity": pl.Float64,
}


def item_view_vectors(
    wh: Warehouse | None, benchmarks: pl.DataFrame, model: str, device: Device = "auto"
) -> np.ndarray:
    """The vectors of every view of every benchmark item (`views.with_views`), in order."""
    item_views = with_views(benchmarks.with_row_index("item"), "item", "text")
    return Embedder(model, device=device).embed(wh, item_views["view_text"].to_list())


def nearest_items(
    wh: Warehouse | None,
    rows: pl.DataFrame,
    benchmarks: pl.DataFrame,
    model: str,
    device: Device = "auto",
    item_vectors: np.ndarray | None = None,
) -> pl.DataFrame:
    """`rows` (`row_id`, `content`) with their nearest benchmark item and its cosine;
    `item_vectors`: the items' views already embedded (`item_view_vectors`)."""
    if rows.is_empty() or benchmarks.is_empty():
        return pl.DataFrame(schema=NEAREST_SCHEMA)
    embedder = Embedder(model, device=device)
    item_views = with_views(benchmarks.with_row_index("item"), "item", "text")
    row_views = with_views(rows.with_row_index("row"), "row", "content")
    if item_vectors is None:
        item_vectors = item_view_vectors(wh, benchmarks, model, device)
    items = item_vectors
    queries = embedder.embed(wh, row_views["view_text"].to_list())
    best, score = nearest(queries, items)
    per_view = row_views.select(
        "row",
        item_views["item"].gather(best).alias("item"),
        pl.Series("similarity", score.astype(np.float64)).round(6),
    )
    best_view = per_view.sort("similarity", "item", descending=[True, False]).unique(
        "row", keep="first"
    )
    indexed_items = benchmarks.select(
        pl.int_range(pl.len(), dtype=pl.UInt32).alias("item"),
        pl.col("benchmark").alias("nn_benchmark"),
        pl.col("item_id").alias("nn_item_id"),
    )
    return (
        rows.select(pl.int_range(pl.len(), dtype=pl.UInt32).alias("row"), "row_id")
        .join(best_view.with_columns(pl.col("item").cast(pl.UInt32)), on="row", how="left")
        .join(indexed_items, on="item", how="left")
        .select(NEAREST_SCHEMA.keys())
        .cast(NEAREST_SCHEMA)
    )


@dataclass(frozen=True)
class PreparedItems:
    """The benchmark side of the detector, computed once by the Spark driver (through its
    warehouse cache) and sent to the executors with the step: the items' view vectors (one
    cosine, no cascade) or the cascade's fitted first stage and coverage vectors."""

    view_vectors: np.ndarray | None = None
    fitted: tuple[Any, Any, Any] | None = None
    coverage: CoverageItems | None = None


@dataclass(frozen=True)
class EmbeddingNearest(RowStep):
    """Annotates each row with its nearest benchmark item by embedding (`nn_benchmark`,
    `nn_item_id`, `similarity`) and `embedding`, whether the detector fires. Also run, without
    firing, when only the judge is configured: the judge reads the nearest item."""

    benchmarks: pl.DataFrame
    # None on Spark executors: no embedding cache there, the items' vectors come prepared.
    wh: Warehouse | None
    detector: EmbeddingDetector | None
    prepared: PreparedItems = field(default_factory=PreparedItems, compare=False, repr=False)
    name: str = "embedding"
    Config: ClassVar[type[Strict]] = EmbeddingDetector
    config_key: ClassVar[str] = "embedding"
    columns: ClassVar[dict[str, pl.DataType]] = {
        **{name: dtype for name, dtype in NEAREST_SCHEMA.items() if name != "row_id"},
        "cand_similarity": pl.Float64(),
        # The cascade's figures (coverage, decision, attribution and runner-up).
        **{name: dtype for name, dtype in RESCORED_SCHEMA.items() if name not in NEAREST_SCHEMA},
        "embedding": pl.Boolean(),
    }
    _totals: dict[str, int] = field(default_factory=dict, init=False, compare=False)
    # Without a warehouse (a Spark executor): what the last `apply` encoded, for the driver's
    # cache (`take_encoded`); one batch's vectors at most.
    _encoded: list[tuple[list[str], np.ndarray]] = field(
        default_factory=list, init=False, compare=False, repr=False
    )

    @classmethod
    def from_config(cls, config: EmbeddingDetector, run: RunContext) -> list[EmbeddingNearest]:
        if not config.enabled:
            return []
        wh = run.context("the embedding detector (its embedding cache)").wh
        return [cls(run.benchmark_items(), wh, config)]

    @property
    def model(self) -> str:
        return self.detector.model if self.detector else DEFAULT_EMBEDDING_MODEL

    @property
    def device(self) -> Device:
        return self.detector.device if self.detector else "auto"

    def for_executors(self) -> EmbeddingNearest:
        """A copy without the warehouse for Spark executors, with the benchmark items' vectors
        (and the cascade's fitted first stage) computed here once; executors embed only rows,
        on the GPU when their torch sees one (`device: auto`)."""
        cascade = self.detector.candidates if self.detector else None
        if self.benchmarks.is_empty():
            return replace(self, wh=None)
        if cascade is None:
            prepared = PreparedItems(
                view_vectors=item_view_vectors(self.wh, self.benchmarks, self.model, self.device)
            )
        else:
            assert self.detector is not None
            prepared = PreparedItems(
                fitted=fitted_items(self.benchmarks["text"], cascade.min_chars, cascade.max_chars),
                coverage=coverage_items(self.wh, self.benchmarks, self.model, self.device),
            )
        return replace(self, wh=None, prepared=prepared)

    def take_encoded(self) -> tuple[list[str], np.ndarray] | None:
        if not self._encoded:
            return None
        keys = [key for chunk, _ in self._encoded for key in chunk]
        vectors = np.concatenate([vectors for _, vectors in self._encoded])
        self._encoded.clear()
        return keys, vectors

    def store_encoded(self, keys: list[str], vectors: np.ndarray) -> None:
        if self.wh is not None:
            store_embeddings(self.wh, self.model, keys, vectors)

    def _keep_encoded(self, keys: list[str], vectors: np.ndarray) -> None:
        self._encoded.append((keys, vectors))

    def apply(self, rows: pl.DataFrame) -> StepOutput:
        cascade = self.detector.candidates if self.detector else None
        self._encoded.clear()
        if cascade is None:
            corpus = rows.select(
                "row_id", body().alias("content"), pl.lit(None, pl.Float64).alias("cand_similarity")
            )
            found = nearest_items(
                self.wh,
                corpus,
                self.benchmarks,
                self.model,
                self.device,
                self.prepared.view_vectors,
            )
            found = found.with_columns(
                pl.lit(None, dtype).alias(name)
                for name, dtype in RESCORED_SCHEMA.items()
                if name not in NEAREST_SCHEMA
            )
            threshold = self.detector.threshold if self.detector else None
            score = pl.col("similarity")
        else:
            corpus = rows.select("row_id", problem_part().alias("content"))
            scores = candidate_scores(
                corpus["content"], self.benchmarks["text"], cascade, self.prepared.fitted
            )
            corpus = corpus.with_columns(scores["cand_similarity"])
            candidates = corpus.filter(pl.col("cand_similarity") >= cascade.threshold)
            found = coverage_nearest(
                self.wh,
                candidates.select("row_id", "content"),
                self.benchmarks,
                self.model,
                self.device,
                self.detector.coverage,
                prepared=self.prepared.coverage,
                # On an executor (no warehouse) the candidates' vectors go back to the driver.
                on_encoded=self._keep_encoded if self.wh is None else None,
            )
            # What the cascade saved: rows seen against rows embedded.
            self._totals.update(
                merge_stats(
                    self._totals,
                    {"embedding_rows": rows.height, "embedding_candidates": candidates.height},
                )
            )
            threshold = self.detector.coverage.threshold
            score = pl.col("cascade_score")
        fires = pl.lit(False) if threshold is None else (score >= threshold).fill_null(False)
        annotated = rows.join(
            corpus.select("row_id", "cand_similarity"),
            on="row_id",
            how="left",
            maintain_order="left",
        ).join(found, on="row_id", how="left", maintain_order="left")
        return StepOutput(annotated.with_columns(fires.alias("embedding")))

    def stats(self) -> dict[str, Any]:
        return dict(self._totals)
