"""Versioned corpora: stage a new immutable version, promote or reject it, read any version."""

from __future__ import annotations

import json
import os
import re
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal, get_args

import duckdb
import polars as pl

from warehouse.connection import Warehouse
from warehouse.queries import query_to_parquet, scalar, sql

# The versioned corpora, in flow order; the one list every layer names them from.
Corpus = Literal["seed", "synthesized", "filtered", "decontaminated"]
CORPORA: tuple[str, ...] = get_args(Corpus)
DECISION_COLUMNS = ("row_id", "stage", "rule", "action", "score", "evidence")
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")
_CURRENT_VERSION = "SELECT version FROM current_versions WHERE corpus = ?"


@dataclass(frozen=True)
class ParentVersion:
    """A corpus version another version was built from."""

    corpus: str
    version: int

    def as_dict(self) -> dict[str, object]:
        return {"corpus": self.corpus, "version": self.version}


def now() -> datetime:
    """UTC wall-clock time without tzinfo, as DuckDB TIMESTAMP stores it."""
    return datetime.now(UTC).replace(tzinfo=None)


def table_of(corpus: str) -> str:
    """The table holding every version of `corpus`; names come only from `CORPORA`."""
    if corpus not in CORPORA:
        raise ValueError(f"unknown corpus {corpus!r}; expected one of {', '.join(CORPORA)}")
    return f"corpus_{corpus}"


def _add_new_columns(con: duckdb.DuckDBPyConnection, table: str, relation: str) -> list[str]:
    """Evolve `table` to hold columns of `relation` it lacks; returns the added names."""
    existing = {row[0] for row in con.execute(f"DESCRIBE {table}").fetchall()}
    added = []
    for name, dtype, *_ in con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall():
        if name in existing:
            continue
        if not _IDENTIFIER.match(name):
            raise ValueError(f"column name {name!r} is not a plain lower-case identifier")
        con.execute(
            f'ALTER TABLE {table} ADD COLUMN "{name}" {"VARCHAR" if dtype == "NULL" else dtype}'
        )
        added.append(name)
    return added


def _writer_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _writer_gone(writer: str | None) -> bool:
    """Whether the process that was appending a version is gone: on this host, no process
    has its pid (a writer on another host is never presumed dead; retention prunes it)."""
    host, _, pid = (writer or "").rpartition(":")
    if host != socket.gethostname() or not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _discard(con: duckdb.DuckDBPyConnection, corpus: str, versions: list[int]) -> None:
    """Delete the rows and decisions of unfinished versions; their history row says `abandoned`."""
    if not versions:
        return
    con.execute(
        f"DELETE FROM {table_of(corpus)} WHERE version IN (SELECT unnest(?::INTEGER[]))",
        [versions],
    )
    con.execute(
        "DELETE FROM decisions WHERE corpus = ? AND version IN (SELECT unnest(?::INTEGER[]))",
        [corpus, versions],
    )
    con.execute(
        "UPDATE corpus_versions SET status = 'abandoned', decided_at = ? "
        "WHERE corpus = ? AND version IN (SELECT unnest(?::INTEGER[]))",
        [now(), corpus, versions],
    )


