"""Claims on model requests, so that runs beside each other on one home pay for a request once.

Before making calls, a run takes the claims on their request hashes, a batch at a time in one
transaction of a small SQLite table (`<home>/cache/call_claims/claims.sqlite`, one row per
hash naming its owner), and holds each until the call is written to the call log. A hash
whose row names another live owner is busy: the run asks again later, and then reads the
call log: the other run's result is reused (a cache hit) and only a failed or abandoned call
is made again. One transaction per batch, not a file and a lock per call, keeps the cost of
a claim to microseconds (measured: a file per claim cost about a quarter of the time of a
call against an instant server).

An owner (one `session` of one run) is alive while it holds an exclusive `flock` on
`owners/<owner>`; the kernel drops that lock when its process dies, even by SIGKILL, so a
killed run never blocks another: its claims are taken over as seen.

A released claim stays in the table as a mark that some run made the request. Marks are
deleted by a run that finishes its calls alone: every run holds a shared lock on `.active`
from before its cache lookup until its calls are logged, and deletes the marks only when it
can take that lock exclusively. A run that inserts a claim row therefore knows no other run
has made that request since its own cache lookup (`Claim.NEW`), and skips reading the log
again; one that found a row (`Claim.SEEN`) reads it.

The home must be on a local file system (flock and SQLite's locks are unreliable on some
network file systems).
"""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
import threading
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

CLAIMS_FOLDER = ("cache", "call_claims")
ACTIVE_FILE = ".active"
DATABASE_FILE = "claims.sqlite"
OWNERS_FOLDER = "owners"
WAIT_POLL_SECONDS = 0.1
# A transaction of another run (one batch) takes milliseconds; waiting minutes means trouble.
BUSY_TIMEOUT_MS = 600_000

CREATE_CLAIMS = (
    "CREATE TABLE IF NOT EXISTS claims (request_hash TEXT PRIMARY KEY, owner TEXT) WITHOUT ROWID"
)
# A batch of hashes is one JSON array bound to one statement, answered in one row: Python's
# sqlite3 lets go of the GIL at each step of a statement (a row of executemany or fetchall),
# and with the call threads running each step waits to get it back (measured with 64 threads
# busy beside it: a batch of 512 took 1.5 to 3 times as long through executemany).
SELECT_CLAIMS = (
    "SELECT json_group_object(request_hash, owner) FROM claims "
    "WHERE request_hash IN (SELECT value FROM json_each(?))"
)
INSERT_CLAIMS = "INSERT INTO claims (request_hash, owner) SELECT value, ? FROM json_each(?)"
TAKE_CLAIMS = "UPDATE claims SET owner = ? WHERE request_hash IN (SELECT value FROM json_each(?))"
RELEASE_CLAIMS = (
    "UPDATE claims SET owner = NULL "
    "WHERE owner = ? AND request_hash IN (SELECT value FROM json_each(?))"
)
RELEASE_OWNER = "UPDATE claims SET owner = NULL WHERE owner = ?"
DELETE_MARKS = "DELETE FROM claims"


class Claim(Enum):
    """How a claim was taken: `NEW` (no other run made the request since this run's cache
    lookup) or `SEEN` (another run claimed it before: its result may be in the call log)."""

    NEW = "new"
    SEEN = "seen"


@dataclass
class Taken:
    """One `CallClaims.take`: the hashes now held, `new` or `seen`, and those another live
    run holds (`busy`: ask again later)."""

    new: list[str] = field(default_factory=list)
    seen: list[str] = field(default_factory=list)
    busy: list[str] = field(default_factory=list)


