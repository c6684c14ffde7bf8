"""Shared by every corpus asset: read the current upstream version, stage the new version,
describe it in standard Dagster metadata."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import dagster as dg
import polars as pl

from assets.embeddings import Embedder
from assets.models.batch import WAIT_FOR_BATCHES_TAG
from assets.models.budget import Budget
from assets.models.context import ModelContext
from assets.recipe.root import Recipe
from assets.spill import Spill, parquet_batches
from assets.steps import Step
from assets.stream import StageOutput, StreamSummary, batches, stream_steps
from assets.synthesis.context import SynthesisContext
from quality.materialization import METADATA_SAMPLE_ROWS, materialization_metadata
from quality.tables import markdown_table
from warehouse import ParentVersion, Warehouse
from warehouse.columns import column_description
from warehouse.corpora import (
    VersionWriter,
    now,
    read_version_number,
    snapshot_version,
)
from warehouse.reports import decisions_by_rule, version_dropped_count, version_sample
from warehouse.rows import ROW_SCHEMA

PREVIEW_COLUMNS = ("row_id", "method", "task_type", "instruction", "response")


def code_version() -> str:
    try:
        return f"synthfoundry {version('synthfoundry')}"
    except PackageNotFoundError:  # running from a source tree without install
        return "synthfoundry (source)"


def current_parent(wh: Warehouse, upstream: str) -> ParentVersion:
    """The current promoted version of an upstream corpus; a clear failure if there is none."""
    try:
        return ParentVersion(upstream, read_version_number(wh, upstream))
    except LookupError as exc:
        raise dg.Failure(
            description=f"{exc}: materialize {upstream} (and let its checks pass) first"
        ) from None


def snapshot_parent(wh: Warehouse, parent: ParentVersion, spill: Spill, batch_rows: int) -> Path:
    """The parent version as a Parquet file in the stage's spill, in row_id order, to be read
    in batches of `batch_rows` (`parquet_batches`) without holding the warehouse."""
    return snapshot_version(
        wh,
        parent.corpus,
        parent.version,
        spill.dir / f"{parent.corpus}.parquet",
        # Row groups near the batch size, so a batch spans few of them.
        batch_rows=min(max(batch_rows, 1_024), 122_880),
    )


def model_context(context: dg.AssetExecutionContext, wh: Warehouse, plan: Recipe) -> ModelContext:
    """What model-calling steps (filters, detectors, judges) need from this run: the call log
    and cache, the run id stamped on calls, and the recipe's cache policy."""
    return ModelContext(
        wh=wh,
        run_id=context.run_id,
        refresh_cache=plan.synthesis.refresh_cache,
        log=context.log,
    )


def synthesis_context(
    context: dg.AssetExecutionContext, wh: Warehouse, plan: Recipe
) -> SynthesisContext:
    """The model context of this run plus what synthesis methods share: the time stamped on
    rows, the recipe's random seed, and the rows each method made."""
    return SynthesisContext(
        wh=wh,
        run_id=context.run_id,
        refresh_cache=plan.synthesis.refresh_cache,
        log=context.log,
        created_at=now(),
        random_seed=plan.synthesis.random_seed,
        samplers=dict(plan.synthesis.samplers),
        budget=Budget(plan.synthesis.budget) if plan.synthesis.budget is not None else None,
        wait_for_batches=context.run.tags.get(WAIT_FOR_BATCHES_TAG) == "true",
    )


def column_schema(schema: Mapping[str, pl.DataType]) -> dg.TableSchema:
    """Dagster's column schema of a corpus version: each column's type and what it holds
    (shown in the asset catalog)."""
    return dg.TableSchema(
        columns=[
            dg.TableColumn(name, str(dtype), description=column_description(name))
            for name, dtype in schema.items()
        ]
    )


def corpus_definition_metadata() -> dict[str, object]:
    """Definition metadata of a corpus asset: the row contract's columns, described, so the
    catalog shows them before the first materialization."""
    return {"dagster/column_schema": column_schema(ROW_SCHEMA)}


def staged_metadata(
    context: dg.AssetExecutionContext,
    wh: Warehouse,
    corpus: str,
    number: int,
    *,
    row_count: int,
    rows_in: int,
    schema: dg.TableSchema,
    parents: list[ParentVersion],
    recipe: Recipe,
    metadata: dict | None = None,
) -> dg.MaterializeResult:
    """Describe a staged version in standard Dagster metadata, read back from the warehouse:
    counts by SQL, previews, plots and diversity on one fixed-size sample (`version_sample`),
    so the cost does not grow with the version."""
    # Its reads (counts, sample, previews, decisions) share one connection.
    with wh.reading():
        dropped = version_dropped_count(wh, corpus, number)
        context.log.info(f"staged {corpus} v{number}: {row_count} rows, {dropped} dropped")
        sample = version_sample(wh, corpus, number, METADATA_SAMPLE_ROWS)
        preview = sample.select([c for c in PREVIEW_COLUMNS if c in sample.columns]).head(5)
        report = materialization_metadata(
            wh,
            corpus,
            number,
            sample,
            recipe.reports,
            embedder=Embedder(),
            row_count=row_count,
        )
        return dg.MaterializeResult(
            metadata={
                "version": dg.MetadataValue.int(number),
                "dagster/row_count": dg.MetadataValue.int(row_count),
                "dagster/column_schema": schema,
                "rows_in": dg.MetadataValue.int(rows_in),
                "dropped": dg.MetadataValue.int(dropped),
                "decisions_by_rule": dg.MetadataValue.json(decisions_by_rule(wh, corpus, number)),
                "parents": dg.MetadataValue.text(
                    ", ".join(f"{p.corpus} v{p.version}" for p in parents) or "none"
                ),
                "recipe": dg.MetadataValue.text(f"{recipe.name} ({recipe.sha256[:12]})"),
                "preview": dg.MetadataValue.md(markdown_table(preview)),
                "query": dg.MetadataValue.text(
                    f"SELECT * FROM corpus_{corpus} WHERE version = {number}; "
                    f"SELECT * FROM decisions WHERE corpus = '{corpus}' AND version = {number}"
                ),
                **report,
                **(metadata or {}),
            }
        )


