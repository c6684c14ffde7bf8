"""Word n-gram overlap between corpus rows and benchmark items, computed in DuckDB: the
`ngram` detector of the decontaminated stage."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

import polars as pl
from pydantic import Field

from assets.filters.text import body
from assets.run_context import RunContext
from assets.spark_session import SparkConfig
from assets.steps import RowStep, StepOutput
from warehouse.scratch import scratch
from warehouse.settings import Strict


class NgramConfig(Strict):
    """Word n-grams shared with a benchmark item (on by default)."""

    enabled: bool = True
    n: int = Field(default=13, ge=3, le=50, description="Words per n-gram.")
    backend: Literal["local", "spark"] = Field(
        default="local", description="local: DuckDB in process; spark: the `spark` section."
    )


# Texts shorter than n words contribute one n-gram of all their words, so a short benchmark
# item copied whole is still caught.
#
# First pass, over every row of a batch: the rows with an n-gram whose hash is among the
# benchmark n-grams' hashes. It streams (a semi-join whose build side is the small benchmark
# set), so its memory does not grow with the batch; the exact query below then runs on these
# few candidates only. Equal n-grams have equal hashes, so no match is lost.
#
# An n-gram's hash is the hash of its tokens' hashes: hashing each token once and then lists
# of 13 integers costs half as much as joining 13 words into a string at every position.
NGRAM_CANDIDATES_SQL = """
WITH bench_tokens AS (
    SELECT list_transform(regexp_extract_all(lower(text), '\\w+'), lambda t: hash(t)) AS hs
    FROM benchmarks
),
bench_hashes AS (
    SELECT DISTINCT hash(hs[i : least(i + $n - 1, len(hs))]) AS h
    FROM (SELECT *, unnest(range(1, greatest(len(hs) - $n + 2, 2))) AS i FROM bench_tokens WHERE len(hs) > 0)
),
row_tokens AS (
    SELECT row_id, list_transform(regexp_extract_all(lower(content), '\\w+'), lambda t: hash(t)) AS hs
    FROM corpus
)
SELECT DISTINCT row_id
FROM (SELECT *, unnest(range(1, greatest(len(hs) - $n + 2, 2))) AS i FROM row_tokens WHERE len(hs) > 0)
WHERE hash(hs[i : least(i + $n - 1, len(hs))]) IN (SELECT h FROM bench_hashes)
"""
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
class NgramOverlap(RowStep):
    """Annotates each row with the benchmark item it shares most word n-grams with
    (`ng_benchmark`, `ng_item_id`, `ng_shared`, `ng_example`; null when none) and `ngram`,
    whether it shares any."""

    benchmarks: pl.DataFrame
    n: int = 13
    name: str = "ngram"
    backend: Literal["local", "spark"] = "local"
    spark: SparkConfig | None = None
    Config: ClassVar[type[Strict]] = NgramConfig
    config_key: ClassVar[str] = "ngram"
    # Its settings were flat keys of `decontamination` before each detector had a section.
    legacy_keys: ClassVar[dict[str, str]] = {"ngram_size": "n", "ngram_backend": "backend"}
    columns: ClassVar[dict[str, pl.DataType]] = {
        "ng_benchmark": pl.String(),
        "ng_item_id": pl.String(),
        "ng_shared": pl.Int64(),
        "ng_example": pl.String(),
        "ngram": pl.Boolean(),
    }

    @classmethod
    def from_config(cls, config: NgramConfig, run: RunContext) -> list[NgramOverlap]:
        if not config.enabled:
            return []
        return [cls(run.benchmark_items(), n=config.n, backend=config.backend, spark=run.spark)]

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
        with scratch() as con:
            con.register("benchmarks", benchmarks.to_arrow())
            con.register("corpus", corpus.to_arrow())
            found = con.sql(NGRAM_CANDIDATES_SQL, params={"n": self.n}).pl()
            con.unregister("corpus")
            con.register("corpus", corpus.join(found, on="row_id", how="semi").to_arrow())
            return con.sql(NGRAM_OVERLAP_SQL, params={"n": self.n}).pl()

    def apply(self, rows: pl.DataFrame) -> StepOutput:
        found = self.matches(rows.select("row_id", body().alias("content"))).select(
            "row_id",
            pl.col("benchmark").alias("ng_benchmark"),
            pl.col("item_id").alias("ng_item_id"),
            pl.col("shared").alias("ng_shared"),
            pl.col("example").alias("ng_example"),
        )
        annotated = rows.join(found, on="row_id", how="left", maintain_order="left")
        return StepOutput(annotated.with_columns(pl.col("ng_shared").is_not_null().alias("ngram")))
