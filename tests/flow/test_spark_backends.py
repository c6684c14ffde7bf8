"""The Spark backends make exactly the in-process decisions: near dedup (both with and without
verification) and n-gram decontamination, on a few thousand rows in local mode."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from assets.decontamination.benchmarks import humaneval_items
from assets.decontamination.ngram import NgramOverlap
from assets.dedup.near import NearDedupConfig, find_near_duplicates
from assets.filters.text import body
from tests.flow.conftest import SPARK


@pytest.fixture(scope="module")
def corpus() -> pl.DataFrame:
    """2,000 rows: random texts, chains of edited copies (so clusters have several members and
    transitive links) and exact copies, under shuffled hex row ids."""
    rng = np.random.default_rng(11)
    vocab = np.array([f"v{i}" for i in range(4_000)])
    texts: list[str] = []
    for i in range(2_000):
        if i % 4 and texts:
            words = texts[-1].split()
            for pos in rng.integers(0, len(words), size=int(rng.integers(0, 4))):
                words[pos] = str(vocab[rng.integers(0, vocab.size)])
            texts.append(" ".join(words))
        else:
            texts.append(" ".join(vocab[rng.integers(0, vocab.size, int(rng.integers(8, 70)))]))
    ids = [f"{x:032x}" for x in rng.permutation(1 << 20)[: len(texts)]]
    return pl.DataFrame(
        {
            "row_id": ids,
            "kind": "instruction",
            "instruction": texts,
            "input": None,
            "response": None,
            "text": None,
        },
        schema_overrides={c: pl.String for c in ("input", "response", "text")},
    )


@pytest.mark.parametrize("verify", [False, True])
def test_near_dedup_on_spark_drops_the_same_rows_for_the_same_representatives(
    spark, corpus, verify
):
    local = find_near_duplicates(corpus, NearDedupConfig(verify=verify))
    on_spark = find_near_duplicates(corpus, NearDedupConfig(verify=verify, backend="spark"), SPARK)
    assert local.height > 250
    assert local["cluster_size"].max() > 2
    assert on_spark.equals(local)


def test_ngram_decontamination_on_spark_matches_duckdb(spark, corpus):
    humaneval = humaneval_items()
    planted = corpus.with_columns(
        pl.when(pl.int_range(pl.len()) % 40 == 0)
        .then(pl.col("instruction") + " " + pl.lit(humaneval["text"][5]))
        .when(pl.int_range(pl.len()) % 40 == 1)
        .then(pl.lit(" ".join(humaneval["text"][9].split()[:8])))
        .otherwise(pl.col("instruction"))
        .alias("instruction")
    )
    texts = planted.select("row_id", body().alias("content"))
    local = NgramOverlap(humaneval).matches(texts).sort("row_id")
    on_spark = NgramOverlap(humaneval, backend="spark", spark=SPARK).matches(texts)
    assert local.height >= 2_000 // 40
    assert on_spark.equals(local.cast(on_spark.schema))
