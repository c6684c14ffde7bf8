"""The synthesized corpus: every method of the recipe run over the current seed version."""

import dagster as dg
import polars as pl

from assets.recipe import RecipeResource
from assets.rows import DECISION_SCHEMA, conform, empty_decisions, utc_now
from assets.staging import json_metadata, read_current, stage
from assets.synthesis.context import SynthesisContext
from assets.synthesis.methods import build_method
from warehouse.lineage import register_generators
from warehouse.resource import WarehouseResource


def merge_identical(rows: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Two methods can make the same row (same content, same id): keep the first made."""
    rows = rows.with_columns(pl.int_range(pl.len()).over("row_id").alias("_occurrence"))
    repeats = rows.filter(pl.col("_occurrence") > 0)
    decisions = repeats.select(
        "row_id",
        pl.lit("synthesized").alias("stage"),
        pl.lit("identical_row").alias("rule"),
        pl.lit("merge").alias("action"),
        pl.lit(None, dtype=pl.Float64).alias("score"),
        pl.struct(method=pl.col("method"), generator_id=pl.col("generator_id"))
        .struct.json_encode()
        .alias("evidence"),
    ).cast(DECISION_SCHEMA)
    return rows.filter(pl.col("_occurrence") == 0).drop("_occurrence"), decisions


@dg.asset(
    group_name="corpora",
    kinds={"duckdb", "polars"},
    deps=["seed"],
    description="Rows generated from the current seed version by the recipe's methods.",
)
def synthesized(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, recipe: RecipeResource
) -> dg.MaterializeResult:
    wh = warehouse.get()
    plan = recipe.load(wh.home)
    parent, seeds = read_current(wh, "seed")
    ctx = SynthesisContext(
        wh=wh,
        run_id=context.run_id,
        created_at=utc_now(),
        random_seed=plan.synthesis.random_seed,
        refresh_cache=plan.synthesis.refresh_cache,
        log=context.log,
    )
    frames, rejections, per_method = [], [empty_decisions()], {}
    calls = {"new": 0, "cached": 0}
    for config in plan.synthesis.methods:
        method = build_method(config)
        context.log.info(f"running {method.name}")
        output = method.run(seeds, ctx)
        register_generators(wh, output.generators)
        frames.append(conform(output.rows))
        rejections.append(output.rejections)
        calls["new"] += output.model_calls
        calls["cached"] += output.cached_calls
        per_method[method.name] = {
            "rows": output.rows.height,
            "rejected": output.rejections.height,
            "model_calls": output.model_calls,
            "cached_calls": output.cached_calls,
        }
        context.log.info(f"{method.name}: {per_method[method.name]}")
    rows, merged = merge_identical(pl.concat(frames))
    return stage(
        context,
        wh,
        "synthesized",
        rows,
        decisions=pl.concat([*rejections, merged]),
        parents=[parent],
        recipe=plan,
        metadata={
            "methods": json_metadata(per_method),
            "model_calls": dg.MetadataValue.int(calls["new"]),
            "cached_model_calls": dg.MetadataValue.int(calls["cached"]),
        },
    )
