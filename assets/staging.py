"""Shared by every corpus asset: read the current upstream version, stage the new version,
describe it in standard Dagster metadata."""

from __future__ import annotations

import json
from functools import partial
from importlib.metadata import PackageNotFoundError, version

import dagster as dg
import polars as pl

from assets.embeddings import Embedder
from assets.models.context import ModelContext
from assets.recipe.root import Recipe
from assets.steps import StageOutput
from assets.synthesis.context import SynthesisContext
from quality.materialization import materialization_metadata
from quality.tables import markdown_table
from warehouse import ParentVersion, Warehouse
from warehouse.corpora import now, read_version, stage_version

PREVIEW_COLUMNS = ("row_id", "method", "task_type", "instruction", "response")


def code_version() -> str:
    try:
        return f"synthfoundry {version('synthfoundry')}"
    except PackageNotFoundError:  # running from a source tree without install
        return "synthfoundry (source)"


def read_current(wh: Warehouse, corpus: str) -> tuple[ParentVersion, pl.DataFrame]:
    """The current promoted version of an upstream corpus; a clear failure if there is none."""
    try:
        number, rows = read_version(wh, corpus)
    except LookupError as exc:
        raise dg.Failure(
            description=f"{exc}: materialize {corpus} (and let its checks pass) first"
        ) from None
    return ParentVersion(corpus, number), rows


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
    )


def column_schema(frame: pl.DataFrame) -> dg.TableSchema:
    return dg.TableSchema(
        columns=[dg.TableColumn(name, str(dtype)) for name, dtype in frame.schema.items()]
    )


def drop_summary(decisions: pl.DataFrame) -> dict[str, int]:
    if decisions.is_empty():
        return {}
    counts = decisions.group_by("action", "rule").len().sort("len", descending=True)
    return {f"{a}:{r}": n for a, r, n in counts.iter_rows()}


def stage(
    context: dg.AssetExecutionContext,
    wh: Warehouse,
    corpus: str,
    rows: pl.DataFrame,
    *,
    decisions: pl.DataFrame,
    parents: list[ParentVersion],
    recipe: Recipe,
    rows_in: int | None = None,
    metadata: dict | None = None,
) -> dg.MaterializeResult:
    """Write `rows` as a new staged version; its blocking checks decide whether it is promoted."""
    number = stage_version(
        wh,
        corpus,
        rows,
        decisions=decisions,
        parents=parents,
        run_id=context.run_id,
        code_version=code_version(),
        recipe_sha256=recipe.sha256,
    )
    dropped = decisions.filter(pl.col("action").is_in(["drop", "quarantine"]))["row_id"].n_unique()
    context.log.info(f"staged {corpus} v{number}: {rows.height} rows, {dropped} dropped")
    preview = rows.select([c for c in PREVIEW_COLUMNS if c in rows.columns]).head(5)
    report = materialization_metadata(
        wh, corpus, number, rows, recipe.reports, embed=partial(Embedder().embed, wh)
    )
    return dg.MaterializeResult(
        metadata={
            "version": dg.MetadataValue.int(number),
            "dagster/row_count": dg.MetadataValue.int(rows.height),
            "dagster/column_schema": column_schema(rows),
            "rows_in": dg.MetadataValue.int(
                rows_in if rows_in is not None else rows.height + dropped
            ),
            "dropped": dg.MetadataValue.int(dropped),
            "decisions_by_rule": dg.MetadataValue.json(drop_summary(decisions)),
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


def json_metadata(value: object) -> dg.MetadataValue:
    return dg.MetadataValue.json(json.loads(json.dumps(value, default=str)))


def stats_metadata(result: StageOutput, defaults: dict | None = None) -> dict:
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
    }
