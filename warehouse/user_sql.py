"""The user's own SQL (`synthfoundry sql`): one query on a locked-down read-only connection,
its result streamed in batches of text.

User SQL is hostile input. The connection it runs on is opened read-only with DuckDB's
external access off (no files, no other databases, no extensions, no network, no Python
objects), extension auto-install and auto-load off, and its configuration locked before the
user's text runs, so no statement can switch any of it back. On top of that, only one
statement of a reading kind is accepted, so the refusal names what was asked for."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Final, Literal

import duckdb
import polars as pl
import pyarrow as pa

from warehouse.connection import Warehouse

LOCKED_DOWN: Final[dict[str, object]] = {
    "enable_external_access": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "allow_community_extensions": False,
    "python_enable_replacements": False,
    # Last: once set, no SET, RESET or PRAGMA can change any of the settings above.
    "lock_configuration": True,
}

# Statement kinds that only read. DESCRIBE, SHOW and SUMMARIZE parse as SELECT.
READING_STATEMENTS: Final = frozenset(
    {
        duckdb.StatementType.SELECT,
        duckdb.StatementType.EXPLAIN,
        duckdb.StatementType.PRAGMA,
        duckdb.StatementType.CALL,
    }
)

# DuckDB type ids shown as JSON text in tabular output: their Python or CSV forms are not
# readable back (`{a=1}`, `[{'a': x}]`).
NESTED_TYPES: Final = frozenset({"list", "struct", "map", "array", "union"})

# Per column of the user's result, by position (`#n`): the result's own names never enter SQL.
AS_TEXT: Final = "CAST(#{n} AS VARCHAR) AS c{n}"
AS_JSON_TEXT: Final = "to_json(#{n})::VARCHAR AS c{n}"

Encoding = Literal["text", "json"]


class QueryError(ValueError):
    """A user's query refused (more than one statement, a statement that is not a query, a
    file, database, extension or setting it may not touch) or failed in DuckDB."""


@dataclass(frozen=True)
class QueryResult:
    """The result's column names (as the query named them, duplicates kept) and its rows in
    batches of string columns `c1..cN`, one per result column, in order."""

    columns: list[str]
    batches: Iterator[pl.DataFrame]


def _checked(query: str) -> str:
    """The one reading statement of `query`, or a QueryError saying what was refused."""
    try:
        statements = duckdb.extract_statements(query)
    except duckdb.Error as exc:
        raise QueryError(str(exc)) from None
    if not statements:
        raise QueryError("empty query: give one SELECT statement")
    if len(statements) > 1:
        raise QueryError(
            f"refused: one statement per query, found {len(statements)}; run them one at a time"
        )
    kind = statements[0].type
    if kind not in READING_STATEMENTS:
        raise QueryError(
            f"refused: {kind.name} statement; the warehouse is read-only here and runs "
            "queries only (SELECT, WITH, FROM, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN, PRAGMA)"
        )
    return query


def _refusal(exc: duckdb.Error) -> QueryError:
    """DuckDB's error as a QueryError; a lock-down refusal says what may not be done."""
    if isinstance(exc, duckdb.PermissionException):
        return QueryError(
            "refused: queries cannot read or write files, attach databases or load "
            f"extensions; only the warehouse's own tables and views are here ({exc})"
        )
    if "configuration has been locked" in str(exc):
        return QueryError(f"refused: settings cannot be changed from a query ({exc})")
    return QueryError(str(exc))


def _projection(types: list[duckdb.DuckDBPyType], encoding: Encoding) -> str:
    parts = []
    for n, kind in enumerate(types, start=1):
        as_json = encoding == "json" or kind.id in NESTED_TYPES
        parts.append((AS_JSON_TEXT if as_json else AS_TEXT).format(n=n))
    return ", ".join(parts)


@contextmanager
def user_query(
    wh: Warehouse, query: str, encoding: Encoding = "text", batch_rows: int = 10_000
) -> Iterator[QueryResult]:
    """Run a user's query on a locked-down read-only connection; its result streams in
    batches while the context is open. `encoding`: `text` gives each value as text (nested
    values as JSON), `json` each value as a JSON document (NULL as None)."""
    statement = _checked(query)
    with wh.reader(LOCKED_DOWN) as con:
        try:
            relation = con.sql(statement)
        except duckdb.Error as exc:
            raise _refusal(exc) from None
        if relation is None:  # a PRAGMA or CALL that returns no result
            yield QueryResult(columns=[], batches=iter(()))
            return
        columns = list(relation.columns)
        try:
            reader = relation.project(_projection(relation.types, encoding)).to_arrow_reader(
                batch_rows
            )
        except duckdb.Error as exc:
            raise _refusal(exc) from None
        yield QueryResult(columns=columns, batches=_frames(reader))


def _frames(reader: pa.RecordBatchReader) -> Iterator[pl.DataFrame]:
    try:
        for batch in reader:
            yield pl.DataFrame(batch)
    # An error raised while the query streams (a failed cast, `error()`) comes through Arrow.
    except (duckdb.Error, pa.ArrowException, OSError) as exc:
        raise QueryError(str(exc)) from None
