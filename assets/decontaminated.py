"""The decontaminated corpus: rows overlapping a benchmark item are removed."""

import dagster as dg
import polars as pl

from assets.decontamination.benchmarks import BenchmarkError, load_benchmarks
from assets.decontamination.ngram import NgramOverlap
from assets.filters.base import run_filters
from assets.recipe import RecipeResource
from assets.staging import json_metadata, read_current, stage
from warehouse.resource import WarehouseResource


@dg.asset(
    group_name="corpora",
    kinds={"duckdb", "polars"},
    deps=["filtered"],
    description="The current filtered version without rows that overlap benchmark items.",
)
def decontaminated(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, recipe: RecipeResource
) -> dg.MaterializeResult:
    wh = warehouse.get()
    plan = recipe.load(wh.home)
    parent, rows = read_current(wh, "filtered")
    try:
        benchmarks = load_benchmarks(plan.decontamination.benchmarks, wh.home)
    except BenchmarkError as exc:
        raise dg.Failure(description=str(exc)) from None
    detectors = [
        NgramOverlap(
            benchmarks,
            n=plan.decontamination.ngram_size,
            backend=plan.decontamination.ngram_backend,
            spark=plan.spark,
        )
    ]
    kept, decisions = run_filters(rows, detectors, stage="decontaminated")
    matched = decisions.select(
        pl.col("evidence").str.json_path_match("$.benchmark").alias("benchmark")
    )
    per_benchmark = dict(matched.group_by("benchmark").len().iter_rows())
    return stage(
        context,
        wh,
        "decontaminated",
        kept,
        decisions=decisions,
        parents=[parent],
        recipe=plan,
        rows_in=rows.height,
        metadata={
            "benchmarks": json_metadata(dict(benchmarks.group_by("benchmark").len().iter_rows())),
            "contaminated_by_benchmark": json_metadata(per_benchmark),
        },
    )
