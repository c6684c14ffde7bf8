"""The quality report attached to every corpus materialization as Dagster metadata."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Protocol

import dagster as dg
import numpy as np
import polars as pl

from quality.diversity import dispersion, diversity, row_texts, sample_for_embedding
from quality.funnel import build_funnel, funnel_markdown
from quality.plots import coverage_plot, length_plot, score_frame, score_plot
from quality.report_config import ReportConfig
from quality.tables import markdown_table
from warehouse.audit import attribute_shares
from warehouse.connection import Warehouse
from warehouse.embeddings import cached_embeddings, text_key
from warehouse.reports import category_counts, decision_scores, dropped_sample

SAMPLE_COLUMNS = ("row_id", "method", "task_type", "instruction", "response", "text")
# Plots, samples and diversity read at most this many rows (the smallest row ids, a
# pseudo-random sample), so a materialization's metadata costs the same at any size.
METADATA_SAMPLE_ROWS = 10_000


class CachingEmbedder(Protocol):
    """What the asset layer's sentence embedder offers: its model's name, which keys the
    warehouse's embedding cache, and `embed`, which encodes only texts the cache lacks and
    stores their vectors."""

    model: str

    def embed(self, wh: Warehouse, texts: list[str]) -> np.ndarray: ...


# Rows of the embedding sample encoded per materialization at most; the rest of the sample counts
# only where the warehouse's embedding cache holds its vector (semantic dedup, decontamination
# and earlier versions fill it). About 2 s on 2 cores for 60-100-word rows, at any size. A
# constant, not a recipe key: a new key would move every recipe's hash.
EMBEDDING_NEW_ROWS = 128
# Seed versions are inputs, not generated data: their diversity is not a quality signal here.
DIVERSITY_CORPORA = ("synthesized", "filtered", "decontaminated")


def report_dir(wh: Warehouse, corpus: str, version: int) -> Path:
    return wh.home / "reports" / corpus / f"v{version}"


def image_markdown(png: bytes, alt: str) -> str:
    return f"![{alt}](data:image/png;base64,{base64.b64encode(png).decode('ascii')})"


def _plots(
    wh: Warehouse, corpus: str, version: int, rows: pl.DataFrame, config: ReportConfig
) -> dict[str, dg.MetadataValue]:
    target = report_dir(wh, corpus, version)
    target.mkdir(parents=True, exist_ok=True)
    scores = score_frame(rows, decision_scores(wh, corpus, version, METADATA_SAMPLE_ROWS))
    drawn = {
        "length_distribution": length_plot(rows, f"{corpus} v{version}: text lengths"),
        "score_distribution": score_plot(scores, f"{corpus} v{version}: scores"),
        # Only versions with sampled attributes get one (`attribute_coverage` in SQL).
        "attribute_coverage": coverage_plot(
            attribute_shares(wh, corpus, version), f"{corpus} v{version}: attribute shares"
        ),
    }
    metadata: dict[str, dg.MetadataValue] = {}
    for name, png in drawn.items():
        if png is None:
            continue
        path = target / f"{name}.png"
        path.write_bytes(png)
        metadata[f"{name}_png"] = dg.MetadataValue.path(str(path))
        if len(png) <= config.inline_plot_max_kb * 1024:
            metadata[f"{name}_plot"] = dg.MetadataValue.md(image_markdown(png, name))
    return metadata


def sample_vectors(
    wh: Warehouse, embedder: CachingEmbedder, texts: list[str], max_new: int
) -> tuple[np.ndarray, dict[str, int]]:
    """Vectors for the texts of an embedding sample that the warehouse cache holds (semantic
    dedup, decontamination and earlier versions fill it) plus at most `max_new` more, the
    first in sample order, encoded now and cached: the cost is bounded whatever the sample
    and the version. Returns the vectors and how many came from each source."""
    keys = [text_key(t) for t in texts]
    cached = cached_embeddings(wh, embedder.model, sorted(set(keys)))
    missing = list(dict.fromkeys(k for k in keys if k not in cached))[:max_new]
    if missing:
        text_of = dict(zip(keys, texts, strict=True))
        cached.update(zip(missing, embedder.embed(wh, [text_of[k] for k in missing]), strict=True))
    chosen = [cached[k] for k in keys if k in cached]
    dim = len(chosen[0]) if chosen else 0
    vectors = np.stack(chosen) if chosen else np.zeros((0, dim), dtype=np.float32)
    return vectors, {"cached_rows": len(chosen) - len(missing), "encoded_rows": len(missing)}


def _embedding_measures(
    wh: Warehouse, rows: pl.DataFrame, config: ReportConfig, embedder: CachingEmbedder
) -> dict:
    texts = row_texts(sample_for_embedding(rows, config.embedding_sample)).to_list()
    vectors, sources = sample_vectors(wh, embedder, texts, EMBEDDING_NEW_ROWS)
    return {**dispersion(vectors), **sources, "sample_rows": len(texts)}


def diversity_metadata(measures: dict) -> dict[str, dg.MetadataValue]:
    """Headline numbers as floats (Dagster charts them across materializations) plus all."""
    metadata = {
        "diversity": dg.MetadataValue.json(json.loads(json.dumps(measures))),
        "distinct_1": dg.MetadataValue.float(float(measures["distinct_1"])),
        "distinct_2": dg.MetadataValue.float(float(measures["distinct_2"])),
        "task_type_normalized_entropy": dg.MetadataValue.float(
            float(measures["task_type_balance"]["normalized_entropy"])
        ),
        "method_normalized_entropy": dg.MetadataValue.float(
            float(measures["method_balance"]["normalized_entropy"])
        ),
    }
    if "embedding" in measures:
        metadata["embedding_mean_pairwise_cosine_distance"] = dg.MetadataValue.float(
            float(measures["embedding"]["mean_pairwise_cosine_distance"])
        )
    return metadata


def materialization_metadata(
    wh: Warehouse,
    corpus: str,
    version: int,
    rows: pl.DataFrame,
    config: ReportConfig,
    embedder: CachingEmbedder | None = None,
    *,
    row_count: int | None = None,
) -> dict[str, dg.MetadataValue]:
    """Funnel, kept and dropped samples, plots and diversity of a just-staged version;
    `embedder` measures embedding dispersion where the config asks for it, on cached vectors
    and a bounded number of new ones (`sample_vectors`). `rows` is the version or, with
    `row_count` (the version's size), its sample: counts of task types and methods then come
    from the whole version in SQL."""
    funnel = build_funnel(wh, [(corpus, version)])
    metadata: dict[str, dg.MetadataValue] = {
        "drop_funnel": dg.MetadataValue.md(funnel_markdown(funnel))
    }
    if config.sample_rows:
        kept = rows.select([c for c in SAMPLE_COLUMNS if c in rows.columns])
        metadata["kept_sample"] = dg.MetadataValue.md(
            markdown_table(kept.sort("row_id").head(config.sample_rows))
        )
        dropped = dropped_sample(wh, corpus, version, config.sample_rows)
        metadata["dropped_sample"] = dg.MetadataValue.md(markdown_table(dropped))
    if config.plots:
        metadata.update(_plots(wh, corpus, version, rows, config))
    if corpus in DIVERSITY_CORPORA:
        sampled = row_count is not None
        measures = diversity(
            rows,
            counts={
                column: category_counts(wh, corpus, version, column)
                for column in ("task_type", "method")
            }
            if sampled
            else None,
        )
        if sampled:
            measures["rows"] = row_count
            measures["sampled_rows"] = rows.height
        if embedder is not None and config.embedding_in_metadata and config.embedding_sample:
            measures["embedding"] = _embedding_measures(wh, rows, config, embedder)
        metadata.update(diversity_metadata(measures))
    metadata["report_dir"] = dg.MetadataValue.path(str(report_dir(wh, corpus, version)))
    return metadata
