"""The filtered corpus: PII redaction, language identification, heuristic quality rule sets,
plug-in filters, then exact, near and semantic deduplication and judge scores."""

import dagster as dg

from assets.filters.pipeline import filtered_plan
from assets.resources import RecipeResource
from assets.run_context import RunContext
from assets.staging import (
    corpus_definition_metadata,
    describe_stream,
    model_context,
    stats_metadata,
    stream_stage,
)
from warehouse.resource import WarehouseResource


@dg.asset(
    group_name="corpora",
    kinds={"duckdb", "polars"},
    metadata=corpus_definition_metadata(),
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
    run = RunContext(model_context(context, wh, plan), spark=plan.spark)
    stage_plan = filtered_plan(plan.filters, plan.dedup, run)
    staged = stream_stage(context, wh, "filtered", "synthesized", stage_plan.steps, plan)
    # The steps' statistics: `pii`, `languages`, and `semantic_dedup` and `judge` when on;
    # `plan`: every step in order, its settings and whether it is on.
    metadata = {
        **stats_metadata(staged.summary),
        "plan": dg.MetadataValue.md(stage_plan.markdown()),
    }
    return describe_stream(context, wh, "filtered", staged, plan, metadata=metadata)
