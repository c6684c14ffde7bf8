"""The seed corpus: the recipe's seed sources, normalized, with bad records quarantined."""

import dagster as dg
import polars as pl

from assets.identical_rows import IdenticalRows
from assets.resources import RecipeResource
from assets.seed_readers import SeedSourceError, stream_sources
from assets.spill import Spill
from assets.staging import (
    code_version,
    column_schema,
    corpus_definition_metadata,
    staged_metadata,
)
from warehouse.corpora import VersionWriter, now
from warehouse.lineage import GeneratorRecord, register_generators
from warehouse.resource import WarehouseResource
from warehouse.rows import conform, with_row_ids
from warehouse.seed_files import current_seed_files

# Quarantined records named in the run's log (all of them are in the decisions table).
LOGGED_QUARANTINES = 20


@dg.asset(
    group_name="corpora",
    kinds={"duckdb", "polars"},
    metadata=corpus_definition_metadata(),
    description="Seed rows from the recipe's sources: JSONL, Parquet, CSV files and Hub datasets.",
)
def seed(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, recipe: RecipeResource
) -> dg.MaterializeResult:
    wh = warehouse.get()
    plan = recipe.load(wh.home)
    writer = VersionWriter(
        wh, "seed", run_id=context.run_id, code_version=code_version(), recipe_sha256=plan.sha256
    )
    created_at = now()
    quarantined = merged = 0
    warnings: list[str] = []
    source_files: dict[str, int] = {}
    generators: list[GeneratorRecord] = []
    # Decisions are held only until the first row arrives: a source with no usable row at
    # all fails the stage without starting a version.
    waiting: list[pl.DataFrame] = []
    schema = None
    try:
        with Spill(wh.home / "spill") as spill:
            identical = IdenticalRows(spill, "seed", "duplicate_seed", ("source", "source_line"))
            reads = stream_sources(
                plan.seed, wh.home, plan.streaming.batch_rows, previous=current_seed_files(wh)
            )
            for read in reads:
                for warning in read.warnings:
                    context.log.warning(warning)
                for source, count in read.source_files.items():
                    source_files[source] = source_files.get(source, 0) + count
                    if not count and not read.warnings:
                        # An empty glob is a drop folder waiting for files: said, not warned.
                        context.log.info(f"seed source {source!r} matches no file yet")
                for decision in read.quarantined.head(
                    max(LOGGED_QUARANTINES - quarantined, 0)
                ).iter_rows(named=True):
                    context.log.warning(f"quarantined ({decision['rule']}): {decision['evidence']}")
                warnings += read.warnings
                generators += read.generators
                quarantined += read.quarantined.height
                decisions = [read.quarantined]
                if read.rows.height:
                    rows, repeats = identical.merge(
                        _seed_rows(read.rows, context.run_id, created_at)
                    )
                    merged += repeats.height
                    decisions.append(repeats)
                    schema = column_schema(rows.schema)
                    if writer.version is None:
                        writer.begin()
                        decisions = [*waiting, *decisions]
                        waiting = []
                    writer.append(rows, pl.concat(decisions))
                elif writer.version is None:
                    waiting += decisions
                else:
                    writer.append(pl.DataFrame(), read.quarantined)
            if writer.version is None:
                raise dg.Failure(
                    description=f"no usable seed rows; {quarantined} records quarantined "
                    f"(see the decisions table, stage 'seed')"
                )
            register_generators(wh, generators)
            number = writer.finish()
    except SeedSourceError as exc:
        writer.abandon()
        raise dg.Failure(description=str(exc)) from None
    except BaseException:
        writer.abandon()
        raise
    assert schema is not None
    return staged_metadata(
        context,
        wh,
        "seed",
        number,
        row_count=writer.row_count,
        rows_in=writer.row_count + quarantined + merged,
        schema=schema,
        parents=[],
        recipe=plan,
        metadata={
            "quarantined": dg.MetadataValue.int(quarantined),
            "warnings": dg.MetadataValue.json(warnings),
            "sources": dg.MetadataValue.json(sorted({g.model for g in generators if g.model})),
            # Every source of the recipe with the files it named, empty globs included.
            "source_files": dg.MetadataValue.json(source_files),
        },
    )


def _seed_rows(read: pl.DataFrame, run_id: str, created_at: object) -> pl.DataFrame:
    """Contract rows of read seed records: ids and the lineage of a seed row."""
    return with_row_ids(conform(read)).with_columns(
        pl.concat_list("row_id").alias("seed_ids"),
        pl.lit([], dtype=pl.List(pl.String)).alias("parent_ids"),
        pl.lit([], dtype=pl.List(pl.String)).alias("call_ids"),
        pl.lit("seed").alias("method"),
        pl.lit(run_id).alias("run_id"),
        pl.lit(created_at).alias("created_at"),
    )