class CallClaims:
    """The claims one model holds in one run; safe to use from several threads."""

    def __init__(self, home: Path):
        self.root = home.joinpath(*CLAIMS_FOLDER)
        self._held: set[str] = set()
        self._guard = threading.Lock()
        self._db: sqlite3.Connection | None = None
        self._owner = ""

    @contextmanager
    def session(self) -> Iterator[None]:
        """Held around a batch of requests, from its cache lookup until its calls are logged;
        on leaving it, releases what is still held and, when no other run is inside a session,
        deletes the marks."""
        (self.root / OWNERS_FOLDER).mkdir(parents=True, exist_ok=True)
        active = os.open(self.root / ACTIVE_FILE, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            # Blocks only while a run that finished alone deletes the marks.
            fcntl.flock(active, fcntl.LOCK_SH)
            self._owner = uuid.uuid4().hex
            owner_path = self.root / OWNERS_FOLDER / self._owner
            # Locked before any claim names this owner, so it is never taken for dead.
            owner = os.open(owner_path, os.O_RDWR | os.O_CREAT, 0o644)
            fcntl.flock(owner, fcntl.LOCK_EX)
            self._db = _connect(self.root / DATABASE_FILE)
            try:
                yield
            finally:
                with self._guard, _transaction(self._db) as db:
                    db.execute(RELEASE_OWNER, [self._owner])
                    self._held.clear()
                self._clean_if_alone(active)
                self._db.close()
                self._db = None
                os.unlink(owner_path)
                os.close(owner)
        finally:
            os.close(active)

    def take(self, request_hashes: Sequence[str]) -> Taken:
        """Take the claims on `request_hashes` (distinct) that no other live run holds, in
        one transaction."""
        taken = Taken()
        if not request_hashes:
            return taken
        db = self._connection()
        alive: dict[str, bool] = {}
        with self._guard:
            with _transaction(db):
                found = db.execute(SELECT_CLAIMS, [json.dumps(list(request_hashes))])
                rows: dict[str, str | None] = json.loads(found.fetchone()[0])
                inserted, taken_over = [], []
                for request_hash in request_hashes:
                    if request_hash not in rows:
                        inserted.append(request_hash)
                        continue
                    owner = rows[request_hash]
                    if owner is not None and owner != self._owner:
                        if owner not in alive:
                            alive[owner] = self._alive(owner)
                        if alive[owner]:
                            taken.busy.append(request_hash)
                            continue
                    # Released, left by a dead run, or claimed twice by this one.
                    taken_over.append(request_hash)
                if inserted:
                    db.execute(INSERT_CLAIMS, [self._owner, json.dumps(inserted)])
                if taken_over:
                    db.execute(TAKE_CLAIMS, [self._owner, json.dumps(taken_over)])
            self._held.update(inserted)
            self._held.update(taken_over)
        taken.new, taken.seen = inserted, taken_over
        return taken

    def release(self, request_hashes: Iterable[str]) -> None:
        """Let other runs have these requests (their results are in the call log, or failed,
        or were never made)."""
        db = self._connection()
        with self._guard:
            mine = [h for h in request_hashes if h in self._held]
            if not mine:
                return
            with _transaction(db):
                db.execute(RELEASE_CLAIMS, [self._owner, json.dumps(mine)])
            self._held.difference_update(mine)

    @property
    def held(self) -> int:
        return len(self._held)

    def _connection(self) -> sqlite3.Connection:
        if self._db is None:
            raise RuntimeError("claims are taken and released inside CallClaims.session()")
        return self._db

    def _alive(self, owner: str) -> bool:
        """Whether the session `owner` still holds its lock (its process has not died)."""
        try:
            handle = os.open(self.root / OWNERS_FOLDER / owner, os.O_RDWR)
        except FileNotFoundError:
            return False  # removed by its owner after releasing all it held
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        finally:
            os.close(handle)  # drops the shared lock if it was taken
        return False

    def _clean_if_alone(self, active: int) -> None:
        try:
            fcntl.flock(active, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return  # another run is inside a session: the marks must stay
        with self._guard, _transaction(self._connection()) as db:
            db.execute(DELETE_MARKS)
        # Owner files of runs that died (no other session exists, so no other owner lives).
        with os.scandir(self.root / OWNERS_FOLDER) as entries:
            for entry in entries:
                if entry.name != self._owner:
                    with suppress(FileNotFoundError):
                        os.unlink(entry.path)


@contextmanager
def _transaction(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction, taken at once (so two runs never deadlock upgrading a read)."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def _connect(path: Path) -> sqlite3.Connection:
    # Autocommit mode: transactions are explicit (BEGIN IMMEDIATE, or `with db`).
    db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)
    db.isolation_level = None
    db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    # Claims need no durability past a crash of the machine (every owner dies with it).
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute(CREATE_CLAIMS)
    return db
