"""The filtered corpus: PII redaction, language identification, heuristic quality rule sets,
then exact, near and semantic deduplication."""

import dagster as dg
import polars as pl

from assets.filters.base import run_filters
from assets.filters.judge_score import score_rows
from assets.filters.pipeline import build_filters, prepare_rows
from assets.filters.semantic_dedup import SemanticDedup
from assets.resources import RecipeResource
from assets.staging import json_metadata, model_context, read_current, stage
from warehouse.resource import WarehouseResource


@dg.asset(
    group_name="corpora",
    kinds={"duckdb", "polars"},
    deps=["synthesized"],
    description=(
        "The current synthesized version with personal data redacted, languages identified, "
        "after heuristic filters (Gopher, C4, self-instruct rule sets) and exact, near and "
        "(when enabled) semantic dedup and judge scores."
    ),
)
def filtered(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, recipe: RecipeResource
) -> dg.MaterializeResult:
    wh = warehouse.get()
    plan = recipe.load(wh.home)
    parent, rows = read_current(wh, "synthesized")
    prepared, redactions, summary = prepare_rows(rows, plan.filters, stage="filtered")
    steps = build_filters(plan.filters, plan.dedup, plan.spark, wh)
    kept, decisions = run_filters(prepared, steps, stage="filtered")
    ctx = model_context(context, wh, plan)
    # Last: the judge's paid calls go only to rows every other step kept.
    judged = score_rows(kept, plan.filters.judge, ctx, stage="filtered")
    semantic = [
        {"clusters": s.clusters_used, "encoded": s.encoded, "embedding_cache_hits": s.cache_hits}
        for s in steps
        if isinstance(s, SemanticDedup)
    ]
    return stage(
        context,
        wh,
        "filtered",
        judged.rows,
        decisions=pl.concat([redactions, decisions, judged.decisions]),
        parents=[parent],
        recipe=plan,
        rows_in=rows.height,
        metadata={
            "pii": json_metadata(summary["pii"]),
            "languages": json_metadata(summary["languages"]),
            **({"semantic_dedup": json_metadata(semantic[0])} if semantic else {}),
            **({"judge": json_metadata(judged.summary)} if judged.summary else {}),
        },
    )
