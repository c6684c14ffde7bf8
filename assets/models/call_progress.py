"""Progress of a step's model calls, logged every few seconds while they run.

A model-calling stage can run for minutes; every `PROGRESS_EVERY_SECONDS` its step logs one
line (a Dagster log line in the run's log, which `synthfoundry run` prints) with the calls
made out of those needed, cache hits, failures and throughput. Time-based, so a thousand fast
calls do not flood the log and a slow model still reports.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

PROGRESS_EVERY_SECONDS = 5.0
# Marks progress lines in the run's log, so the CLI can show them among Dagster's own lines.
PROGRESS_PREFIX = "progress "


class CallProgress:
    """Counts of one step's model calls, reported at most every `every_s` seconds."""

    def __init__(
        self,
        label: str,
        log: logging.Logger | logging.LoggerAdapter,
        every_s: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.label = label
        self.log = log
        self.every_s = PROGRESS_EVERY_SECONDS if every_s is None else every_s
        self.clock = clock
        self.needed = 0
        self.made = 0
        self.failed = 0
        self.cache_hits = 0
        self.reported = 0
        self._started: float | None = None
        self._last: float | None = None

    def planned(self, calls: int, cache_hits: int) -> None:
        """A batch of requests: `calls` to make, `cache_hits` answered from the call log."""
        now = self.clock()
        if self._started is None:
            self._started = self._last = now
        self.needed += calls
        self.cache_hits += cache_hits

    def finished(self, ok: bool, reused: bool = False) -> None:
        """A call ended: made here (`ok` or failed), or `reused` from another run beside
        this one, which counts as a cache hit."""
        if reused:
            self.needed -= 1
            self.cache_hits += 1
            return
        self.made += 1
        self.failed += 0 if ok else 1

    def seconds_to_next(self) -> float:
        """How long until the next report is due (0 when it is)."""
        if self._last is None:
            return self.every_s
        return max(0.0, self._last + self.every_s - self.clock())

    def tick(self) -> None:
        """Report if the last report (or the start) is `every_s` seconds old."""
        if self._last is not None and self.seconds_to_next() == 0.0:
            self.report()

    def line(self) -> str:
        elapsed = self.clock() - (self._started if self._started is not None else self.clock())
        rate = self.made / elapsed if elapsed > 0 else 0.0
        return (
            f"{PROGRESS_PREFIX}{self.label}: {self.made}/{self.needed} model calls made, "
            f"{self.cache_hits} cache hits, {self.failed} failed, {rate:.2f} calls/s "
            f"over {elapsed:.0f} s"
        )

    def report(self) -> None:
        self.log.info(self.line())
        self.reported += 1
        self._last = self.clock()
