"""The filtered corpus: heuristic quality filters, exact and near deduplication."""

import dagster as dg

from assets.filters.base import run_filters
from assets.filters.pipeline import build_filters
from assets.filters.semantic_dedup import SemanticDedup
from assets.recipe import RecipeResource
from assets.staging import json_metadata, read_current, stage
from warehouse.resource import WarehouseResource


@dg.asset(
    group_name="corpora",
    kinds={"duckdb", "polars"},
    deps=["synthesized"],
    description="The current synthesized version after heuristic filters and exact, near and "
    "(when enabled) semantic dedup.",
)
def filtered(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, recipe: RecipeResource
) -> dg.MaterializeResult:
    wh = warehouse.get()
    plan = recipe.load(wh.home)
    parent, rows = read_current(wh, "synthesized")
    steps = build_filters(plan.filters, plan.dedup, plan.spark, wh)
    kept, decisions = run_filters(rows, steps, stage="filtered")
    semantic = [
        {"clusters": s.clusters_used, "encoded": s.encoded, "embedding_cache_hits": s.cache_hits}
        for s in steps
        if isinstance(s, SemanticDedup)
    ]
    return stage(
        context,
        wh,
        "filtered",
        kept,
        decisions=decisions,
        parents=[parent],
        recipe=plan,
        rows_in=rows.height,
        metadata={"semantic_dedup": json_metadata(semantic[0])} if semantic else None,
    )
