"""Named SQL statements, loaded from `warehouse/sql/*.sql`, a scalar-query helper and the
user's own queries (`synthfoundry sql`)."""

from functools import cache
from importlib.resources import files
from typing import Any

import duckdb
import polars as pl


@cache
def sql(name: str) -> str:
    """Return the text of `warehouse/sql/<name>.sql`."""
    return files("warehouse").joinpath("sql", f"{name}.sql").read_text(encoding="utf-8")


def scalar(con: duckdb.DuckDBPyConnection, query: str, params: list | None = None) -> Any:
    """The first column of the first row, or None; fetches the whole result as DuckDB 2 needs."""
    rows = con.execute(query, params or []).fetchall()
    return rows[0][0] if rows else None


class QueryError(ValueError):
    """DuckDB refused a user's query: bad SQL, an unknown name, a write on a read-only
    connection."""


def user_query(con: duckdb.DuckDBPyConnection, query: str) -> pl.DataFrame:
    """The result of a user's query as a Polars frame; DuckDB's refusal as a QueryError."""
    try:
        return con.sql(query).pl()
    except duckdb.Error as exc:
        raise QueryError(str(exc)) from None
