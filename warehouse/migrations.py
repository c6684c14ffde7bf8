"""In-place schema migrations: `sql/migrations/NNN_name.sql`, applied once each, in order."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import cache
from importlib.resources import files

import duckdb

from warehouse.queries import scalar

_MIGRATION_NAME = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")


@cache
def migrations() -> tuple[tuple[int, str, str], ...]:
    """(number, file name, SQL) of every migration, in order."""
    found = []
    for entry in files("warehouse").joinpath("sql", "migrations").iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort()
    numbers = [number for number, _, _ in found]
    if numbers != list(range(1, len(numbers) + 1)):
        raise RuntimeError(f"warehouse migrations are not numbered 1..n: {numbers}")
    return tuple(found)


def latest_schema_version() -> int:
    return len(migrations())


def current_schema_version(con: duckdb.DuckDBPyConnection) -> int:
    exists = scalar(
        con, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version'"
    )
    if not exists:
        return 0
    return int(scalar(con, "SELECT coalesce(max(version), 0) FROM schema_version"))


def schema_is_current(con: duckdb.DuckDBPyConnection) -> bool:
    return current_schema_version(con) >= latest_schema_version()


def migrate(con: duckdb.DuckDBPyConnection) -> int:
    """Bring the schema up to date; each migration commits with its version row or not at all."""
    current = current_schema_version(con)
    if current > latest_schema_version():
        raise RuntimeError(
            f"warehouse schema version {current} is newer than this code knows "
            f"({latest_schema_version()}): upgrade synthfoundry"
        )
    for number, name, text in migrations():
        if number <= current:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(
                "CREATE TABLE IF NOT EXISTS schema_version "
                "(version INTEGER NOT NULL, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)"
            )
            con.execute(text)
            con.execute(
                "INSERT INTO schema_version VALUES (?, ?, ?)",
                [number, name, datetime.now(UTC).replace(tzinfo=None)],
            )
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
    return latest_schema_version()
