"""The filtered corpus: PII redaction, language identification, heuristic quality rule sets,
plug-in filters, then exact, near and semantic deduplication and judge scores."""

import dagster as dg

from assets.execution import run_stage
from assets.filters.pipeline import filtered_steps
from assets.resources import RecipeResource
from assets.stage_setup import StageSetup
from assets.staging import model_context, read_current, stage, stats_metadata
from warehouse.resource import WarehouseResource


@dg.asset(
    group_name="corpora",
    kinds={"duckdb", "polars"},
    deps=["synthesized"],
    description=(
        "The current synthesized version with personal data redacted, languages identified, "
        "after heuristic filters (Gopher, C4, self-instruct rule sets), plug-in filters and "
        "exact, near and (when enabled) semantic dedup and judge scores."
    ),
)
def filtered(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, recipe: RecipeResource
) -> dg.MaterializeResult:
    wh = warehouse.get()
    plan = recipe.load(wh.home)
    parent, rows = read_current(wh, "synthesized")
    setup = StageSetup.of(plan, model_context(context, wh, plan))
    result = run_stage(rows, filtered_steps(setup), "filtered", plan.execution, plan.spark)
    return stage(
        context,
        wh,
        "filtered",
        result.rows,
        decisions=result.decisions,
        parents=[parent],
        recipe=plan,
        rows_in=rows.height,
        # The steps' statistics: `pii`, `languages`, and `semantic_dedup` and `judge` when on.
        metadata=stats_metadata(result),
    )
