"""Claims on model requests, so that runs beside each other on one home pay for a request once.

Before making a call, a run takes the claim on its request hash: an exclusive `flock` on the
file `<home>/cache/call_claims/<hash>`, held until the call is written to the call log. A run
that finds the claim taken waits for it, then reads the call log: the other run's result is
reused (a cache hit) and only a failed or abandoned call is made again. The kernel drops a
lock when its process dies, even by SIGKILL, so a killed run never blocks another.

Claim files are deleted by a run that finishes its calls alone: every run holds a shared lock
on `.active` from before its cache lookup until its calls are logged, and deletes the files
only when it can take that lock exclusively. A run that created a claim file (and locked it
at once) therefore knows no other run has made that request since its own cache lookup, and
skips reading the log again; one that found the file, or had to wait, reads it.

The home must be on a local file system (flock is unreliable on some network file systems).
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from enum import Enum
from pathlib import Path

CLAIMS_FOLDER = ("cache", "call_claims")
ACTIVE_FILE = ".active"
WAIT_POLL_SECONDS = 0.1


class Claim(Enum):
    """How a claim was taken: `NEW` (no other run made the request since this run's cache
    lookup), `SEEN` (another run claimed it before: its result may be in the call log), or
    `ABANDONED` (the run stopped while waiting; nothing is held)."""

    NEW = "new"
    SEEN = "seen"
    ABANDONED = "abandoned"


class CallClaims:
    """The claims one model holds in one run; safe to use from its worker threads."""

    def __init__(self, home: Path):
        self.root = home.joinpath(*CLAIMS_FOLDER)
        self._held: dict[str, int] = {}
        self._guard = threading.Lock()

    @contextmanager
    def session(self) -> Iterator[None]:
        """Held around a batch of requests, from its cache lookup until its calls are logged;
        on leaving it, releases what is still held and, when no other run is inside a session,
        deletes the claim files."""
        self.root.mkdir(parents=True, exist_ok=True)
        active = os.open(self.root / ACTIVE_FILE, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            # Blocks only while a run that finished alone deletes the claim files.
            fcntl.flock(active, fcntl.LOCK_SH)
            try:
                yield
            finally:
                self.release(list(self._held))
                self._clean_if_alone(active)
        finally:
            os.close(active)

    def claim(self, request_hash: str, stop: threading.Event) -> Claim:
        """Take the claim on `request_hash`, waiting while another run holds it (until `stop`
        is set)."""
        path = self.root / request_hash
        try:
            handle = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
            created = True
        except FileExistsError:
            handle = os.open(path, os.O_RDWR)
            created = False
        waited = False
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if stop.is_set():
                    os.close(handle)
                    return Claim.ABANDONED
                waited = True
                time.sleep(WAIT_POLL_SECONDS)
        with self._guard:
            previous = self._held.pop(request_hash, None)
            self._held[request_hash] = handle
        if previous is not None:  # the same request claimed twice in one run: keep one
            os.close(previous)
        return Claim.NEW if created and not waited else Claim.SEEN

    def release(self, request_hashes: Iterable[str]) -> None:
        """Let other runs have these requests (their results are in the call log, or failed)."""
        with self._guard:
            handles = [self._held.pop(h) for h in request_hashes if h in self._held]
        for handle in handles:
            os.close(handle)  # closing the only descriptor drops its lock

    @property
    def held(self) -> int:
        return len(self._held)

    def _clean_if_alone(self, active: int) -> None:
        try:
            fcntl.flock(active, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return  # another run is inside a session: its claims must stay
        with os.scandir(self.root) as entries:
            for entry in entries:
                if entry.name != ACTIVE_FILE:
                    with suppress(FileNotFoundError):
                        os.unlink(entry.path)
