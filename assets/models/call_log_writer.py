"""Finished model calls written to the call log by a thread of their own, in batches by time.

A call-log write opens the warehouse, appends and checkpoints on close: about 0.15 s whether
it holds 256 calls or 8,192 (measured here), and on both cores, so frequent writes take CPU
from a model server on the same machine and, per call, cost more than a fast server's answer.
Calls are therefore written every `FLUSH_EVERY_SECONDS` (or once `FLUSH_EVERY_CALLS` wait),
from this thread, while the caller's thread goes on dispatching calls. Once a batch is logged
its claims are released (`call_claims`): a run beside this one waiting for them reads them
from the log. A kill loses at most the calls of the last few seconds, which a re-run makes.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import NamedTuple

import polars as pl

from assets.models.call_claims import CallClaims
from warehouse import Warehouse
from warehouse.lineage import log_calls

FLUSH_EVERY_SECONDS = 5.0
# Bounds the calls held in memory between writes (each holds its prompt and output).
FLUSH_EVERY_CALLS = 16_384


class CallRecord(NamedTuple):
    """One row of the call log (`warehouse.lineage.CALL_COLUMNS`)."""

    request_hash: str
    generator_id: str
    backend: str
    model: str
    prompt: str
    params: str
    sample_index: int
    raw_output: str | None
    finish_reason: str | None
    prompt_tokens: int | None
    completion_tokens: int | None
    latency_ms: float | None
    status: str
    error: str | None
    run_id: str | None
    # What the call cost at its generator's price (None: no price), and how it was sent.
    cost: float | None = None
    mode: str = "online"


CALL_SCHEMA = {
    "request_hash": pl.Utf8,
    "generator_id": pl.Utf8,
    "backend": pl.Utf8,
    "model": pl.Utf8,
    "prompt": pl.Utf8,
    "params": pl.Utf8,
    "sample_index": pl.Int32,
    "raw_output": pl.Utf8,
    "finish_reason": pl.Utf8,
    "prompt_tokens": pl.Int32,
    "completion_tokens": pl.Int32,
    "latency_ms": pl.Float64,
    "status": pl.Utf8,
    "error": pl.Utf8,
    "run_id": pl.Utf8,
    "cost": pl.Float64,
    "mode": pl.Utf8,
}


def calls_frame(records: Sequence[CallRecord]) -> pl.DataFrame:
    """The records as a frame, built a column at a time (several times faster than by rows)."""
    columns = zip(*records, strict=True) if records else [()] * len(CALL_SCHEMA)
    return pl.DataFrame(
        [
            pl.Series(name, values, dtype)
            for (name, dtype), values in zip(CALL_SCHEMA.items(), columns, strict=True)
        ]
    )


class CallLogWriter:
    """Appends `CallRecord`s to the call log from a background thread, then releases their
    claims. `close` writes what is left and re-raises a failed write."""

    def __init__(self, wh: Warehouse, claims: CallClaims):
        self.wh = wh
        self.claims = claims
        self.logged = 0
        self._pending: list[CallRecord] = []
        self._lock = threading.Lock()
        self._due = threading.Condition(self._lock)
        self._closing = False
        self._urgent = False
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="call-log-writer", daemon=True)
        self._thread.start()

    def add(self, records: Sequence[CallRecord], urgent: bool = False) -> None:
        """Queue finished calls; `urgent` writes them now (e.g. a failed call, which ends the
        run, is logged before the caller raises)."""
        self.raise_failure()
        with self._due:
            self._pending.extend(records)
            self._urgent = self._urgent or urgent
            if urgent or len(self._pending) >= FLUSH_EVERY_CALLS:
                self._due.notify()

    def close(self) -> None:
        """Write everything queued, stop the thread, and raise if a write failed."""
        with self._due:
            self._closing = True
            self._due.notify()
        self._thread.join()
        self.raise_failure()

    def raise_failure(self) -> None:
        if self._error is not None:
            raise RuntimeError(f"writing the call log failed: {self._error}") from self._error

    def _run(self) -> None:
        while True:
            with self._due:
                self._due.wait_for(
                    lambda: (
                        self._closing or self._urgent or len(self._pending) >= FLUSH_EVERY_CALLS
                    ),
                    timeout=FLUSH_EVERY_SECONDS,
                )
                batch, self._pending = self._pending, []
                self._urgent = False
                closing = self._closing
            if batch and self._error is None:
                try:
                    log_calls(self.wh, calls_frame(batch))
                    self.logged += len(batch)
                    # Logged: a run waiting for one of these calls may now read it.
                    self.claims.release([record.request_hash for record in batch])
                except BaseException as exc:  # re-raised on the caller's thread
                    self._error = exc
            if closing:
                return
