"""The published corpus: the current decontaminated version exported with a manifest."""

import dagster as dg
import polars as pl

from assets.export.files import export_version
from assets.resources import RecipeResource
from assets.staging import code_version, read_current
from warehouse import Warehouse
from warehouse.corpora import version_info
from warehouse.lineage import record_publication
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
    parent, rows = read_current(wh, "decontaminated")
    with wh.reader() as con:
        generators = con.sql(
            "SELECT * FROM generators WHERE list_contains(?, generator_id) ORDER BY generator_id",
            params=[rows["generator_id"].unique().to_list()],
        ).pl()
    counts = rows.group_by("generator_id", "method").len().sort("generator_id")
    manifest = {
        "corpus": parent.corpus,
        "version": parent.version,
        "row_count": rows.height,
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
    written = export_version(rows, target, plan.export.formats, manifest)
    record_publication(
        wh, parent.corpus, parent.version, str(target), rows.height, manifest, context.run_id
    )
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": dg.MetadataValue.int(rows.height),
            "dagster/uri": dg.MetadataValue.path(str(target)),
            "source_version": dg.MetadataValue.text(f"{parent.corpus} v{parent.version}"),
            **{name: dg.MetadataValue.path(str(path)) for name, path in written.items()},
        }
    )
