"""The decontaminated corpus: rows that match a benchmark item under the recipe's verdict rule
(n-gram overlap, embedding or lexical nearest neighbour, LLM judge) are removed."""

import dagster as dg
import polars as pl

from assets.decontamination.benchmarks import BenchmarkError, load_benchmarks
from assets.decontamination.detector import decontamination_plan
from assets.registry import DETECTORS
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
from warehouse.reports import decisions_with_origin
from warehouse.resource import WarehouseResource


def contamination_table(decisions: pl.DataFrame) -> pl.DataFrame:
    """Removed rows per benchmark and generator, with how many each detector caught;
    `decisions` carry the `generator_id` and `method` of their row (`decisions_with_origin`)."""
    evidence = decisions.select(
        "row_id",
        pl.col("evidence").str.json_path_match("$.benchmark").alias("benchmark"),
        pl.col("evidence").str.json_path_match("$.item_id").alias("item_id"),
        pl.col("evidence")
        .str.json_decode(pl.Struct({"detectors": pl.List(pl.String)}))
        .struct.field("detectors")
        .alias("detectors"),
    )
    origin = decisions.select("row_id", "generator_id", "method").unique("row_id", keep="first")
    return (
        evidence.join(origin, on="row_id", how="left")
        .group_by("benchmark", "generator_id", "method")
        .agg(
            pl.len().alias("rows"),
            pl.col("item_id").n_unique().alias("items"),
            *[
                pl.col("detectors").list.contains(name).sum().alias(f"by_{name}")
                for name in DETECTORS.names()
            ],
        )
        .sort("benchmark", "generator_id", nulls_last=True)
    )


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
    report = contamination_table(decisions_with_origin(wh, "decontaminated", staged.number))
    per_benchmark = dict(report.group_by("benchmark").agg(pl.col("rows").sum()).iter_rows())
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
