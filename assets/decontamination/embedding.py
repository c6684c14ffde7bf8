"""Nearest benchmark item of every row by cosine of sentence embeddings.

Rows and benchmark items are embedded through the warehouse cache (a benchmark's items are
encoded once per content, a row once across versions); the top-1 item per row comes from
blocked matrix products, so memory stays at one block of rows times the benchmark size.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from assets.embeddings import Embedder
from warehouse.connection import Warehouse

NEAREST_SCHEMA = {
    "row_id": pl.String,
    "nn_benchmark": pl.String,
    "nn_item_id": pl.String,
    "similarity": pl.Float64,
}
_BLOCK = 4096


def top1(queries: np.ndarray, items: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(index of the most similar item, its cosine) per query row; vectors are unit length."""
    best = np.empty(len(queries), dtype=np.int64)
    score = np.empty(len(queries), dtype=np.float32)
    for start in range(0, len(queries), _BLOCK):
        sims = queries[start : start + _BLOCK] @ items.T
        best[start : start + _BLOCK] = np.argmax(sims, axis=1)
        score[start : start + _BLOCK] = sims[np.arange(len(sims)), best[start : start + _BLOCK]]
    return best, score


def nearest_items(
    wh: Warehouse, rows: pl.DataFrame, benchmarks: pl.DataFrame, model: str
) -> pl.DataFrame:
    """`rows` (`row_id`, `content`) with their nearest benchmark item and its cosine."""
    if rows.is_empty() or benchmarks.is_empty():
        return pl.DataFrame(schema=NEAREST_SCHEMA)
    embedder = Embedder(model)
    items = embedder.embed(wh, benchmarks["text"].to_list())
    queries = embedder.embed(wh, rows["content"].to_list())
    best, score = top1(queries, items)
    return pl.DataFrame(
        {
            "row_id": rows["row_id"],
            "nn_benchmark": benchmarks["benchmark"].gather(best),
            "nn_item_id": benchmarks["item_id"].gather(best),
            "similarity": score.astype(np.float64).round(6),
        },
        schema=NEAREST_SCHEMA,
    )
