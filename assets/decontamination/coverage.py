"""The cascade's deciding stage: how much of a benchmark item a candidate row restates.

One cosine of sentence embeddings measures topic: a hand-written rephrasing of a HumanEval
task and a clean task on the same topic (reverse the words of a sentence; sort the letters of
each word) land at the same cosine. A rephrasing, unlike a task on the same topic, restates
every requirement of the item. So each candidate is compared with its `top_items` nearest items
(cosine with the item's docstring, examples included: `views.docstring_view`) and, for each,
the share of the docstring's tokens the row covers: the mean over the item's token vectors of
their best cosine with any of the row's token vectors (BERTScore recall, Zhang et al. 2020, on
the same all-MiniLM-L6-v2 pass, which also gives the row's sentence vector). The row's score is
the best cosine + coverage over those items.

Which item a dropped row names (its evidence) is a second question. The best cosine + docstring
coverage names the item rephrased for 0.921 of the held-out rephrasings that fire
(bench/decontamination); the same late interaction against the whole item and both ways, the
share of the item's tokens (signature, helper functions, docstring) the row covers plus the
share of the row's tokens the item covers (BERTScore recall + precision), for 0.961. The whole
item holds what a docstring leaves out (`decode_cyclic`'s docstring says only "decodes"; its
helper says how), and precision penalizes an item that leaves part of the row unexplained (a
neighbour on the same topic). It was chosen on the tuning half among such variants (docstring or
whole item, recall and/or precision, IDF-weighted or not, with or without the cosine), several
of which tie there. So among the nearest items whose own cosine + coverage fires, the one with
the best `attribution` is named, with its own cosine, coverage and score (the row's decision is
unchanged), and the runner-up with its scores, so a user can see the margin; a row where none
fires keeps the best-scoring item.

Measured in bench/decontamination on the hand-written sets (tests/data): threshold tuned on the
tuning half, the held-out half gets recall 0.962, false positives 0.044, against 0.911 / 0.067
for one cosine.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import numpy as np
import polars as pl
from pydantic import Field

from assets.decontamination.views import docstring_view
from assets.embeddings import Device, Embedder, text_sha256
from warehouse.connection import Warehouse
from warehouse.embeddings import store_embeddings
from warehouse.settings import Strict


class TokenCoverage(Strict):
    """The cascade's decision: cosine with an item's docstring plus the share of that
    docstring's tokens the row covers, against `threshold`."""

    threshold: float = Field(
        default=1.0525,
        gt=0.0,
        le=2.0,
        description="Cosine + coverage (0 to 2) at or above which the cascade fires (tuned in "
        "bench/decontamination on the tuning half of the hand-written sets).",
    )
    top_items: int = Field(
        default=3,
        ge=1,
        le=50,
        description="Nearest items (by cosine) a candidate is rescored with.",
    )


# Distinct texts encoded (and their token vectors held) at a time.
TOKEN_CHUNK = 1_024

RESCORED_SCHEMA = {
    "row_id": pl.String,
    "nn_benchmark": pl.String,
    "nn_item_id": pl.String,
    "similarity": pl.Float64,
    "coverage": pl.Float64,
    "cascade_score": pl.Float64,
    "attribution": pl.Float64,
    "runner_up_benchmark": pl.String,
    "runner_up_item_id": pl.String,
    "runner_up_cascade_score": pl.Float64,
    "runner_up_attribution": pl.Float64,
}


@cache
def _item_tokens(
    model: str, device: Device, int8: bool, texts: tuple[str, ...]
) -> tuple[np.ndarray, np.ndarray]:
    # One pass per benchmark set, view and process: the token vectors of every item's text
    # (docstring or whole item), stacked, with the offsets of each item's slice.
    _, tokens = Embedder(model, device=device, int8=int8).encode_with_tokens(list(texts))
    offsets = np.cumsum([0, *(len(t) for t in tokens)])
    return np.concatenate(tokens), offsets


