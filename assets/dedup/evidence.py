"""The one evidence shape of every dedup decision, so SQL can query all methods alike.

    {"method": "exact_dedup" | "near_dedup" | ..., "cluster_id": str, "duplicate_of": row_id,
     "similarity": float, "similarity_kind": "exact" | "estimated_jaccard" | "jaccard" | ...,
     "cluster_size": int, "params": {...method parameters...}}

`score` repeats `similarity`. `duplicate_of` is the cluster's representative (the row kept).
"""

from __future__ import annotations

import polars as pl

EVIDENCE_COLUMNS = ("row_id", "duplicate_of", "cluster_id", "similarity", "cluster_size")


def duplicate_decisions(
    frame: pl.DataFrame, *, rule: str, method: str, similarity_kind: str, params: dict
) -> pl.DataFrame:
    """Decision rows (`row_id`, `rule`, `score`, `evidence`) for dropped duplicates; `frame`
    holds EVIDENCE_COLUMNS, one row per dropped row."""
    param_fields = {name: pl.lit(value) for name, value in params.items()}
    return frame.select(
        "row_id",
        pl.lit(rule).alias("rule"),
        pl.col("similarity").cast(pl.Float64).alias("score"),
        pl.struct(
            method=pl.lit(method),
            cluster_id=pl.col("cluster_id").cast(pl.String),
            duplicate_of=pl.col("duplicate_of"),
            similarity=pl.col("similarity").cast(pl.Float64),
            similarity_kind=pl.lit(similarity_kind),
            cluster_size=pl.col("cluster_size").cast(pl.Int64),
            params=pl.struct(**param_fields) if param_fields else pl.lit(None),
        )
        .struct.json_encode()
        .alias("evidence"),
    )