class VersionWriter:
    """A new version of `corpus`, appended batch by batch and staged only once complete.

    `begin` reserves the version number (status `writing`), `append` adds rows and decisions
    in one transaction per batch, `finish` marks it `staged` with its counts. Until its checks
    promote it, no current-version view shows it, so a run killed mid-stage leaves the last
    promoted version current; the next writer of the corpus discards what the dead one left."""

    def __init__(
        self,
        wh: Warehouse,
        corpus: str,
        *,
        parents: list[ParentVersion] | tuple[ParentVersion, ...] = (),
        run_id: str | None = None,
        code_version: str | None = None,
        recipe_sha256: str | None = None,
    ) -> None:
        self.wh = wh
        self.corpus = corpus
        self.table = table_of(corpus)
        self.parents = list(parents)
        self.run_id = run_id
        self.code_version = code_version
        self.recipe_sha256 = recipe_sha256
        self.version: int | None = None
        self.row_count = 0
        self.created_at = now()

    def begin(self) -> int:
        with self.wh.writer() as con:
            con.execute("BEGIN TRANSACTION")
            try:
                stale = [
                    int(version)
                    for version, writer in con.execute(
                        sql("writing_versions"), [self.corpus]
                    ).fetchall()
                    if _writer_gone(writer)
                ]
                _discard(con, self.corpus, stale)
                version = int(scalar(con, sql("next_version"), [self.corpus]))
                con.execute(
                    sql("insert_corpus_version"),
                    [
                        self.corpus,
                        version,
                        self.run_id,
                        self.code_version,
                        self.recipe_sha256,
                        [p.as_dict() for p in self.parents],
                        self.created_at,
                        _writer_id(),
                    ],
                )
                con.execute("COMMIT")
            except Exception:
                con.execute("ROLLBACK")
                raise
        self.version = version
        return version

    def append(self, rows: pl.DataFrame, decisions: pl.DataFrame | None = None) -> None:
        """Add a batch of rows and decisions (`DECISION_COLUMNS`) to the version, atomically."""
        if self.version is None:
            raise RuntimeError("append before begin")
        has_rows = rows.width > 0 and (rows.height > 0 or self.row_count == 0)
        has_decisions = decisions is not None and decisions.height > 0
        if not has_rows and not has_decisions:
            return
        with self.wh.writer() as con:
            con.execute("BEGIN TRANSACTION")
            try:
                if has_rows:
                    con.register("staged_rows", rows.to_arrow())
                    _add_new_columns(con, self.table, "staged_rows")
                    con.execute(
                        f"INSERT INTO {self.table} BY NAME "
                        "SELECT ?::INTEGER AS version, * FROM staged_rows",
                        [self.version],
                    )
                if has_decisions:
                    con.register("staged_decisions", decisions.select(DECISION_COLUMNS).to_arrow())
                    con.execute(
                        sql("insert_decisions"),
                        [self.corpus, self.version, self.run_id, self.created_at],
                    )
                con.execute("COMMIT")
            except Exception:
                con.execute("ROLLBACK")
                raise
        self.row_count += rows.height

    def finish(self, step_engines: Sequence[tuple[str, str]] | None = None) -> int:
        """Mark the version `staged` (complete); returns its number. `step_engines`: per step,
        in order, where it ran (`local`, `spark driver`, `spark executors`)."""
        engines = (
            None
            if step_engines is None
            else [{"step": step, "engine": engine} for step, engine in step_engines]
        )
        with self.wh.writer() as con:
            dropped = scalar(con, sql("version_dropped_count"), [self.corpus, self.version])
            done = con.execute(
                sql("finish_version"),
                {
                    "row_count": self.row_count,
                    "dropped_count": int(dropped or 0),
                    "step_engines": engines,
                    "corpus": self.corpus,
                    "version": self.version,
                },
            ).fetchall()
        if not done:
            raise RuntimeError(f"{self.corpus} v{self.version} was not being written")
        return int(self.version)  # type: ignore[arg-type]

    def abandon(self) -> None:
        """Discard what was appended (the stage failed); the version stays `abandoned`."""
        if self.version is None:
            return
        with self.wh.writer() as con:
            con.execute("BEGIN TRANSACTION")
            try:
                _discard(con, self.corpus, [self.version])
                con.execute("COMMIT")
            except Exception:
                con.execute("ROLLBACK")
                raise


def stage_version(
    wh: Warehouse,
    corpus: str,
    rows: pl.DataFrame,
    *,
    decisions: pl.DataFrame | None = None,
    parents: list[ParentVersion] | tuple[ParentVersion, ...] = (),
    run_id: str | None = None,
    code_version: str | None = None,
    recipe_sha256: str | None = None,
) -> int:
    """Write `rows` as a new staged version of `corpus`, with its drop decisions."""
    writer = VersionWriter(
        wh,
        corpus,
        parents=parents,
        run_id=run_id,
        code_version=code_version,
        recipe_sha256=recipe_sha256,
    )
    writer.begin()
    try:
        writer.append(rows, decisions)
        return writer.finish()
    except BaseException:
        writer.abandon()
        raise


def snapshot_version(
    wh: Warehouse, corpus: str, version: int, target: Path, batch_rows: int
) -> Path:
    """A snapshot of a stored version as one Parquet file in row_id order, written batch by
    batch, so a stage can stream it without holding the warehouse (or the version) while it
    works."""
    table = table_of(corpus)
    with wh.reader() as con:
        query_to_parquet(
            con,
            f"SELECT * EXCLUDE (version) FROM {table} WHERE version = $version ORDER BY row_id",
            {"version": version},
            target,
            batch_rows,
        )
    return target


def decide_version(
    wh: Warehouse, corpus: str, version: int, *, promote: bool, check_results: dict
) -> None:
    """Mark a staged version promoted or rejected, with the check results that decided it."""
    table_of(corpus)
    status = "promoted" if promote else "rejected"
    with wh.writer() as con:
        updated = con.execute(
            sql("decide_version"),
            [status, json.dumps(check_results, default=str), now(), corpus, version],
        ).fetchall()
    if not updated:
        raise ValueError(f"{corpus} v{version} is not a staged version")


def mark_pending(wh: Warehouse, corpus: str, version: int, batch_keys: list[str]) -> None:
    """Mark a staged version `pending`: its rows wait on provider batches (`batches`, by
    key); it is never promoted, and a later version supersedes it."""
    table_of(corpus)
    with wh.writer() as con:
        updated = con.execute(
            sql("pend_version"),
            [json.dumps({"pending_batches": batch_keys}), now(), corpus, version],
        ).fetchall()
    if not updated:
        raise ValueError(f"{corpus} v{version} is not a staged version")


def supersede_pending(wh: Warehouse, corpus: str, version: int) -> list[int]:
    """Mark the pending versions of `corpus` older than `version` superseded (the run that
    made `version` adopted their batches); their numbers."""
    table_of(corpus)
    with wh.writer() as con:
        rows = con.execute(
            sql("supersede_pending"), {"decided_at": now(), "corpus": corpus, "version": version}
        ).fetchall()
    return sorted(int(r[0]) for r in rows)


