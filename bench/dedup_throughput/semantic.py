"""Semantic dedup throughput: our path vs. plain encode + brute-force all-pairs cosine.

Ours (`assets.dedup.semantic.SemanticDedup`): embeddings through the warehouse cache,
spherical k-means (k = sqrt(n)), greedy threshold within each cluster. Plain: the same
sentence-transformers model encodes every text, then the full n x n cosine matrix and the same
greedy rule over it. Both run on the same texts in the same process. Ours is timed twice:
cold (fresh warehouse: encodes and fills the cache) and warm (a re-run, as when a new version
of a corpus repeats most rows: vectors come from the cache). Encoding dominates a cold run, so
the pairwise stage is also timed alone to show what clustering buys.

Peak memory is the Python/NumPy heap high-water mark (tracemalloc) of each path; the model's
own torch buffers are the same for both and are not counted.

    python bench/dedup_throughput/semantic.py [--n 3000]
"""

from __future__ import annotations

import argparse
import itertools
import random
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from assets.dedup.semantic import (  # noqa: E402
    SemanticDedup,
    SemanticDedupConfig,  # noqa: E402
    greedy_duplicates,
    spherical_kmeans,
)
from assets.embeddings import Embedder  # noqa: E402
from warehouse import Warehouse  # noqa: E402

THRESHOLD = 0.95


def _measured(fn, *args):
    tracemalloc.start()
    started = time.perf_counter()
    result = fn(*args)
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return result, seconds, peak / 2**20


def _frame(texts: list[str]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "row_id": [f"{i:032x}" for i in range(len(texts))],
            "instruction": texts,
            "input": [None] * len(texts),
            "response": [None] * len(texts),
            "text": [None] * len(texts),
        },
        schema_overrides={c: pl.String for c in ("input", "response", "text")},
    )


def _plain(texts: list[str]) -> int:
    vectors = Embedder().encode(texts)
    dropped, _, _ = greedy_duplicates_all_pairs(vectors)
    return int(dropped.sum())


def greedy_duplicates_all_pairs(vectors: np.ndarray):
    """The brute-force baseline: one n x n similarity matrix, the same greedy rule."""
    sims = vectors @ vectors.T
    n = len(vectors)
    dropped = np.zeros(n, dtype=bool)
    for i in range(n):
        if dropped[i]:
            continue
        claimed = np.flatnonzero(sims[i, i + 1 :] >= THRESHOLD) + i + 1
        dropped[claimed[~dropped[claimed]]] = True
    return dropped, None, None


def _clustered_pairs(vectors: np.ndarray) -> int:
    labels = spherical_kmeans(vectors, int(np.ceil(np.sqrt(len(vectors)))), 20, 0)
    total = 0
    for cluster in np.unique(labels):
        members = np.flatnonzero(labels == cluster)
        total += int(greedy_duplicates(vectors[members], THRESHOLD)[0].sum())
    return total


def measure_semantic(texts: list[str]) -> dict:
    """docs/s and peak heap (MiB) of our semantic dedup (cold and warm cache) and of plain
    encode + all-pairs, on `texts`, plus the pairwise stage alone on shared vectors."""
    frame = _frame(texts)
    n = len(texts)
    Embedder().encode(texts[:8])  # model load is the same fixed cost for both: keep it out
    with tempfile.TemporaryDirectory() as tmp:
        wh = Warehouse(Path(tmp))
        config = SemanticDedupConfig(enabled=True, threshold=THRESHOLD)
        cold_step = SemanticDedup(wh, config)
        cold, cold_s, cold_mb = _measured(cold_step.flag, frame)
        warm_step = SemanticDedup(wh, config)
        warm, warm_s, warm_mb = _measured(warm_step.flag, frame)
        vectors = Embedder().embed(wh, texts)  # from the cache: no third encoding
    plain_dropped, plain_s, plain_mb = _measured(_plain, texts)
    _, pairs_plain_s, pairs_plain_mb = _measured(greedy_duplicates_all_pairs, vectors)
    pairs_ours_dropped, pairs_ours_s, pairs_ours_mb = _measured(_clustered_pairs, vectors)
    return {
        "docs": n,
        "ours_cold_docs_per_s": n / cold_s,
        "ours_warm_docs_per_s": n / warm_s,
        "plain_docs_per_s": n / plain_s,
        "ours_cold_peak_mib": cold_mb,
        "ours_warm_peak_mib": warm_mb,
        "plain_peak_mib": plain_mb,
        "speedup_cold": plain_s / cold_s,
        "speedup_warm": plain_s / warm_s,
        "pairwise_ours_s": pairs_ours_s,
        "pairwise_plain_s": pairs_plain_s,
        "pairwise_speedup": pairs_plain_s / pairs_ours_s,
        "pairwise_ours_peak_mib": pairs_ours_mb,
        "pairwise_plain_peak_mib": pairs_plain_mb,
        "dropped_ours": cold.height,
        "dropped_ours_warm": warm.height,
        "dropped_plain": plain_dropped,
        "cache_hits_warm": warm_step.cache_hits,
    }