def _rounded(scores: np.ndarray) -> np.ndarray:
    """`scores` as the `cascade_score` column stores them (float64, Polars' rounding to 6
    places), so an item counts as firing exactly when its stored score would."""
    flat = pl.Series(scores.astype(np.float64).ravel()).round(6).to_numpy()
    return flat.reshape(scores.shape)


def named_and_runner_up(
    decision: np.ndarray, attribution: np.ndarray, threshold: float
) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the column of the item to name and of the runner-up (-1: none), among `k`
    nearest items with their decision (`_rounded` cosine + coverage) and attribution scores.

    Named: the best attribution among the items whose decision fires, else the best decision
    (as before attribution existed). Either way the named item fires exactly when the best
    decision does, so naming never changes a verdict. Runner-up: the best attribution among
    the other items."""
    fires = decision >= threshold
    by_attribution = np.argmax(np.where(fires, attribution, -np.inf), axis=1)
    named = np.where(fires.any(axis=1), by_attribution, np.argmax(decision, axis=1))
    at = np.arange(len(named))
    if decision.shape[1] < 2:
        return named, np.full(len(named), -1)
    others = attribution.astype(np.float64).copy()
    others[at, named] = -np.inf
    return named, np.argmax(others, axis=1)


def _late_interaction(
    tokens: np.ndarray, items: np.ndarray, offsets: np.ndarray, item: int
) -> tuple[float, float]:
    """(share of item `item`'s tokens the row's `tokens` cover, share of the row's tokens the
    item covers): mean best token-vector cosine each way (BERTScore recall and precision)."""
    if not len(tokens):
        return 0.0, 0.0
    cosines = items[offsets[item] : offsets[item + 1]] @ tokens.T
    return float(cosines.max(axis=1).mean()), float(cosines.max(axis=0).mean())


@dataclass(frozen=True)
class CoverageItems:
    """What the deciding stage compares candidates with, computed once per benchmark set:
    each item's docstring vector, its docstring's token vectors and the whole item's (stacked,
    with each item's offsets). On Spark the driver computes it and the executors receive it."""

    vectors: np.ndarray
    tokens: np.ndarray
    offsets: np.ndarray
    whole_tokens: np.ndarray
    whole_offsets: np.ndarray


def coverage_items(
    wh: Warehouse | None, benchmarks: pl.DataFrame, model: str, device: Device, int8: bool = False
) -> CoverageItems:
    """The benchmark items' vectors (`CoverageItems`), docstring vectors through the cache."""
    docstrings = [docstring_view(t) for t in benchmarks["text"].to_list()]
    vectors = Embedder(model, device=device, int8=int8).embed(wh, docstrings)
    tokens, offsets = _item_tokens(model, device, int8, tuple(docstrings))
    wholes, whole_offsets = _item_tokens(model, device, int8, tuple(benchmarks["text"].to_list()))
    return CoverageItems(vectors, tokens, offsets, wholes, whole_offsets)


