"""The near-dedup filter step: MinHash/LSH clusters, the smallest row_id of each stays."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Literal

import numpy as np
import polars as pl
from pydantic import Field, model_validator

from assets.dedup.clusters import components, near_duplicates
from assets.dedup.evidence import duplicate_decisions
from assets.dedup.minhash import (
    MinHashParams,
    band_hashes,
    estimated_jaccard,
    optimal_bands,
    shingle_hashes,
    signatures,
)
from assets.filters.text import body
from assets.run_context import RunContext
from assets.spark_session import SparkConfig
from assets.steps import CorpusDecision, CorpusFilter, CorpusState
from warehouse.settings import Strict

if TYPE_CHECKING:
    from assets.spill import Spill


class NearDedupConfig(Strict):
    """MinHash with LSH banding; clusters are connected components of candidate pairs and the
    smallest row_id of a cluster stays."""

    enabled: bool = True
    threshold: float = Field(
        default=0.8, gt=0.0, lt=1.0, description="Target Jaccard similarity of shingle sets."
    )
    shingle: Literal["word", "char"] = "word"
    shingle_size: int = Field(default=5, ge=1, le=64)
    num_perm: int = Field(default=128, ge=8, le=1024)
    bands: int | None = Field(
        default=None, gt=0, description="With `rows`: explicit banding; default: optimal_param."
    )
    rows: int | None = Field(default=None, gt=0)
    seed: int = Field(default=42, ge=0, description="Seeds the permutations (a*x+b mod p).")
    verify: bool = Field(
        default=False,
        description="Keep only candidate pairs whose true shingle Jaccard reaches the threshold.",
    )
    backend: Literal["local", "spark"] = "local"

    @model_validator(mode="after")
    def _banding(self) -> NearDedupConfig:
        if (self.bands is None) != (self.rows is None):
            raise ValueError("give both bands and rows, or neither (then they follow threshold)")
        if (
            self.bands is not None
            and self.rows is not None
            and self.bands * self.rows > self.num_perm
        ):
            raise ValueError(
                f"bands*rows = {self.bands * self.rows} is more than num_perm = {self.num_perm}"
            )
        return self


def minhash_params(config: NearDedupConfig) -> MinHashParams:
    """The recipe's parameters; bands x rows from the threshold unless given."""
    if config.bands is not None and config.rows is not None:
        bands, rows = config.bands, config.rows
    else:
        bands, rows = optimal_bands(config.threshold, config.num_perm)
    return MinHashParams(
        shingle=config.shingle,
        shingle_size=config.shingle_size,
        num_perm=config.num_perm,
        bands=bands,
        rows=rows,
        seed=config.seed,
    )


def find_near_duplicates(
    rows: pl.DataFrame, config: NearDedupConfig, spark: SparkConfig | None = None
) -> pl.DataFrame:
    """`row_id`, `duplicate_of`, `similarity`, `cluster_size` of each row to drop, by row_id,
    on the recipe's backend. The text compared is all of a row's content columns."""
    return near_duplicates_of_texts(
        rows.select("row_id", body().alias("content")).sort("row_id"), config, spark
    )


def near_duplicates_of_texts(
    ordered: pl.DataFrame, config: NearDedupConfig, spark: SparkConfig | None = None
) -> pl.DataFrame:
    """`find_near_duplicates` on `row_id, content` in row_id order."""
    params = minhash_params(config)
    if config.backend == "spark":
        from assets.dedup.near_spark import near_duplicates_spark
        from assets.spark_session import spark_session

        return near_duplicates_spark(
            spark_session(spark or SparkConfig()), ordered, params, config.threshold, config.verify
        )
    found = near_duplicates(ordered["content"], params, config.threshold, config.verify)
    ids = ordered["row_id"]
    return pl.DataFrame(
        {
            "row_id": ids.gather(found["doc"]),
            "duplicate_of": ids.gather(found["representative"]),
            "similarity": found["similarity"],
            "cluster_size": found["cluster_size"],
        }
    ).sort("row_id")


# Each member of an LSH bucket (band, band hash) of several rows, linked to the bucket's
# smallest row_id: the same connected components as every pair in the bucket, linear in size.
_BUCKET_LINKS_SQL = """
WITH buckets AS (
    SELECT band, bh, min(row_id) AS left_id, arg_min(idx, row_id) AS left_idx
    FROM near_bands GROUP BY band, bh HAVING count(*) > 1
)
SELECT DISTINCT k.left_id, k.left_idx, b.row_id AS right_id, b.idx AS right_idx
FROM near_bands AS b JOIN buckets AS k USING (band, bh)
WHERE b.row_id <> k.left_id
"""


