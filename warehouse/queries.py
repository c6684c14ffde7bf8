"""Named SQL statements, loaded from `warehouse/sql/*.sql`, and a scalar-query helper. The
user's own queries (`synthfoundry sql`) run in `warehouse.user_sql`."""

from functools import cache
from importlib.resources import files
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
