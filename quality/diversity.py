"""Diversity of a corpus version: distinct n-grams, embedding dispersion, task balance."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import polars as pl

_TOKEN = r"\w+"

# Texts to L2-normalized vectors, one row per text. The caller chooses the model (the asset
# layer passes its cached sentence embedder), so measuring diversity loads no model here.
Embed = Callable[[list[str]], np.ndarray]


def row_texts(rows: pl.DataFrame) -> pl.Series:
    """The text a row contributes: instruction, input and response (or document text),
    newline-joined with missing parts skipped; a conversation's is its transcript (`text`).
    This is the text semantic dedup embeds (`assets.filters.text.body`), so the embedding
    sample of the metadata finds its vectors in the warehouse's embedding cache."""
    parts = [c for c in ("instruction", "input", "response", "text") if c in rows.columns]
    if not parts or rows.is_empty():
        return pl.Series("text", [], dtype=pl.String)
    joined = pl.concat_str([pl.col(c) for c in parts], separator="\n", ignore_nulls=True)
    if "text" in parts and "kind" in rows.columns:
        joined = pl.when(pl.col("kind") == "conversation").then(pl.col("text")).otherwise(joined)
    return rows.select(joined.fill_null("").alias("text")).to_series()


def distinct_n(texts: pl.Series, n_max: int = 2) -> dict[str, float | int]:
    """distinct-n: unique n-grams / all n-grams over the corpus (lower-cased word tokens)."""
    tokens = (
        pl.DataFrame({"text": texts})
        .with_row_index("doc")
        .select("doc", pl.col("text").str.to_lowercase().str.extract_all(_TOKEN).alias("tok"))
        .explode("tok")
        .drop_nulls("tok")
    )
    result: dict[str, float | int] = {"tokens": tokens.height}
    for n in range(1, n_max + 1):
        grams = tokens.select(
            pl.concat_str(
                [pl.col("tok").shift(-k).over("doc") for k in range(n)], separator=" "
            ).alias("gram")
        ).drop_nulls()
        total = grams.height
        result[f"distinct_{n}"] = round(grams["gram"].n_unique() / total, 4) if total else 0.0
    return result


def balance(rows: pl.DataFrame, column: str) -> dict[str, object]:
    """Shannon entropy (bits) of a categorical column and its normalized form (0..1)."""
    if column not in rows.columns or rows.is_empty():
        return balance_of_counts(pl.DataFrame(schema={column: pl.String, "len": pl.UInt32}))
    return balance_of_counts(
        rows.group_by(pl.col(column).fill_null("(none)")).len().sort("len", descending=True)
    )


def balance_of_counts(counts: pl.DataFrame) -> dict[str, object]:
    """`balance` from counts (a category column, then `len`), e.g. a SQL GROUP BY's."""
    total = int(counts["len"].sum()) if counts.height else 0
    if not total:
        return {"categories": 0, "entropy_bits": 0.0, "normalized_entropy": 0.0, "counts": {}}
    p = counts["len"].to_numpy() / total
    entropy = max(0.0, float(-(p * np.log2(p)).sum()))
    k = counts.height
    return {
        "categories": k,
        "entropy_bits": round(entropy, 4),
        "normalized_entropy": round(entropy / math.log2(k), 4) if k > 1 else 0.0,
        "counts": {key: int(n) for key, n in counts.iter_rows()},
    }


def sample_for_embedding(rows: pl.DataFrame, max_rows: int) -> pl.DataFrame:
    """A deterministic sample: row ids are content hashes, so the smallest ids are a
    pseudo-random subset that only changes when the content does."""
    return rows.sort("row_id").head(max_rows) if rows.height > max_rows else rows


def dispersion(vectors: np.ndarray) -> dict[str, float | int]:
    """Mean pairwise cosine distance and mean cosine distance to the centroid of unit vectors.

    The pairwise mean uses |sum v|^2 = n + sum_{i!=j} cos(v_i, v_j), so it costs O(n d)."""
    n = len(vectors)
    if n < 2:
        return {
            "embedded_rows": n,
            "mean_pairwise_cosine_distance": 0.0,
            "mean_distance_to_centroid": 0.0,
        }
    total = vectors.sum(axis=0, dtype=np.float64)
    mean_cos = (float(total @ total) - n) / (n * (n - 1))
    centroid = total / (np.linalg.norm(total) or 1.0)
    to_centroid = 1.0 - vectors.astype(np.float64) @ centroid
    return {
        "embedded_rows": n,
        "mean_pairwise_cosine_distance": round(1.0 - mean_cos, 4),
        "mean_distance_to_centroid": round(float(to_centroid.mean()), 4),
    }


def diversity(
    rows: pl.DataFrame,
    embed: Embed | None = None,
    *,
    embedding_sample: int = 2000,
    counts: dict[str, pl.DataFrame] | None = None,
) -> dict[str, object]:
    """Every diversity measure of `rows`; embedding dispersion only when `embed` is given and
    the sample size is positive. `counts` (per category column, from the whole version) stand
    in for the balance of `rows` when these are a sample."""
    texts = row_texts(rows)
    result: dict[str, object] = {"rows": rows.height, **distinct_n(texts)}
    for column in ("task_type", "method"):
        result[f"{column}_balance"] = (
            balance_of_counts(counts[column])
            if counts and column in counts
            else balance(rows, column)
        )
    if embed is not None and embedding_sample > 0 and rows.height:
        sample = row_texts(sample_for_embedding(rows, embedding_sample)).to_list()
        result["embedding"] = dispersion(embed(sample))
    return result
