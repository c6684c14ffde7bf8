"""Word n-gram overlap between corpus rows and benchmark items, computed in DuckDB."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import duckdb
import polars as pl

from assets.filters.base import body
from assets.spark_session import SparkConfig

# Texts shorter than n words contribute one n-gram of all their words, so a short benchmark
# item copied whole is still caught.
NGRAM_OVERLAP_SQL = """
WITH bench_tokens AS (
    SELECT benchmark, item_id, regexp_extract_all(lower(text), '\\w+') AS toks FROM benchmarks
),
bench_grams AS (
    SELECT DISTINCT benchmark, item_id, array_to_string(toks[i : least(i + $n - 1, len(toks))], ' ') AS gram
    FROM (SELECT *, unnest(range(1, greatest(len(toks) - $n + 2, 2))) AS i FROM bench_tokens WHERE len(toks) > 0)
),
row_tokens AS (
    SELECT row_id, regexp_extract_all(lower(content), '\\w+') AS toks FROM corpus
),
row_grams AS (
    SELECT DISTINCT row_id, array_to_string(toks[i : least(i + $n - 1, len(toks))], ' ') AS gram
    FROM (SELECT *, unnest(range(1, greatest(len(toks) - $n + 2, 2))) AS i FROM row_tokens WHERE len(toks) > 0)
),
matches AS (
    SELECT r.row_id, b.benchmark, b.item_id, count(*) AS shared, min(r.gram) AS example
    FROM row_grams AS r JOIN bench_grams AS b USING (gram)
    GROUP BY ALL
)
SELECT row_id, benchmark, item_id, shared, example
FROM matches
QUALIFY row_number() OVER (PARTITION BY row_id ORDER BY shared DESC, benchmark, item_id) = 1
ORDER BY row_id
"""


@dataclass(frozen=True)
class NgramOverlap:
    """Drops a row that shares at least one word n-gram with a benchmark item."""

    benchmarks: pl.DataFrame
    n: int = 13
    name: str = "benchmark_ngram_overlap"
    backend: Literal["local", "spark"] = "local"
    spark: SparkConfig | None = None

    def matches(self, corpus: pl.DataFrame) -> pl.DataFrame:
        """Per row of `corpus` (`row_id`, `content`) sharing an n-gram with a benchmark item:
        the item sharing most (`benchmark`, `item_id`), the count (`shared`), one `example`;
        on the chosen backend."""
        corpus = corpus.select("row_id", "content")
        benchmarks = self.benchmarks.select("benchmark", "item_id", "text")
        if self.backend == "spark":
            from assets.decontamination.ngram_spark import ngram_matches_spark
            from assets.spark_session import spark_session

            spark = spark_session(self.spark or SparkConfig())
            return ngram_matches_spark(spark, corpus, benchmarks, self.n)
        with duckdb.connect() as con:
            con.register("benchmarks", benchmarks.to_arrow())
            con.register("corpus", corpus.to_arrow())
            return con.sql(NGRAM_OVERLAP_SQL, params={"n": self.n}).pl()

    def flag(self, rows: pl.DataFrame) -> pl.DataFrame:
        matches = self.matches(rows.select("row_id", body().alias("content")))
        return matches.select(
            "row_id",
            pl.lit(self.name).alias("rule"),
            pl.col("shared").cast(pl.Float64).alias("score"),
            pl.struct(
                benchmark=pl.col("benchmark"),
                item_id=pl.col("item_id"),
                detector=pl.lit("ngram"),
                n=pl.lit(self.n),
                shared_ngrams=pl.col("shared"),
                example_ngram=pl.col("example"),
            )
            .struct.json_encode()
            .alias("evidence"),
        )