@dataclass(frozen=True)
class StreamedStage:
    """A stage streamed from the current upstream version into a new staged version."""

    number: int
    parent: ParentVersion
    rows_in: int
    summary: StreamSummary
    schema: dg.TableSchema


def stream_stage(
    context: dg.AssetExecutionContext,
    wh: Warehouse,
    corpus: str,
    upstream: str,
    steps: Sequence[Step],
    recipe: Recipe,
) -> StreamedStage:
    """Run `steps` over the current `upstream` version batch by batch (`recipe.streaming`),
    appending kept rows and decisions to a new version of `corpus` as they come; it is staged
    once complete. A failure discards the partial version; a killed process leaves it
    `writing`, invisible to the corpus views, and the next writer discards it."""
    parent = current_parent(wh, upstream)
    batch_rows = recipe.streaming.batch_rows
    writer = VersionWriter(
        wh,
        corpus,
        parents=[parent],
        run_id=context.run_id,
        code_version=code_version(),
        recipe_sha256=recipe.sha256,
    )
    with Spill(wh.home / "spill") as spill:
        snapshot = snapshot_parent(wh, parent, spill, batch_rows)
        number = writer.begin()
        schema: list[pl.Schema] = []
        rows_in = 0

        def source() -> Iterator[pl.DataFrame]:
            nonlocal rows_in
            for batch in parquet_batches(snapshot, batch_rows):
                rows_in += batch.height
                yield batch

        def emit(rows: pl.DataFrame | None, decisions: pl.DataFrame | None) -> None:
            if rows is not None and (not schema or rows.height):
                schema[:] = [rows.schema]
            writer.append(rows if rows is not None else pl.DataFrame(), decisions)

        try:
            if recipe.execution.engine == "spark":
                summary = _spark_steps(source(), steps, corpus, emit, recipe, batch_rows)
            else:
                summary = stream_steps(source(), steps, corpus, emit, spill)
            writer.finish(summary.engines)
        except BaseException:
            writer.abandon()
            raise
    context.log.info(
        f"{corpus} v{number}: {rows_in} rows streamed in batches of {batch_rows}, "
        f"{summary.rows_out} kept"
    )
    return StreamedStage(
        number,
        parent,
        rows_in,
        summary,
        column_schema(schema[0] if schema else {}),
    )


def _spark_steps(
    source: Iterator[pl.DataFrame],
    steps: Sequence[Step],
    corpus: str,
    emit: Callable[[pl.DataFrame | None, pl.DataFrame | None], None],
    recipe: Recipe,
    batch_rows: int,
) -> StreamSummary:
    """The steps on Spark (`execution.engine: spark`). The version passes through the driver
    whole (README: "Running the steps on Spark"); the kept rows are appended in batches."""
    from assets.engine import run_stage

    rows = pl.concat(list(source), how="diagonal_relaxed")
    result = run_stage(rows, steps, corpus, recipe.execution, recipe.spark)
    emit(None, result.decisions)
    for batch in batches(result.rows, batch_rows):
        emit(batch, None)
    return StreamSummary(result.stats, result.funnel, result.rows.height, result.engines)


def describe_stream(
    context: dg.AssetExecutionContext,
    wh: Warehouse,
    corpus: str,
    staged: StreamedStage,
    recipe: Recipe,
    metadata: dict | None = None,
) -> dg.MaterializeResult:
    return staged_metadata(
        context,
        wh,
        corpus,
        staged.number,
        row_count=staged.summary.rows_out,
        rows_in=staged.rows_in,
        schema=staged.schema,
        parents=[staged.parent],
        recipe=recipe,
        metadata=metadata,
    )


def json_metadata(value: object) -> dg.MetadataValue:
    return dg.MetadataValue.json(json.loads(json.dumps(value, default=str)))


def stats_metadata(result: StageOutput | StreamSummary, defaults: dict | None = None) -> dict:
    """A stage's step statistics (counts as integers, the rest as JSON; `defaults` for steps
    the recipe left out) and its funnel of rows in and out of each step."""
    stats = {**(defaults or {}), **result.stats}
    return {
        **{
            key: dg.MetadataValue.int(value)
            if isinstance(value, int) and not isinstance(value, bool)
            else json_metadata(value)
            for key, value in stats.items()
        },
        "step_funnel": dg.MetadataValue.md(markdown_table(result.funnel)),
        # Where each step ran: `local`, `spark driver` or `spark executors`.
        "step_engines": json_metadata(
            [{"step": step, "engine": engine} for step, engine in result.engines]
        ),
    }
