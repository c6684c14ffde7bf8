"""The public API of SynthFoundry for the command line and scripts: what a command may ask
of the warehouse, the recipe, reports and exports. The commands import nothing else from
`assets`, `quality` or `warehouse` (an import contract in pyproject holds them to it), so
the internals behind these functions can move freely.

Heavy parts (the recipe's registries, exporters, reports, embeddings) are imported inside
the function that needs them: `synthfoundry versions` does not pay for loading every step."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import polars as pl

from assets.models.batch import WAIT_FOR_BATCHES_TAG
from assets.models.call_progress import PROGRESS_PREFIX
from assets.paths import DEFAULT_RECIPE
from warehouse import CORPORA, Warehouse
from warehouse.connection import synthfoundry_home
from warehouse.errors import UserError, readme_hint
from warehouse.user_sql import QueryResult

__all__ = [
    "CORPORA",
    "DEFAULT_RECIPE",
    "PROGRESS_PREFIX",
    "QueryResult",
    "UserError",
    "WAIT_FOR_BATCHES_TAG",
    "Warehouse",
    "export",
    "list_versions",
    "load_recipe",
    "plan",
    "publish",
    "query",
    "read_version",
    "readme_hint",
    "recipe_path",
    "synthfoundry_home",
    "trace",
    "write_report",
]


def recipe_path(given: str | None) -> str:
    """The recipe a command uses: `--recipe`, else $SYNTHFOUNDRY_RECIPE, else the demo."""
    return given or os.environ.get("SYNTHFOUNDRY_RECIPE") or DEFAULT_RECIPE


def load_recipe(path: str, home: Path) -> Any:
    """The validated recipe at `path` (relative to `home` when not absolute); `RecipeError`."""
    from assets.recipe.loader import load_recipe as load

    return load(path, home)


def list_versions(wh: Warehouse, corpus: str | None = None) -> pl.DataFrame:
    """Every version of every corpus (or of `corpus`), with status and counts."""
    from warehouse.corpora import list_versions as versions

    return versions(wh, corpus)


def read_version(wh: Warehouse, corpus: str, version: int | None) -> tuple[int, pl.DataFrame]:
    """A version's number and rows (the current version when `version` is None)."""
    from warehouse.corpora import read_version as read

    return read(wh, corpus, version)


def trace(wh: Warehouse, row_id: str) -> dict[str, Any]:
    """A row's whole ancestry: occurrences, parents, seeds, generators, calls, decisions."""
    from warehouse.lineage import trace as trace_row

    return trace_row(wh, row_id)


@contextmanager
def query(wh: Warehouse, text: str, encoding: str) -> Iterator[QueryResult]:
    """A user's read-only query, its result streamed in batches; `QueryError` when refused."""
    from warehouse.user_sql import user_query

    with user_query(wh, text, encoding) as result:  # type: ignore[arg-type]
        yield result


def export(rows: pl.DataFrame, target: Path, formats: list[str], manifest: dict) -> dict:
    """Write `rows` to `target` in `formats` (parquet, jsonl); the files written, by format."""
    from assets.export.files import export_version

    return export_version(rows, target, formats, manifest)


def write_report(wh: Warehouse, corpus: str, version: int | None, out: Path | None) -> Path:
    """The self-contained HTML quality report of a version; `ReportError` when it has none."""
    from assets.embeddings import Embedder
    from quality.report import write_report as write

    return write(wh, corpus, version, out, embed=partial(Embedder().embed, wh))


def publish(wh: Warehouse, recipe: Any, **options: Any) -> tuple[Any, str]:
    """The Hub bundle of the current decontaminated version and where it went (a dry run
    unless `push`); `PublishError`."""
    from assets.export.hub import publish as publish_bundle

    return publish_bundle(wh, recipe, **options)


def plan(wh: Warehouse, recipe: Any) -> list[Any]:
    """The `StagePlan` of the filtered and decontaminated stages under `recipe`: each step
    class in the order the stage runs it, its settings, and whether its `from_config` builds
    a step. Nothing is read or run: the benchmark items are left empty and no model loads."""
    from assets.decontamination.detector import decontamination_plan
    from assets.filters.pipeline import filtered_plan
    from assets.models.context import ModelContext
    from assets.run_context import RunContext

    items = pl.DataFrame(schema={"benchmark": pl.String, "item_id": pl.String, "text": pl.String})
    run = RunContext(ModelContext(wh, run_id="plan"), items, recipe.spark)
    return [
        filtered_plan(recipe.filters, recipe.dedup, run),
        decontamination_plan(recipe.decontamination, run),
    ]
