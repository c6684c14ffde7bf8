"""Progress of a step's model calls: one line every few seconds, never one per call."""

from __future__ import annotations

import logging

import pytest

from assets.models.call_progress import PROGRESS_PREFIX, CallProgress


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_reports_counts_and_throughput_at_most_every_interval(caplog: pytest.LogCaptureFixture):
    clock = Clock()
    progress = CallProgress("self_instruct", logging.getLogger("test.progress"), 5.0, clock)
    progress.planned(calls=10, cache_hits=4)
    with caplog.at_level(logging.INFO, logger="test.progress"):
        for second in range(1, 13):
            clock.now = 100.0 + second
            progress.finished(ok=second != 3)
            progress.tick()
    lines = [r.getMessage() for r in caplog.records]
    # Twelve calls in twelve seconds: reports at 5 s and 10 s only.
    assert lines == [
        f"{PROGRESS_PREFIX}self_instruct: 5/10 model calls made, 4 cache hits, 1 failed, "
        "1.00 calls/s over 5 s",
        f"{PROGRESS_PREFIX}self_instruct: 10/10 model calls made, 4 cache hits, 1 failed, "
        "1.00 calls/s over 10 s",
    ]


def test_a_call_another_run_made_counts_as_a_cache_hit():
    clock = Clock()
    progress = CallProgress("rephrase", logging.getLogger("test.progress"), 5.0, clock)
    progress.planned(calls=3, cache_hits=0)
    progress.finished(ok=True, reused=True)
    progress.finished(ok=True)
    assert (progress.made, progress.needed, progress.cache_hits) == (1, 2, 1)


def test_the_next_report_is_due_when_the_interval_has_passed():
    clock = Clock()
    progress = CallProgress("judge", logging.getLogger("test.progress"), 5.0, clock)
    assert progress.seconds_to_next() == 5.0  # nothing planned yet
    progress.planned(calls=1, cache_hits=0)
    clock.now += 2
    assert progress.seconds_to_next() == 3.0
    clock.now += 4
    assert progress.seconds_to_next() == 0.0
