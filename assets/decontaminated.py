"""The decontaminated corpus: rows that match a benchmark item under the recipe's verdict rule
(n-gram overlap, embedding or lexical nearest neighbour, LLM judge) are removed."""

import dagster as dg
import polars as pl

from assets.decontamination.benchmarks import BenchmarkError, load_benchmarks
from assets.decontamination.detector import decontamination_plan
from assets.resources import RecipeResource
from assets.run_context import RunContext
from assets.staging import (
    corpus_definition_metadata,
    describe_stream,
    json_metadata,
    model_context,
    stats_metadata,
    stream_stage,
)
from quality.tables import markdown_table
from warehouse.reports import contamination
from warehouse.resource import WarehouseResource


@dg.asset(
    group_name="corpora",
    kinds={"duckdb", "polars"},
    metadata=corpus_definition_metadata(),
    deps=["filtered"],
    description="The current filtered version without rows that match benchmark items.",
)
def decontaminated(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, recipe: RecipeResource
) -> dg.MaterializeResult:
    wh = warehouse.get()
    plan = recipe.load(wh.home)
    try:
        benchmarks = load_benchmarks(plan.decontamination.benchmarks, wh.home)
    except BenchmarkError as exc:
        raise dg.Failure(description=str(exc)) from None
    run = RunContext(model_context(context, wh, plan), benchmarks, plan.spark)
    stage_plan = decontamination_plan(plan.decontamination, run)
    staged = stream_stage(context, wh, "decontaminated", "filtered", stage_plan.steps, plan)
    # The contamination report's rows of this version: the `contamination_report` view's.
    report = contamination(wh, staged.number)
    per_benchmark = dict(
        report.group_by("benchmark").agg(pl.col("contaminated_rows").sum()).iter_rows()
    )
    return describe_stream(
        context,
        wh,
        "decontaminated",
        staged,
        plan,
        metadata={
            "benchmarks": json_metadata(dict(benchmarks.group_by("benchmark").len().iter_rows())),
            "contaminated_by_benchmark": json_metadata(per_benchmark),
            "contamination_report": dg.MetadataValue.md(markdown_table(report)),
            "verdict_rule": dg.MetadataValue.text(plan.decontamination.verdict_rule),
            "plan": dg.MetadataValue.md(stage_plan.markdown()),
            # `judge_pairs` and `judge_new_calls` come from the judge when it is configured.
            **stats_metadata(staged.summary, defaults={"judge_pairs": 0, "judge_new_calls": 0}),
        },
    )
