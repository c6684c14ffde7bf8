"""The figures of the coverage and diversity gates for one version.

Coverage compares each sampled value's share among the version's rows of its method with the
target its sampler was configured with (`warehouse.audit.attribute_shares`). Diversity
measures a version collapsed onto a few templates in two ways: distinct-2 over its texts (a
template filled with different nouns keeps few distinct bigrams), and the share of rows whose
nearest neighbour, by the cached sentence embeddings, is above a similarity (a few
instructions repeated with small edits)."""

from __future__ import annotations

import numpy as np
import polars as pl

from quality.diversity import distinct_n, row_texts
from quality.gates import CoverageGate, DiversityGate
from warehouse import Warehouse
from warehouse.audit import attribute_shares
from warehouse.embeddings import cached_embeddings, text_key
from warehouse.reports import version_sample

# Values named in a gate's notes (the worst deviations, the values without rows).
NAMED_VALUES = 5
# Rows compared with all others at once when finding nearest neighbours (a block of the
# similarity matrix: BLOCK x n floats).
BLOCK = 1_024


def _label(row: dict) -> str:
    return f"{row['method']}.{row['attribute']}={row['value']}"


def coverage_figures(wh: Warehouse, corpus: str, version: int, gate: CoverageGate) -> dict:
    """`coverage_max_deviation` (largest |realized - target| share), `coverage_missing_values`
    (targeted values without a row) and notes naming the values at fault; empty when no row
    of the version has targeted attributes."""
    shares = attribute_shares(wh, corpus, version).filter(pl.col("target_share").is_not_null())
    if shares.is_empty():
        return {}
    shares = shares.with_columns(
        (pl.col("realized_share") - pl.col("target_share")).abs().alias("deviation")
    ).sort("deviation", descending=True)
    off = shares.filter(pl.col("deviation") > gate.tolerance).head(NAMED_VALUES).to_dicts()
    missing = shares.filter(pl.col("rows") == 0).head(NAMED_VALUES).to_dicts()
    notes = [
        f"coverage: {_label(r)} realized {r['realized_share']:.3f}, target {r['target_share']:.3f}"
        for r in off
    ]
    if missing:
        notes.append("coverage: no rows for " + ", ".join(_label(r) for r in missing))
    return {
        "figures": {
            "coverage_max_deviation": round(float(shares["deviation"].max()), 6),
            "coverage_missing_values": int((shares["rows"] == 0).sum()),
        },
        "notes": notes,
    }


def nearest_similarities(vectors: np.ndarray) -> np.ndarray:
    """Each row's highest cosine similarity to another row (unit vectors, in blocks)."""
    n = len(vectors)
    best = np.full(n, -1.0, dtype=np.float32)
    for start in range(0, n, BLOCK):
        block = vectors[start : start + BLOCK] @ vectors.T
        rows = np.arange(block.shape[0])
        block[rows, rows + start] = -np.inf
        best[start : start + BLOCK] = block.max(axis=1)
    return best


def diversity_figures(wh: Warehouse, corpus: str, version: int, gate: DiversityGate) -> dict:
    """`distinct_2` of the sampled rows' texts and `near_duplicate_share` of those with a
    cached embedding (none when fewer than two have one), with notes on what was measured."""
    rows = version_sample(wh, corpus, version, gate.sample)
    if rows.is_empty():
        return {}
    texts = row_texts(rows)
    figures: dict[str, float] = {"distinct_2": float(distinct_n(texts, 2)["distinct_2"])}
    notes = [f"diversity: {rows.height} rows sampled"]
    keys = [text_key(t) for t in texts.to_list()]
    cached = cached_embeddings(wh, gate.embedding_model, sorted(set(keys)))
    chosen = [cached[k] for k in keys if k in cached]
    if len(chosen) < 2:
        notes.append(
            f"diversity: near_duplicate_share skipped, {len(chosen)} of {rows.height} rows have "
            f"a cached {gate.embedding_model} vector"
        )
    else:
        vectors = np.stack(chosen).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True).clip(min=1e-12)
        near = nearest_similarities(vectors) > gate.similarity
        figures["near_duplicate_share"] = round(float(near.mean()), 6)
        notes.append(f"diversity: {len(chosen)} rows with a cached embedding")
    return {"figures": figures, "notes": notes}
