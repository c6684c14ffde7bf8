"""What the quality gate reads: a version in chunks, with lineage-integrity columns added."""

from __future__ import annotations

from collections.abc import Iterator

import polars as pl

from warehouse.connection import Warehouse
from warehouse.corpora import table_of
from warehouse.queries import scalar, sql


def seed_ancestor(wh: Warehouse, corpus: str, version: int) -> int | None:
    """The seed version a corpus version descends from (itself for a seed version)."""
    if corpus == "seed":
        return version
    with wh.reader() as con:
        found = scalar(con, sql("seed_ancestor"), [corpus, version])
    return int(found) if found is not None else None


def audit_chunks(
    wh: Warehouse, corpus: str, version: int, chunk_rows: int
) -> Iterator[pl.DataFrame]:
    """The rows of a version in `row_id` order, `chunk_rows` at a time, each with
    `row_id_occurrences` (over the whole version) and `unresolved_seed_ids` (seed ids not in
    the seed version this one descends from)."""
    table = table_of(corpus)
    seed_version = seed_ancestor(wh, corpus, version)
    query = sql("audit_chunk").replace("{table}", table)
    offset = 0
    while True:
        with wh.reader() as con:
            chunk = con.sql(
                query,
                params={
                    "version": version,
                    "seed_version": seed_version,
                    "limit": chunk_rows,
                    "offset": offset,
                },
            ).pl()
        if chunk.is_empty() and offset > 0:
            return
        yield chunk
        if chunk.height < chunk_rows:
            return
        offset += chunk_rows


def version_row_count(wh: Warehouse, corpus: str, version: int) -> int:
    table = table_of(corpus)
    with wh.reader() as con:
        return int(scalar(con, f"SELECT count(*) FROM {table} WHERE version = ?", [version]))
