"""The published corpus: the current decontaminated version exported with a manifest."""

import dagster as dg
import polars as pl

from assets.export.files import export_version
from assets.resources import RecipeResource
from assets.spill import Spill, parquet_batches
from assets.staging import code_version
from warehouse import ParentVersion, Warehouse
from warehouse.corpora import read_version_number, snapshot_version, version_info
from warehouse.lineage import record_publication
from warehouse.reports import rows_by_generator
from warehouse.resource import WarehouseResource


def upstream_chain(wh: Warehouse, corpus: str, version: int) -> list[dict]:
    """Every version the given one was built from, transitively, nearest first."""
    chain, frontier = [], [(corpus, version)]
    while frontier:
        info = version_info(wh, *frontier.pop())
        for parent in (info or {}).get("parent_versions") or []:
            chain.append(parent)
            frontier.append((parent["corpus"], parent["version"]))
    return chain


@dg.asset(
    group_name="corpora",
    kinds={"parquet", "json"},
    deps=["decontaminated"],
    description="Parquet and JSONL export of the current decontaminated version, with a manifest.",
)
def published(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, recipe: RecipeResource
) -> dg.MaterializeResult:
    wh = warehouse.get()
    plan = recipe.load(wh.home)
    try:
        number = read_version_number(wh, "decontaminated")
    except LookupError as exc:
        raise dg.Failure(
            description=f"{exc}: materialize decontaminated (and let its checks pass) first"
        ) from None
    parent = ParentVersion("decontaminated", number)
    counts = rows_by_generator(wh, parent.corpus, parent.version)
    row_count = int(counts["len"].sum()) if counts.height else 0
    with wh.reader() as con:
        generators = con.sql(
            "SELECT * FROM generators WHERE list_contains(?, generator_id) ORDER BY generator_id",
            params=[counts["generator_id"].unique().drop_nulls().to_list()],
        ).pl()
    manifest = {
        "corpus": parent.corpus,
        "version": parent.version,
        "row_count": row_count,
        "recipe": {"name": plan.name, "sha256": plan.sha256},
        "code_version": code_version(),
        "built_from": [
            {"corpus": parent.corpus, "version": parent.version},
            *upstream_chain(wh, parent.corpus, parent.version),
        ],
        "rows_by_generator": counts.to_dicts(),
        "generators": generators.with_columns(pl.col("created_at").cast(pl.String)).to_dicts(),
        "dagster_run_id": context.run_id,
    }
    target = wh.exports_dir / parent.corpus / f"v{parent.version}"
    batch_rows = plan.streaming.batch_rows
    # The version is snapshot to a scratch file and written out batch by batch.
    with Spill(wh.home / "spill") as spill:
        snapshot = snapshot_version(
            wh, parent.corpus, parent.version, spill.dir / "published.parquet", batch_rows
        )
        written = export_version(
            parquet_batches(snapshot, batch_rows), target, plan.export.formats, manifest
        )
    record_publication(
        wh, parent.corpus, parent.version, str(target), row_count, manifest, context.run_id
    )
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": dg.MetadataValue.int(row_count),
            "dagster/uri": dg.MetadataValue.path(str(target)),
            "source_version": dg.MetadataValue.text(f"{parent.corpus} v{parent.version}"),
            **{name: dg.MetadataValue.path(str(path)) for name, path in written.items()},
        }
    )
