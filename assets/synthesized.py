"""The synthesized corpus: every method of the recipe run over the current seed version."""

import json

import dagster as dg
import polars as pl

from assets.resources import RecipeResource
from assets.staging import json_metadata, read_current, stage, synthesis_context
from assets.synthesis.methods.base import build_method
from warehouse.lineage import register_generators
from warehouse.resource import WarehouseResource
from warehouse.rows import conform, empty_decisions, merge_identical_rows


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
    ctx = synthesis_context(context, wh, plan)
    frames, rejections, per_method = [], [empty_decisions()], {}
    calls = {"new": 0, "cached": 0}
    for config in plan.synthesis.methods:
        method = build_method(config)
        context.log.info(f"running {method.name}")
        output = method.run(seeds, ctx)
        register_generators(wh, output.generators)
        ctx.record_output(method.name, output.rows)
        frames.append(conform(output.rows))
        rejections.append(_with_method(output.rejections, method.name))
        calls["new"] += output.model_calls
        calls["cached"] += output.cached_calls
        per_method[method.name] = {
            "rows": output.rows.height,
            "rejected": output.rejections.height,
            "model_calls": output.model_calls,
            "cached_calls": output.cached_calls,
        }
        context.log.info(f"{method.name}: {per_method[method.name]}")
    # Two methods can make the same row (same content, same id): the first made stays.
    rows, merged = merge_identical_rows(
        pl.concat(frames),
        stage="synthesized",
        rule="identical_row",
        describe=("method", "generator_id"),
    )
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


def _with_method(rejections: pl.DataFrame, method: str) -> pl.DataFrame:
    """`rejections` with `method` first in each evidence object, so a generator none of whose
    candidates became a row is still named by its method in `generator_yield`."""
    head = json.dumps({"method": method})[:-1]
    return rejections.with_columns(
        pl.when(pl.col("evidence").str.strip_chars() == "{}")
        .then(pl.lit(head + "}"))
        .otherwise(pl.lit(head + ", ") + pl.col("evidence").str.strip_chars_start().str.slice(1))
        .alias("evidence")
    )
