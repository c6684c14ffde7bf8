"""Named SQL statements, loaded from `warehouse/sql/*.sql`, and a scalar-query helper. The
user's own queries (`synthfoundry sql`) run in `warehouse.user_sql`."""

from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import duckdb


@cache
def sql(name: str) -> str:
    """Return the text of `warehouse/sql/<name>.sql`."""
    return files("warehouse").joinpath("sql", f"{name}.sql").read_text(encoding="utf-8")


def scalar(con: duckdb.DuckDBPyConnection, query: str, params: list | None = None) -> Any:
    """The first column of the first row, or None; fetches the whole result as DuckDB 2 needs."""
    rows = con.execute(query, params or []).fetchall()
    return rows[0][0] if rows else None


QUERY_TO_PARQUET_MEMORY = "1GB"


def query_to_parquet(
    con: duckdb.DuckDBPyConnection, query: str, params: dict | list, target: Path, batch_rows: int
) -> int:
    """Write a query's result to a Parquet file batch by batch (never all in memory), one
    row group per batch; returns the rows written."""
    import pyarrow.parquet as pq

    # Such a query sorts or aggregates a whole version (a stage's snapshot, the checks' audit
    # rows): bound DuckDB's share of the process's memory and let it spill beside the target,
    # so the cost does not grow with the version (DuckDB's default is 80% of the machine).
    con.execute(f"SET memory_limit = '{QUERY_TO_PARQUET_MEMORY}'")
    con.execute("SET temp_directory = ?", [str(target.parent / "duckdb_tmp")])
    reader = con.sql(query, params=params).to_arrow_reader(batch_rows)
    written = 0
    with pq.ParquetWriter(target, reader.schema, compression="lz4") as out:
        for batch in reader:
            out.write_batch(batch, row_group_size=batch_rows)
            written += batch.num_rows
    return written
