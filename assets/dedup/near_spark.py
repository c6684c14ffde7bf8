"""Near dedup on Spark: the same shingles, hashes, permutations, bands, components and
representative rule as `assets.dedup.clusters`, so both backends drop the same rows.

Signatures are computed per Arrow batch by the very functions of `assets.dedup.minhash`
(documents are independent, so batching cannot change them); bucketing, verification,
connected components and similarities run as Spark joins and aggregations keyed by row_id.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np
import polars as pl
import pyarrow as pa

from assets.dedup.minhash import MinHashParams, band_hashes, shingle_hashes, signatures

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

SIGNED_SCHEMA = (
    "row_id string, sig array<bigint>, bands array<bigint>, shingles array<bigint>, active boolean"
)
RESULT_SCHEMA = {
    "row_id": pl.String,
    "duplicate_of": pl.String,
    "similarity": pl.Float64,
    "cluster_size": pl.UInt32,
}


def sign_batches(
    batches: Iterator[pa.RecordBatch], params: MinHashParams, keep_shingles: bool
) -> Iterator[pa.RecordBatch]:
    """mapInArrow body: (row_id, content) -> signature, band hashes (as signed 64-bit: Spark
    has no unsigned types, equality is all that matters) and optionally the shingle set."""
    for batch in batches:
        texts = pl.from_arrow(batch.column("content")).cast(pl.String)
        n_docs = len(texts)
        shingles = shingle_hashes(texts, params.shingle, params.shingle_size)
        sig = signatures(shingles, n_docs, params)
        bands = band_hashes(sig, params.bands, params.rows).view(np.int64)
        active = np.zeros(n_docs, dtype=bool)
        active[shingles["doc"].to_numpy()] = True
        per_doc = (
            shingles.group_by("doc").agg(pl.col("h").cast(pl.Int64))
            if keep_shingles
            else pl.DataFrame(schema={"doc": pl.UInt32, "h": pl.List(pl.Int64)})
        )
        sets = (
            pl.DataFrame({"doc": np.arange(n_docs, dtype=np.uint32)})
            .join(per_doc, on="doc", how="left")
            .sort("doc")["h"]
        )
        yield pa.RecordBatch.from_pydict(
            {
                "row_id": batch.column("row_id"),
                "sig": pa.array(list(sig.astype(np.int64)), type=pa.list_(pa.int64())),
                "bands": pa.array(list(bands), type=pa.list_(pa.int64())),
                "shingles": sets.to_arrow().cast(pa.list_(pa.int64())),
                "active": pa.array(active),
            }
        )


def _candidate_pairs(signed: DataFrame, all_pairs: bool) -> DataFrame:
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    buckets = signed.where("active").select("row_id", F.posexplode("bands").alias("band", "bh"))
    if all_pairs:
        left, right = buckets.alias("l"), buckets.alias("r")
        return (
            left.join(right, ["band", "bh"])
            .where(F.col("l.row_id") < F.col("r.row_id"))
            .select(F.col("l.row_id").alias("left"), F.col("r.row_id").alias("right"))
            .distinct()
        )
    smallest = F.min("row_id").over(Window.partitionBy("band", "bh"))
    return (
        buckets.select(smallest.alias("left"), F.col("row_id").alias("right"))
        .where(F.col("left") != F.col("right"))
        .distinct()
    )


def _jaccard(signed: DataFrame, pairs: DataFrame) -> DataFrame:
    """pairs (left, right) + `jaccard` of their shingle sets, with the in-process arithmetic."""
    from pyspark.sql import functions as F

    members = signed.select("row_id", F.explode("shingles").alias("h"))
    sizes = signed.select("row_id", F.size("shingles").alias("size"))
    shared = (
        pairs.join(members.withColumnRenamed("row_id", "left"), "left")
        .join(members.withColumnRenamed("row_id", "right"), ["right", "h"])
        .groupBy("left", "right")
        .agg(F.count("*").alias("shared"))
    )
    union = F.col("left_size") + F.col("right_size") - F.col("shared")
    return (
        pairs.join(shared, ["left", "right"], "left")
        .fillna(0, ["shared"])
        .join(sizes.toDF("left", "left_size"), "left")
        .join(sizes.toDF("right", "right_size"), "right")
        .select("left", "right", (F.col("shared") / F.greatest(union, F.lit(1))).alias("jaccard"))
    )


def smallest_in_component(pairs: DataFrame) -> DataFrame:
    """(node, label): label is the smallest row_id of the node's connected component, by
    min-label propagation with pointer jumping until no label changes."""
    from pyspark.sql import functions as F

    edges = pairs.select(F.col("left").alias("src"), F.col("right").alias("dst")).union(
        pairs.select(F.col("right").alias("src"), F.col("left").alias("dst"))
    )
    edges = edges.localCheckpoint()
    labels = edges.groupBy("src").agg(F.least(F.min("dst"), F.first("src")).alias("label"))
    labels = labels.withColumnRenamed("src", "node").localCheckpoint()
    while True:
        from_neighbours = (
            edges.join(labels.withColumnRenamed("node", "dst"), "dst")
            .groupBy("src")
            .agg(F.min("label").alias("seen"))
            .withColumnRenamed("src", "node")
        )
        spread = labels.join(from_neighbours, "node", "left").select(
            "node", F.least("label", "seen").alias("label")
        )
        jumped = (
            spread.alias("a")
            .join(spread.alias("b"), F.col("a.label") == F.col("b.node"), "left")
            .select(
                F.col("a.node").alias("node"),
                F.least(F.col("a.label"), F.col("b.label")).alias("label"),
            )
            .localCheckpoint()
        )
        changed = (
            jumped.join(labels.withColumnRenamed("label", "old"), "node")
            .where(F.col("label") != F.col("old"))
            .limit(1)
            .count()
        )
        labels = jumped
        if changed == 0:
            return labels


def near_duplicates_spark(
    spark: SparkSession,
    frame: pl.DataFrame | DataFrame,
    params: MinHashParams,
    threshold: float,
    verify: bool,
) -> pl.DataFrame:
    """Rows to drop from `frame` (`row_id`, `content`; a Polars frame or a Spark DataFrame read
    from Parquet): `row_id`, `duplicate_of`, `similarity`, `cluster_size`, sorted by row_id."""
    from pyspark.sql import functions as F

    from assets.spark_session import to_spark

    source = (
        to_spark(spark, frame.select("row_id", "content"))
        if isinstance(frame, pl.DataFrame)
        else frame.select("row_id", "content")
    )
    signed = source.mapInArrow(
        lambda batches: sign_batches(batches, params, keep_shingles=verify), SIGNED_SCHEMA
    ).localCheckpoint()
    pairs = _candidate_pairs(signed, all_pairs=verify)
    if verify:
        pairs = _jaccard(signed, pairs).where(F.col("jaccard") >= threshold).select("left", "right")
    pairs = pairs.localCheckpoint()
    if pairs.limit(1).count() == 0:
        return pl.DataFrame(schema=RESULT_SCHEMA)
    labels = smallest_in_component(pairs)
    sizes = labels.groupBy("label").agg(F.count("*").alias("cluster_size"))
    dropped = (
        labels.where(F.col("node") != F.col("label"))
        .join(sizes, "label")
        .select(F.col("node").alias("left"), F.col("label").alias("right"), "cluster_size")
    )
    if verify:
        scored = _jaccard(signed, dropped.select("left", "right")).withColumnRenamed(
            "jaccard", "similarity"
        )
    else:
        sig = signed.select("row_id", "sig")
        equal = F.aggregate(
            F.zip_with("l_sig", "r_sig", lambda x, y: F.when(x == y, 1).otherwise(0)),
            F.lit(0),
            lambda acc, x: acc + x,
        )
        scored = (
            dropped.select("left", "right")
            .join(sig.toDF("left", "l_sig"), "left")
            .join(sig.toDF("right", "r_sig"), "right")
            .select("left", "right", (equal / F.lit(params.num_perm)).alias("similarity"))
        )
    result = dropped.join(scored, ["left", "right"]).select(
        F.col("left").alias("row_id"),
        F.col("right").alias("duplicate_of"),
        "similarity",
        "cluster_size",
    )
    return pl.from_arrow(result.toArrow()).cast(RESULT_SCHEMA).sort("row_id")