def coverage_nearest(
    wh: Warehouse | None,
    rows: pl.DataFrame,
    benchmarks: pl.DataFrame,
    model: str,
    device: Device,
    config: TokenCoverage,
    int8: bool = False,
    prepared: CoverageItems | None = None,
    on_encoded: Callable[[list[str], np.ndarray], None] | None = None,
) -> pl.DataFrame:
    """`rows` (`row_id`, `content`) with the item they restate (module docstring): its cosine
    (`similarity`), the share of its docstring tokens they cover (`coverage`), the sum
    (`cascade_score`, what decides) and the `attribution` score that named it; the runner-up
    by attribution with its scores. `int8`: the CPU model with int8 Linear layers
    (bench/embeddings compares it with fp32). `prepared`: the items' vectors computed once
    (`coverage_items`). The candidates' sentence vectors go to the warehouse cache and to
    `on_encoded` (cache keys, vectors): a Spark executor has no warehouse, its step hands
    them to the driver's."""
    if rows.is_empty() or benchmarks.is_empty():
        return pl.DataFrame(schema=RESCORED_SCHEMA)
    embedder = Embedder(model, device=device, int8=int8)
    found = prepared or coverage_items(wh, benchmarks, model, device, int8)
    item_vectors, items, offsets = found.vectors, found.tokens, found.offsets
    wholes, whole_offsets = found.whole_tokens, found.whole_offsets
    k = min(config.top_items, benchmarks.height)
    texts = list(dict.fromkeys(rows["content"].to_list()))
    # Per distinct text and each of its k nearest items: item index, cosine, coverage,
    # attribution; then the named item's and the runner-up's columns are picked from them.
    top = np.zeros((len(texts), k), dtype=np.int64)
    top_cos = np.zeros((len(texts), k), dtype=np.float32)
    coverage = np.zeros((len(texts), k), dtype=np.float32)
    attribution = np.zeros((len(texts), k), dtype=np.float32)
    # Token vectors are ~100x a sentence vector (one per token, padded to the model batch's
    # longest text while sentence-transformers holds them): one chunk of texts at a time, so
    # memory stays flat whatever the number of candidates in a streamed batch.
    for start in range(0, len(texts), TOKEN_CHUNK):
        chunk = slice(start, start + TOKEN_CHUNK)
        # One model pass per distinct text gives its sentence vector and its token vectors.
        vectors, tokens_of = embedder.encode_with_tokens(texts[chunk])
        if not embedder.int8:
            # fp32/fp16 vectors go to the warehouse cache like any other embedding; int8 ones
            # (a measurement in bench/embeddings) would differ from them under the same key.
            keys = text_sha256(texts[chunk])
            if wh is not None:
                store_embeddings(wh, model, keys, vectors)
            if on_encoded is not None:
                on_encoded(keys, vectors)
        cosines = vectors @ item_vectors.T
        top[chunk] = np.argsort(-cosines, axis=1, kind="stable")[:, :k]
        top_cos[chunk] = np.take_along_axis(cosines, top[chunk], axis=1)
        # Token matrices are ragged (one per text and item): small matrix products per text
        # and nearest item.
        for r, tokens in enumerate(tokens_of, start=start):
            for j, i in enumerate(top[r]):
                coverage[r, j] = _late_interaction(tokens, items, offsets, i)[0]
                attribution[r, j] = sum(_late_interaction(tokens, wholes, whole_offsets, i))
    decision = _rounded(top_cos + coverage)
    named, runner_up = named_and_runner_up(decision, attribution, config.threshold)
    index = {text: i for i, text in enumerate(texts)}
    at = np.array([index[t] for t in rows["content"].to_list()], dtype=np.int64)
    pick, other = named[at], runner_up[at]

    def of(values: np.ndarray, column: np.ndarray) -> pl.Series:
        # `values` of the rows' named (or runner-up) item; -1 (no runner-up) gathers column 0,
        # nulled below.
        return pl.Series(values[at, np.maximum(column, 0)])

    def score(values: np.ndarray, column: np.ndarray) -> pl.Series:
        return of(values.astype(np.float64), column).round(6)

    item, other_item = of(top, pick), of(top, other)
    has_runner_up = pl.Series(other >= 0)
    return pl.DataFrame(
        {
            "row_id": rows["row_id"],
            "nn_benchmark": benchmarks["benchmark"].gather(item),
            "nn_item_id": benchmarks["item_id"].gather(item),
            "similarity": score(top_cos, pick),
            "coverage": score(coverage, pick),
            "cascade_score": of(decision, pick),
            "attribution": score(attribution, pick),
            "runner_up_benchmark": benchmarks["benchmark"].gather(other_item),
            "runner_up_item_id": benchmarks["item_id"].gather(other_item),
            "runner_up_cascade_score": of(decision, other),
            "runner_up_attribution": score(attribution, other),
        },
        schema=RESCORED_SCHEMA,
    ).with_columns(
        pl.when(has_runner_up).then(pl.col(c)).alias(c)
        for c in RESCORED_SCHEMA
        if c.startswith("runner_up_")
    )
