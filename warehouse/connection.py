"""Opening the warehouse: one writer process at a time, schema migrated on first use."""

from __future__ import annotations

import atexit
import fcntl
import os
import threading
import time
import typing
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import duckdb

from warehouse.errors import UserError
from warehouse.migrations import migrate, schema_is_current

DEFAULT_HOME = ".synthfoundry"
LOCK_TIMEOUT_S = 900.0

# Once torch is imported (embeddings), the `typing` registry of @overload functions outlives
# interpreter shutdown. It holds overloads of every library, Dagster's among them; through their
# module globals and Dagster's caches it kept our definitions, the warehouse modules and so
# DuckDB's bindings alive, and nanobind reported every DuckDB type, function and constant as
# leaked. Emptying the registry at exit (nothing reads it then) lets all of it be freed.
atexit.register(typing.clear_overloads)


# Warehouse files this process found at the latest schema, as they were then (path, device,
# inode, size, modification time): a file changed since by anyone else, or replaced at the same
# path (a restored backup), is checked again. Opening DuckDB builds its whole catalog (about
# 20 ms of CPU) and the check is two more queries; a stage writes once per batch.
_MIGRATED: dict[Path, tuple[int, int, int, int]] = {}


def _file_state(path: Path) -> tuple[int, int, int, int] | None:
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns)


def _known_current(path: Path) -> bool:
    state = _file_state(path)
    return state is not None and _MIGRATED.get(path) == state


def _remember_current(path: Path) -> None:
    state = _file_state(path)
    if state is not None:
        _MIGRATED[path] = state


class _ReadSession:
    """One read-only connection that a thread's reads share inside `Warehouse.reading()`,
    opened on the first read and held under the shared lock until the block ends or this
    thread asks to write."""

    def __init__(self, warehouse: Warehouse):
        self.warehouse = warehouse
        self.handle: IO[str] | None = None
        self.con: duckdb.DuckDBPyConnection | None = None

    def connection(self) -> duckdb.DuckDBPyConnection:
        if self.con is None:
            self.handle = self.warehouse._acquire(fcntl.LOCK_SH)
            try:
                self.con = duckdb.connect(str(self.warehouse.path), read_only=True)
            except BaseException:
                self.release()
                raise
        return self.con

    def release(self) -> None:
        """Close the connection and drop the lock (a write in this thread, or the block's end)."""
        if self.con is not None:
            self.con.close()
            self.con = None
        if self.handle is not None:
            fcntl.flock(self.handle, fcntl.LOCK_UN)
            self.handle.close()
            self.handle = None


_SESSIONS = threading.local()


def _read_sessions() -> dict[Path, _ReadSession]:
    if not hasattr(_SESSIONS, "by_path"):
        _SESSIONS.by_path = {}
    return _SESSIONS.by_path


class WarehouseLockTimeout(UserError, RuntimeError):
    """Another process held the warehouse for longer than the lock timeout."""

    readme_section = "Contracts"


def synthfoundry_home() -> Path:
    """`$SYNTHFOUNDRY_HOME`, or `./.synthfoundry`."""
    return Path(os.environ.get("SYNTHFOUNDRY_HOME", DEFAULT_HOME)).expanduser().resolve()


class Warehouse:
    """A DuckDB file under a SynthFoundry home.

    DuckDB allows one writing process, and a read-only connection cannot open while another
    process writes. A lock file beside the database turns that into waiting instead of
    failing: writers take it exclusively, readers shared. Connections are short-lived so no
    step holds the warehouse between its reads and writes.
    """

    def __init__(self, home: str | Path | None = None, lock_timeout_s: float = LOCK_TIMEOUT_S):
        self.home = Path(home).expanduser().resolve() if home else synthfoundry_home()
        self.path = self.home / "warehouse.duckdb"
        self.lock_path = self.home / "warehouse.lock"
        self.exports_dir = self.home / "exports"
        self.lock_timeout_s = lock_timeout_s
        self._schema_checked = False

    def __repr__(self) -> str:
        return f"Warehouse({str(self.home)!r})"

    def _acquire(self, mode: int) -> IO[str]:
        """The lock file, open and locked in `mode`; unlocked when closed."""
        self.home.mkdir(parents=True, exist_ok=True)
        handle = open(self.lock_path, "a+")  # noqa: SIM115 (held across calls by _ReadSession)
        deadline = time.monotonic() + self.lock_timeout_s
        while True:
            try:
                fcntl.flock(handle, mode | fcntl.LOCK_NB)
                return handle
            except BlockingIOError:
                if time.monotonic() > deadline:
                    handle.close()
                    raise WarehouseLockTimeout(
                        f"{self.path}: another process held the warehouse for more than "
                        f"{self.lock_timeout_s:.0f} s"
                    ) from None
                time.sleep(0.05)

    @contextmanager
    def _locked(self, mode: int) -> Iterator[None]:
        handle = self._acquire(mode)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
            handle.close()

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Inside the block, this thread's `reader()` calls share one read-only connection
        (the quality gate makes dozens of small reads; each open costs DuckDB a catalog). The
        shared lock is held from the first read to the end of the block, so keep blocks short;
        a `writer()` in the block closes the shared connection first, and the next read opens
        it again."""
        sessions = _read_sessions()
        if self.path in sessions:
            yield
            return
        session = sessions[self.path] = _ReadSession(self)
        try:
            yield
        finally:
            del sessions[self.path]
            session.release()

    @contextmanager
    def writer(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-write connection, held exclusively; commit is the caller's transaction."""
        session = _read_sessions().get(self.path)
        if session is not None:
            session.release()
        with self._locked(fcntl.LOCK_EX):
            known = _known_current(self.path)
            con = duckdb.connect(str(self.path))
            try:
                if not known:
                    migrate(con)
                self._schema_checked = True
                yield con
            finally:
                con.close()
            # Still under the lock: what this writer left is a file at the latest schema.
            _remember_current(self.path)

    @contextmanager
    def reader(
        self, config: Mapping[str, object] | None = None
    ) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection; other readers may be open at the same time. `config`:
        DuckDB settings applied when it opens (e.g. the lock-down of user queries)."""
        if not self._schema_checked:
            if not _known_current(self.path) and (
                not self.path.exists() or not self._schema_current()
            ):
                with self.writer():
                    pass
            self._schema_checked = True
        session = _read_sessions().get(self.path)
        if session is not None and not config:
            # A cursor: its own connection to the session's database, so a caller that closes
            # it (or leaves a result open) does not touch the next read.
            cursor = session.connection().cursor()
            try:
                yield cursor
            finally:
                cursor.close()
            return
        with self._locked(fcntl.LOCK_SH):
            con = duckdb.connect(str(self.path), read_only=True, config=dict(config or {}))
            try:
                yield con
            finally:
                con.close()

    def _schema_current(self) -> bool:
        with self._locked(fcntl.LOCK_SH):
            con = duckdb.connect(str(self.path), read_only=True)
            try:
                current = schema_is_current(con)
            finally:
                con.close()
        if current:
            _remember_current(self.path)
        return current