def pending_versions(wh: Warehouse, corpus: str) -> list[dict]:
    """The pending versions of `corpus`, oldest first: version, run_id, created_at and the
    keys of the batches each waits for."""
    table_of(corpus)
    with wh.reader() as con:
        return con.sql(sql("pending_versions"), params=[corpus]).pl().to_dicts()


def current_version(wh: Warehouse, corpus: str) -> int | None:
    table_of(corpus)
    with wh.reader() as con:
        version = scalar(con, _CURRENT_VERSION, [corpus])
    return int(version) if version is not None else None


def version_info(wh: Warehouse, corpus: str, version: int) -> dict | None:
    with wh.reader() as con:
        frame = con.sql(
            "SELECT * FROM corpus_versions WHERE corpus = ? AND version = ?",
            params=[corpus, version],
        ).pl()
    return frame.to_dicts()[0] if frame.height else None


def read_version_number(wh: Warehouse, corpus: str) -> int:
    """The current promoted version of `corpus`; LookupError when there is none."""
    version = current_version(wh, corpus)
    if version is None:
        raise LookupError(f"corpus {corpus!r} has no promoted version yet")
    return version


def read_version(
    wh: Warehouse, corpus: str, version: int | None = None, *, columns: list[str] | None = None
) -> tuple[int, pl.DataFrame]:
    """(version, rows) of `corpus` at `version`, or at its current promoted version."""
    table = table_of(corpus)
    if columns is not None and not all(_IDENTIFIER.match(c) for c in columns):
        raise ValueError(f"invalid column list {columns!r}")
    selected = ", ".join(f'"{c}"' for c in columns) if columns else "* EXCLUDE (version)"
    with wh.reader() as con:
        if version is None:
            version = scalar(con, _CURRENT_VERSION, [corpus])
            if version is None:
                raise LookupError(f"corpus {corpus!r} has no promoted version yet")
        status = scalar(
            con,
            "SELECT status FROM corpus_versions WHERE corpus = ? AND version = ?",
            [corpus, version],
        )
        if status is None:
            raise LookupError(f"{corpus} v{version} does not exist")
        if status == "pruned":
            raise LookupError(f"{corpus} v{version} was pruned by the retention policy")
        frame = con.sql(
            f"SELECT {selected} FROM {table} WHERE version = ? ORDER BY row_id", params=[version]
        ).pl()
    return version, frame


def current_rows(
    wh: Warehouse, corpus: str, row_ids: list[str], columns: list[str]
) -> pl.DataFrame:
    """`columns` of the rows with these ids in `corpus`'s current promoted version (none when
    it has no promoted version)."""
    table = table_of(corpus)
    if not all(_IDENTIFIER.match(c) for c in columns):
        raise ValueError(f"invalid column list {columns!r}")
    selected = ", ".join(f'"{c}"' for c in columns)
    with wh.reader() as con:
        return con.sql(
            f"SELECT {selected} FROM {table} WHERE version = ({_CURRENT_VERSION}) "
            "AND list_contains(?::VARCHAR[], row_id)",
            params=[corpus, row_ids],
        ).pl()


def list_versions(wh: Warehouse, corpus: str | None = None) -> pl.DataFrame:
    with wh.reader() as con:
        return con.sql(sql("list_versions"), params=[corpus, corpus]).pl()


def staged_version_of_run(wh: Warehouse, corpus: str, run_id: str) -> int | None:
    """The newest version of `corpus` staged by Dagster run `run_id`, still awaiting its checks."""
    with wh.reader() as con:
        version = scalar(
            con,
            "SELECT max(version) FROM corpus_versions "
            "WHERE corpus = ? AND run_id = ? AND status = 'staged'",
            [corpus, run_id],
        )
    return int(version) if version is not None else None


def prune(wh: Warehouse, corpus: str, keep_last: int, stale_staged_after: timedelta) -> list[int]:
    """Delete the rows of old rejected, superseded or abandoned versions of `corpus`.

    The current version, the newest `keep_last` versions, and any version a surviving
    downstream version was built from are kept. Their `corpus_versions` rows stay, marked
    `pruned`, so history still says what existed.
    """
    table = table_of(corpus)
    with wh.writer() as con:
        con.execute("BEGIN TRANSACTION")
        try:
            victims = [
                int(r[0])
                for r in con.execute(
                    sql("prunable_versions"), [corpus, keep_last, now() - stale_staged_after]
                ).fetchall()
            ]
            if victims:
                con.execute(
                    f"DELETE FROM {table} WHERE version IN (SELECT unnest(?::INTEGER[]))", [victims]
                )
                con.execute(
                    "DELETE FROM decisions WHERE corpus = ? AND version IN (SELECT unnest(?::INTEGER[]))",
                    [corpus, victims],
                )
                con.execute(
                    "UPDATE corpus_versions SET status = 'pruned', decided_at = ? "
                    "WHERE corpus = ? AND version IN (SELECT unnest(?::INTEGER[]))",
                    [now(), corpus, victims],
                )
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
    return victims