SUBJECTS = [
    "a binary search tree",
    "photosynthesis",
    "the French Revolution",
    "compound interest",
    "a hash map",
    "the water cycle",
    "inflation",
    "a REST API",
    "gradient descent",
    "the immune system",
    "plate tectonics",
    "a linked list",
    "supply and demand",
    "the Roman Empire",
    "climate change",
    "a sorting algorithm",
    "public key cryptography",
    "the human heart",
    "volcanoes",
    "a neural network",
    "black holes",
    "the stock market",
    "a compiler",
    "vaccines",
    "the printing press",
    "recursion",
    "renewable energy",
    "a database index",
    "the moon landing",
    "jazz music",
    "a bicycle",
    "coffee brewing",
    "chess openings",
    "the Pythagorean theorem",
    "bread baking",
    "a marathon plan",
    "electric cars",
    "honey bees",
    "the Great Wall of China",
    "quantum computing",
    "a resume",
    "time management",
    "ocean tides",
]
ASKS = [
    "Explain {s} to a ten-year-old.",
    "Write three quiz questions about {s}.",
    "Summarize the key ideas of {s} in two sentences.",
    "List common misconceptions about {s}.",
    "Compare {s} with {t}.",
    "Write a short poem about {s}.",
    "Give a step-by-step guide to {s}.",
    "What are the pros and cons of {s}?",
    "Describe the history of {s}.",
    "How would you teach {s} to a beginner?",
]
FORMATS = (
    "",
    " Use bullet points.",
    " Keep it under 100 words.",
    " Add one example.",
    " Be formal.",
)
REWORD = ("Please, ", "Could you ", "In brief: ", "")


def instruction_texts(n: int, seed: int = 0) -> list[str]:
    """`n` instruction-like texts; about one in eight is a light rewording of an earlier one."""
    rng = random.Random(seed)
    distinct = sorted(
        {
            a.format(s=s, t=t) + f
            for a, s, t, f in itertools.product(ASKS, SUBJECTS, SUBJECTS, FORMATS)
            if s != t
        }
    )
    rng.shuffle(distinct)
    fresh = iter(distinct)
    texts: list[str] = []
    while len(texts) < n:
        if texts and rng.random() < 0.125:
            texts.append(rng.choice(REWORD) + rng.choice(texts).rstrip(".?") + ".")
        else:
            texts.append(next(fresh))
    return texts


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=3000)
    args = parser.parse_args()
    result = measure_semantic(instruction_texts(args.n))
    for key, value in result.items():
        print(f"{key}: {value:.3f}" if isinstance(value, float) else f"{key}: {value}")
    print(f"RESULT semantic_dedup_speedup_vs_plain {result['speedup_warm']:.2f} target 2 higher")
    print(
        f"RESULT semantic_dedup_cold_speedup_vs_plain {result['speedup_cold']:.2f} target 2 higher"
    )
    print(
        f"RESULT semantic_dedup_pairwise_speedup {result['pairwise_speedup']:.2f} target 2 higher"
    )


if __name__ == "__main__":
    main()
