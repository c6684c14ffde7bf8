"""The synthesized corpus: every method of the recipe run over the current seed version.

A run whose `synthesis.budget` runs out stops before the call that would pass it
(assets/models/budget.py): the version is finished with what the methods before made and a
decision naming the limit, recorded `rejected` (never promoted), and the step fails with the
budget's message; the calls made stay in the call log for a re-run to reuse.

Row-wise methods (`row_wise = True`: each seed row's output depends on that row alone, e.g.
`seed_passthrough`) see the seed version in batches of `streaming.batch_rows`, so the stage holds
one batch of them at a time; the other methods see the whole version. Rows and decisions are
appended to the new version method by method, batch by batch.

With a batch backend (`openai_batch`, `vllm_batch_file`) a run does not hold its worker
while batches run: the method whose calls went out ends the step, the version (with what
earlier methods made) is recorded `pending` with the batches it waits for, and the step
reports them in its materialization's metadata (batch ids, states, counts) without an
output, so its check and downstream steps are skipped. The `pending_batches` sensor (orchestration/sensors.py)
re-materializes the flow from here once every one of them has finished; that run reads their
answers and supersedes the pending version. A run tagged `synthfoundry/wait_for_batches`
(`synthfoundry run --wait`) waits for them instead."""

import json
from collections.abc import Iterator, Sequence
from typing import Any

import dagster as dg
import polars as pl
from pydantic import BaseModel

from assets.identical_rows import IdenticalRows
from assets.models.batch.runner import BatchesPending
from assets.models.budget import Budget, BudgetExhausted
from assets.resources import RecipeResource
from assets.spill import Spill, parquet_batches
from assets.staging import (
    code_version,
    column_schema,
    corpus_definition_metadata,
    current_parent,
    json_metadata,
    snapshot_parent,
    staged_metadata,
    synthesis_context,
)
from assets.synthesis.context import MethodOutput, SynthesisContext
from assets.synthesis.methods.base import SynthesisMethod, build_method
from warehouse import Warehouse
from warehouse.batches import batches_by_key
from warehouse.corpora import VersionWriter, decide_version, mark_pending, supersede_pending
from warehouse.lineage import register_generators
from warehouse.reports import run_batches, run_spend, version_dropped_count
from warehouse.resource import WarehouseResource
from warehouse.rows import DECISION_SCHEMA, conform


@dg.asset(
    group_name="corpora",
    kinds={"duckdb", "polars"},
    metadata=corpus_definition_metadata(),
    deps=["seed"],
    description="Rows generated from the current seed version by the recipe's methods.",
    # A version left pending on provider batches yields no output: its check and downstream
    # steps are skipped.
    output_required=False,
)
def synthesized(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, recipe: RecipeResource
) -> Iterator[Any]:
    wh = warehouse.get()
    plan = recipe.load(wh.home)
    parent = current_parent(wh, "seed")
    ctx = synthesis_context(context, wh, plan)
    batch_rows = plan.streaming.batch_rows
    writer = VersionWriter(
        wh,
        "synthesized",
        parents=[parent],
        run_id=context.run_id,
        code_version=code_version(),
        recipe_sha256=plan.sha256,
    )
    per_method: dict[str, dict[str, int]] = {}
    schema = None
    with Spill(wh.home / "spill") as spill:
        snapshot = snapshot_parent(wh, parent, spill, batch_rows)
        # Two methods can make the same row (same content, same id): the first made stays.
        identical = IdenticalRows(spill, "synthesized", "identical_row", ("method", "generator_id"))
        whole: list[pl.DataFrame] = []

        def seeds_whole() -> pl.DataFrame:
            if not whole:
                whole.append(pl.read_parquet(snapshot))
            return whole[0]

        writer.begin()
        running = ""
        try:
            for index, config in enumerate(plan.synthesis.methods):
                method = build_method(config)
                running = method.name
                streamed = _streams(method, plan.synthesis.methods[index + 1 :])
                context.log.info(f"running {method.name}" + (" in batches" if streamed else ""))
                counts = dict.fromkeys(("rows", "rejected", "model_calls", "cached_calls"), 0)
                seeds = parquet_batches(snapshot, batch_rows) if streamed else [seeds_whole()]
                for output in _outputs(method, seeds, ctx, record=not streamed):
                    register_generators(wh, output.generators)
                    rows, merged = identical.merge(conform(output.rows))
                    if rows.height or schema is None:
                        schema = rows.schema
                    rejections = _with_method(output.rejections, method.name)
                    writer.append(rows, pl.concat([rejections, merged]))
                    counts["rows"] += output.rows.height
                    counts["rejected"] += output.rejections.height
                    counts["model_calls"] += output.model_calls
                    counts["cached_calls"] += output.cached_calls
                per_method[method.name] = counts
                context.log.info(f"{method.name}: {counts}")
            number = writer.finish()
        except BatchesPending as pending:
            number = writer.finish()
            yield _pending(context, wh, number, pending, running, per_method)
            return
        except BudgetExhausted as stop:
            _stop_on_budget(context, wh, writer, stop, running, ctx.budget)
        except BaseException:
            writer.abandon()
            raise
    superseded = supersede_pending(wh, "synthesized", number)
    if superseded:
        context.log.info(f"synthesized v{number} supersedes pending {superseded}")
    yield staged_metadata(
        context,
        wh,
        "synthesized",
        number,
        row_count=writer.row_count,
        rows_in=writer.row_count + version_dropped_count(wh, "synthesized", number),
        schema=column_schema(schema or {}),
        parents=[parent],
        recipe=plan,
        metadata={
            "methods": json_metadata(per_method),
            "model_calls": dg.MetadataValue.int(sum(c["model_calls"] for c in per_method.values())),
            "cached_model_calls": dg.MetadataValue.int(
                sum(c["cached_calls"] for c in per_method.values())
            ),
            # This run's spend per mode and its provider batches (`generator_cost`, `batches`).
            "model_spend": json_metadata(run_spend(wh, context.run_id)),
            "batches": json_metadata(run_batches(wh, context.run_id)),
        },
    )


