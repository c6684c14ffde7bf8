"""The filtered corpus: heuristic quality filters and exact deduplication."""

import dagster as dg

from assets.filters.base import run_filters
from assets.filters.pipeline import build_filters
from assets.recipe import RecipeResource
from assets.staging import read_current, stage
from warehouse.resource import WarehouseResource


@dg.asset(
    group_name="corpora",
    kinds={"duckdb", "polars"},
    deps=["synthesized"],
    description="The current synthesized version after heuristic filters, exact dedup and "
    "(when enabled) semantic dedup.",
)
def filtered(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, recipe: RecipeResource
) -> dg.MaterializeResult:
    wh = warehouse.get()
    plan = recipe.load(wh.home)
    parent, rows = read_current(wh, "synthesized")
    kept, decisions = run_filters(rows, build_filters(plan.filters, wh), stage="filtered")
    return stage(
        context,
        wh,
        "filtered",
        kept,
        decisions=decisions,
        parents=[parent],
        recipe=plan,
        rows_in=rows.height,
    )
