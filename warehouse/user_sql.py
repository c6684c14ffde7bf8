"""The user's own SQL (`synthfoundry sql`): one query on a locked-down read-only connection,
its result streamed in batches of text.

User SQL is hostile input. The connection it runs on is opened read-only with DuckDB's
external access off (no files, no other databases, no extensions, no network, no Python
objects), extension auto-install and auto-load off, and its configuration locked before the
user's text runs, so no statement can switch any of it back. On top of that, only one
statement of a reading kind is accepted, so the refusal names what was asked for."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Final, Literal

import duckdb
import polars as pl
import pyarrow as pa

from warehouse.connection import Warehouse
from warehouse.errors import UserError

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

# How reading statements start, as the refusal lists them.
READING_KEYWORDS: Final = (
    "SELECT",
    "WITH",
    "FROM",
    "DESCRIBE",
    "SHOW",
    "SUMMARIZE",
    "EXPLAIN",
    "PRAGMA",
    "CALL",
)
# What may come before a statement's first keyword: spaces and comments.
_LEADING_COMMENTS: Final = re.compile(r"(?:\s+|--[^\n]*(?:\n|$)|/\*.*?\*/)*", re.S)
# The first two words of a statement.
_LEADING_WORDS: Final = re.compile(r"([A-Za-z_]+)(?:\s+([A-Za-z_]+))?")

# DuckDB type ids shown as JSON text in tabular output: their Python or CSV forms are not
# readable back (`{a=1}`, `[{'a': x}]`).
NESTED_TYPES: Final = frozenset({"list", "struct", "map", "array", "union"})

# Per column of the user's result, by position (`#n`): the result's own names never enter SQL.
AS_TEXT: Final = "CAST(#{n} AS VARCHAR) AS c{n}"
AS_JSON_TEXT: Final = "to_json(#{n})::VARCHAR AS c{n}"

Encoding = Literal["text", "json"]


class QueryError(UserError, ValueError):
    """A user's query refused (more than one statement, a statement that is not a query, a
    file, database, extension or setting it may not touch) or failed in DuckDB."""

    readme_section = "SQL on the warehouse"


@dataclass(frozen=True)
class QueryResult:
    """The result's column names (as the query named them, duplicates kept), their DuckDB
    type ids (`timestamp`, `boolean`, …) and its rows in batches of string columns
    `c1..cN`, one per result column, in order."""

    columns: list[str]
    batches: Iterator[pl.DataFrame]
    types: list[str] = field(default_factory=list)


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
    if _kind(statements[0]) not in READING_STATEMENTS:
        raise QueryError(
            f"refused: {statement_name(statements[0])}; the warehouse is read-only "
            f"here and runs queries only ({', '.join(READING_KEYWORDS)})"
        )
    return query


def _kind(statement: duckdb.Statement) -> duckdb.StatementType | None:
    """DuckDB's type of a statement; None for a type its Python bindings do not know
    (`UPDATE EXTENSIONS`), which is no reading statement either."""
    try:
        return statement.type
    except ValueError:
        return None


def statement_name(statement: duckdb.Statement) -> str:
    """The statement as the user typed it (`INSTALL statement`): its leading keyword (two for
    `FORCE …`), upper case, and DuckDB's statement type where the keyword alone would mislead (`PRAGMA x = 1`
    runs as a SET, `WITH … INSERT` as an INSERT). The type alone can name another statement:
    INSTALL parses as LOAD."""
    text = statement.query
    words = _LEADING_WORDS.match(text, _LEADING_COMMENTS.match(text).end())
    kind = getattr(_kind(statement), "name", "an unknown statement type")
    if words is None:
        return f"{kind} statement"
    first, second = words[1].upper(), (words[2] or "").upper()
    typed = f"{first} {second}" if first == "FORCE" and second else first
    if typed in READING_KEYWORDS:
        return f"{typed} statement (DuckDB runs it as {kind})"
    return f"{typed} statement"


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
        types = [str(kind.id) for kind in relation.types]
        yield QueryResult(columns=columns, batches=_frames(reader), types=types)


def _frames(reader: pa.RecordBatchReader) -> Iterator[pl.DataFrame]:
    try:
        for batch in reader:
            yield pl.DataFrame(batch)
    # An error raised while the query streams (a failed cast, `error()`) comes through Arrow.
    except (duckdb.Error, pa.ArrowException, OSError) as exc:
        raise QueryError(str(exc)) from None
