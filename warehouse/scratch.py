"""An in-memory DuckDB for bulk work on frames (hashing row ids and tokens, n-gram joins):
one database per process, a connection of its own per use.

Opening an in-memory database costs about 25 ms, a new connection to an open one about 1 ms.
Row steps hash ids and tokens once per batch, so small batches (a streamed stage, a Spark
task, a test) paid the database's start more than its work.
"""

from __future__ import annotations

import atexit
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import duckdb

_lock = threading.Lock()
# (pid, database): a forked child must not use its parent's, whose threads it lacks.
_database: tuple[int, duckdb.DuckDBPyConnection] | None = None
# A parent's database in a forked child: kept (never closed, never freed) because freeing it
# would wait on threads that exist only in the parent.
_inherited: list[duckdb.DuckDBPyConnection] = []


@contextmanager
def scratch() -> Iterator[duckdb.DuckDBPyConnection]:
    """A new connection to this process's scratch database, closed after the block. What a
    block registers (`con.register`) is its connection's own, so threads do not mix."""
    global _database
    with _lock:
        if _database is None or _database[0] != os.getpid():
            if _database is not None:
                _inherited.append(_database[1])
            _database = (os.getpid(), duckdb.connect())
        con = _database[1].cursor()
    try:
        yield con
    finally:
        con.close()


@atexit.register
def _close() -> None:
    # Closed before interpreter shutdown, so DuckDB's bindings see no object left alive.
    global _database
    with _lock:
        if _database is not None and _database[0] == os.getpid():
            _database[1].close()
        _database = None