def banded_near_duplicates(spill: Spill, params: MinHashParams) -> pl.DataFrame:
    """`find_near_duplicates` (local, unverified) from the compact state `NearDedup` keeps:
    LSH band hashes in the spill's DuckDB, signatures in a memory-mapped array."""
    empty = pl.DataFrame(
        schema={
            "row_id": pl.String,
            "duplicate_of": pl.String,
            "similarity": pl.Float64,
            "cluster_size": pl.UInt32,
        }
    )
    if not spill.has_state("near_bands"):
        return empty
    links = spill.con.sql(_BUCKET_LINKS_SQL).pl()
    if links.is_empty():
        return empty
    # Nodes are the rows in some link, numbered in row_id order, so the smallest node of a
    # component is its smallest row_id, the rule of the in-memory path.
    nodes = (
        pl.concat(
            [
                links.select(row_id="left_id", idx="left_idx"),
                links.select(row_id="right_id", idx="right_idx"),
            ]
        )
        .unique("row_id")
        .sort("row_id")
    )
    number = nodes.with_row_index("node").select("row_id", "node")
    pairs = (
        links.join(number.rename({"row_id": "left_id", "node": "left"}), on="left_id")
        .join(number.rename({"row_id": "right_id", "node": "right"}), on="right_id")
        .select("left", "right")
        .cast({"left": pl.UInt32, "right": pl.UInt32})
    )
    representative = components(nodes.height, pairs)
    frame = pl.DataFrame(
        {
            "row_id": nodes["row_id"],
            "idx": nodes["idx"],
            "rep": representative,
        }
    ).with_columns(pl.len().over("rep").cast(pl.UInt32).alias("cluster_size"))
    dropped = frame.with_row_index("node").filter(pl.col("node") != pl.col("rep"))
    sig = spill.stored_array("near_signatures")
    rep_idx = nodes["idx"].to_numpy()[dropped["rep"].to_numpy()]
    similarity = estimated_jaccard(sig, dropped["idx"].to_numpy(), rep_idx)
    return dropped.select(
        "row_id",
        nodes["row_id"].gather(dropped["rep"]).alias("duplicate_of"),
        pl.Series("similarity", similarity, dtype=pl.Float64),
        "cluster_size",
    ).sort("row_id")


@dataclass(frozen=True)
class NearDedup(CorpusFilter):
    """MinHash/LSH clusters of the whole version; all but the smallest row_id of a cluster
    are dropped."""

    config: NearDedupConfig
    spark: SparkConfig | None = None
    name: str = "near_duplicate"
    state: ClassVar[CorpusState] = CorpusState(
        {
            "row_id": pl.String(),
            "signature": pl.List(pl.UInt32()),
            "band_hashes": pl.List(pl.UInt64()),
        },
        "the row's MinHash signature and one LSH hash per band (with `verify`, also its "
        "shingle hashes)",
    )

    Config: ClassVar[type[Strict]] = NearDedupConfig
    config_key: ClassVar[str] = "near"

    @classmethod
    def from_config(cls, config: NearDedupConfig, run: RunContext) -> list[NearDedup]:
        return [cls(config, run.spark)] if config.enabled else []

    streamed: ClassVar[bool] = True

    @property
    def banded(self) -> bool:
        """Whether the compact state suffices: local and unverified. Verification compares
        shingle sets and Spark takes the texts, so those keep `row_id, content`."""
        return self.config.backend == "local" and not self.config.verify

    def observe(self, batch: pl.DataFrame, spill: Spill) -> None:
        texts = batch.select("row_id", body().alias("content"))
        if not self.banded:
            spill.append_state("near_texts", texts)
            return
        params = minhash_params(self.config)
        n = texts.height
        shingles = shingle_hashes(texts["content"], params.shingle, params.shingle_size)
        sig = signatures(shingles, n, params)
        signatures_seen = spill.array("near_signatures", params.num_perm, np.uint32)
        first = signatures_seen.rows
        signatures_seen.append(sig)
        # Rows without a shingle (no text) are in no bucket, as in the in-memory path.
        active = np.unique(shingles["doc"].to_numpy())
        bands = band_hashes(sig[active], params.bands, params.rows)
        spill.append_state(
            "near_bands",
            pl.DataFrame(
                {
                    "row_id": texts["row_id"].gather(np.repeat(active, params.bands)),
                    "idx": np.repeat(active.astype(np.int64) + first, params.bands),
                    "band": np.tile(np.arange(params.bands, dtype=np.uint16), active.size),
                    "bh": bands.reshape(-1),
                }
            ),
        )

    def decide(self, spill: Spill) -> CorpusDecision:
        if self.banded:
            found = banded_near_duplicates(spill, minhash_params(self.config))
        elif spill.has_state("near_texts"):
            texts = spill.con.sql("SELECT row_id, content FROM near_texts ORDER BY row_id").pl()
            found = near_duplicates_of_texts(texts, self.config, self.spark)
        else:
            return CorpusDecision()
        params = minhash_params(self.config)
        return CorpusDecision(
            duplicate_decisions(
                found.with_columns(pl.col("duplicate_of").alias("cluster_id")),
                rule=self.name,
                method="near_dedup",
                similarity_kind="jaccard" if self.config.verify else "estimated_jaccard",
                params={
                    "threshold": self.config.threshold,
                    "shingle": self.config.shingle,
                    "shingle_size": params.shingle_size,
                    "num_perm": params.num_perm,
                    "bands": params.bands,
                    "rows": params.rows,
                    "seed": params.seed,
                    "verify": self.config.verify,
                    "backend": self.config.backend,
                },
            )
        )