def _pending(
    context: dg.AssetExecutionContext,
    wh: Warehouse,
    number: int,
    pending: BatchesPending,
    method: str,
    per_method: dict[str, dict[str, int]],
) -> dg.AssetMaterialization:
    """Record the version pending on its open batches; the materialization that shows them."""
    mark_pending(wh, "synthesized", number, pending.batch_keys)
    supersede_pending(wh, "synthesized", number)
    batches = batches_by_key(wh, pending.batch_keys).select(
        "batch_id", "status", "request_count", "completed_count", "failed_count", "submitted_at"
    )
    message = (
        f"synthesized v{number} pending: {method} waits for {pending.requests} requests in "
        f"batches {', '.join(pending.batch_ids)}; the pending_batches sensor re-materializes it "
        "when they finish (or run with --wait)"
    )
    context.log.info(message)
    return dg.AssetMaterialization(
        asset_key="synthesized",
        description=message,
        metadata={
            "version": dg.MetadataValue.int(number),
            "status": dg.MetadataValue.text("pending"),
            "waiting_method": dg.MetadataValue.text(method),
            "pending_batches": json_metadata(batches.to_dicts()),
            "progress": dg.MetadataValue.text(
                f"{int(batches['completed_count'].fill_null(0).sum())}/"
                f"{int(batches['request_count'].sum())} requests answered"
            ),
            "methods": json_metadata(per_method),
            "batches": json_metadata(run_batches(wh, context.run_id)),
        },
    )


def _stop_on_budget(
    context: dg.AssetExecutionContext,
    wh: Warehouse,
    writer: VersionWriter,
    stop: BudgetExhausted,
    method: str,
    budget: Budget | None,
) -> None:
    """End the step on a spent budget: the version keeps what earlier methods made, plus a
    decision naming the limit (keyed by the first call not sent), and is recorded rejected
    so no check can promote it; then the step fails with the budget's message."""
    spent = budget.figures() if budget is not None else {}
    decision = pl.DataFrame(
        [
            {
                "row_id": stop.request_hash[:32],
                "stage": "synthesized",
                "rule": stop.rule,
                "action": "drop",
                "score": None,
                "evidence": json.dumps(
                    {
                        "method": method,
                        "call_id": stop.request_hash,
                        "limit": stop.limit,
                        "spent": spent,
                        "message": str(stop),
                    }
                ),
            }
        ],
        schema=DECISION_SCHEMA,
    )
    writer.append(pl.DataFrame(), decision)
    number = writer.finish()
    decide_version(wh, "synthesized", number, promote=False, check_results={stop.rule: str(stop)})
    context.log.error(f"synthesized v{number} rejected: {stop}")
    raise dg.Failure(
        description=f"{method}: {stop}",
        metadata={
            "version": dg.MetadataValue.int(number),
            "budget_limit": dg.MetadataValue.text(stop.rule),
            "spent": json_metadata(spent),
        },
        allow_retries=False,
    ) from None


def _streams(method: SynthesisMethod, later: Sequence[BaseModel]) -> bool:
    """Whether `method` may see the seeds in batches: it is row-wise and no later method reads
    its rows (`sources`), which would need them all in memory."""
    needed = any(method.name in getattr(config, "sources", ()) for config in later)
    return bool(getattr(method, "row_wise", False)) and not needed


def _outputs(
    method: SynthesisMethod,
    seeds: Iterator[pl.DataFrame] | list[pl.DataFrame],
    ctx: SynthesisContext,
    *,
    record: bool,
) -> Iterator[MethodOutput]:
    """The method's output on each frame of seeds; `record` keeps its rows for later methods."""
    for frame in seeds:
        output = method.run(frame, ctx)
        if record:
            ctx.record_output(method.name, output.rows)
        yield output


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
