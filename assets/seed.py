"""The seed corpus: the recipe's seed sources, normalized, with bad records quarantined."""

import dagster as dg
import polars as pl

from assets.resources import RecipeResource
from assets.seed_readers import SeedSourceError, read_sources
from assets.staging import stage
from warehouse.corpora import now
from warehouse.lineage import register_generators
from warehouse.resource import WarehouseResource
from warehouse.rows import conform, merge_identical_rows, with_row_ids


@dg.asset(
    group_name="corpora",
    kinds={"duckdb", "polars"},
    description="Seed rows from the recipe's sources: JSONL, Parquet, CSV files and Hub datasets.",
)
def seed(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, recipe: RecipeResource
) -> dg.MaterializeResult:
    wh = warehouse.get()
    plan = recipe.load(wh.home)
    try:
        read = read_sources(plan.seed, wh.home)
    except SeedSourceError as exc:
        raise dg.Failure(description=str(exc)) from None
    for warning in read.warnings:
        context.log.warning(warning)
    for decision in read.quarantined.head(20).iter_rows(named=True):
        context.log.warning(f"quarantined ({decision['rule']}): {decision['evidence']}")
    if read.rows.is_empty():
        raise dg.Failure(
            description=f"no usable seed rows; {read.quarantined.height} records quarantined "
            f"(see the decisions table, stage 'seed')"
        )
    rows = with_row_ids(conform(read.rows)).with_columns(
        pl.concat_list("row_id").alias("seed_ids"),
        pl.lit([], dtype=pl.List(pl.String)).alias("parent_ids"),
        pl.lit([], dtype=pl.List(pl.String)).alias("call_ids"),
        pl.lit("seed").alias("method"),
        pl.lit(context.run_id).alias("run_id"),
        pl.lit(now()).alias("created_at"),
    )
    rows, merged = merge_identical_rows(
        rows, stage="seed", rule="duplicate_seed", describe=("source", "source_line")
    )
    register_generators(wh, read.generators)
    return stage(
        context,
        wh,
        "seed",
        rows,
        decisions=pl.concat([read.quarantined, merged]),
        parents=[],
        recipe=plan,
        rows_in=rows.height + read.quarantined.height + merged.height,
        metadata={
            "quarantined": dg.MetadataValue.int(read.quarantined.height),
            "warnings": dg.MetadataValue.json(read.warnings),
            "sources": dg.MetadataValue.json(sorted({g.model for g in read.generators if g.model})),
        },
    )
