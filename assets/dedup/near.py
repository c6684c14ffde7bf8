"""The near-dedup filter step: MinHash/LSH clusters, the smallest row_id of each stays."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Literal

import polars as pl
from pydantic import Field, model_validator

from assets.dedup.clusters import near_duplicates
from assets.dedup.evidence import duplicate_decisions
from assets.dedup.minhash import MinHashParams, optimal_bands
from assets.filters.text import body
from assets.spark_session import SparkConfig
from assets.steps import CorpusFilter, CorpusState
from warehouse.settings import Strict

if TYPE_CHECKING:
    from assets.stage_setup import StageSetup


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
    params = minhash_params(config)
    ordered = rows.select("row_id", body().alias("content")).sort("row_id")
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

    @classmethod
    def configured(cls, setup: StageSetup) -> list[NearDedup]:
        near = setup.dedup.near
        return [cls(near, setup.spark)] if near.enabled else []

    def flag(self, rows: pl.DataFrame) -> pl.DataFrame:
        found = find_near_duplicates(rows, self.config, self.spark)
        params = minhash_params(self.config)
        return duplicate_decisions(
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
