"""Opening the warehouse: one writer process at a time, schema migrated on first use."""

from __future__ import annotations

import atexit
import fcntl
import os
import time
import typing
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

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

    @contextmanager
    def _locked(self, mode: int) -> Iterator[None]:
        self.home.mkdir(parents=True, exist_ok=True)
        with open(self.lock_path, "a+") as handle:
            deadline = time.monotonic() + self.lock_timeout_s
            while True:
                try:
                    fcntl.flock(handle, mode | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise WarehouseLockTimeout(
                            f"{self.path}: another process held the warehouse for more than "
                            f"{self.lock_timeout_s:.0f} s"
                        ) from None
                    time.sleep(0.05)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    @contextmanager
    def writer(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-write connection, held exclusively; commit is the caller's transaction."""
        with self._locked(fcntl.LOCK_EX):
            con = duckdb.connect(str(self.path))
            try:
                migrate(con)
                self._schema_checked = True
                yield con
            finally:
                con.close()

    @contextmanager
    def reader(
        self, config: Mapping[str, object] | None = None
    ) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection; other readers may be open at the same time. `config`:
        DuckDB settings applied when it opens (e.g. the lock-down of user queries)."""
        if not self._schema_checked:
            if not self.path.exists() or not self._schema_current():
                with self.writer():
                    pass
            self._schema_checked = True
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
                return schema_is_current(con)
            finally:
                con.close()
