"""Word n-gram overlap on Spark, the same rule as `NGRAM_OVERLAP_SQL` in DuckDB: lowercase,
ASCII `\\w+` words (RE2 and Java agree on it), distinct n-grams per row and per benchmark item
(a text shorter than n words gives one gram of all its words), the best item per row by
shared count then benchmark then item_id, and the smallest shared gram as the example."""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

MATCH_SCHEMA = {
    "row_id": pl.String,
    "benchmark": pl.String,
    "item_id": pl.String,
    "shared": pl.Int64,
    "example": pl.String,
}


def _grams(frame: DataFrame, text: str, keys: list[str], n: int) -> DataFrame:
    from pyspark.sql import functions as F

    tokens = frame.select(
        *keys, F.regexp_extract_all(F.lower(F.col(text)), F.lit(r"(\w+)"), 1).alias("toks")
    ).where(F.size("toks") > 0)
    starts = F.sequence(F.lit(1), F.greatest(F.size("toks") - n + 1, F.lit(1)))
    return (
        tokens.select(*keys, "toks", F.explode(starts).alias("i"))
        .select(*keys, F.array_join(F.slice("toks", F.col("i"), F.lit(n)), " ").alias("gram"))
        .distinct()
    )


def ngram_matches_spark(
    spark: SparkSession, corpus: pl.DataFrame, benchmarks: pl.DataFrame, n: int
) -> pl.DataFrame:
    """`row_id, benchmark, item_id, shared, example` for every row sharing a gram with a
    benchmark item (the best item only), from `corpus` (row_id, content)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    from assets.spark_session import to_spark

    if corpus.is_empty() or benchmarks.is_empty():
        return pl.DataFrame(schema=MATCH_SCHEMA)
    row_grams = _grams(to_spark(spark, corpus), "content", ["row_id"], n)
    bench_grams = _grams(to_spark(spark, benchmarks), "text", ["benchmark", "item_id"], n)
    matches = (
        row_grams.join(bench_grams, "gram")
        .groupBy("row_id", "benchmark", "item_id")
        .agg(F.count("*").alias("shared"), F.min("gram").alias("example"))
    )
    best: Column = F.row_number().over(
        Window.partitionBy("row_id").orderBy(F.desc("shared"), "benchmark", "item_id")
    )
    result = matches.withColumn("rank", best).where("rank = 1").drop("rank")
    return pl.from_arrow(result.toArrow()).select(*MATCH_SCHEMA).cast(MATCH_SCHEMA).sort("row_id")
