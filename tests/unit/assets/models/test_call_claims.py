"""Claims on model requests: one holder at a time, a second run is told to read the log, a
dead run's claims are taken over, and the marks go when the last run leaves."""

from __future__ import annotations

import multiprocessing
import sqlite3
from pathlib import Path

from assets.models.call_claims import DATABASE_FILE, OWNERS_FOLDER, CallClaims


def test_one_holder_at_a_time_and_the_next_is_told_to_read_the_log(tmp_path: Path):
    first, second = CallClaims(tmp_path), CallClaims(tmp_path)  # as two runs would
    with first.session(), second.session():
        taken = first.take(["abc", "def"])
        assert (taken.new, taken.seen, taken.busy) == (["abc", "def"], [], [])
        # Held by a live run: busy, nothing held.
        taken = second.take(["abc", "xyz"])
        assert (taken.new, taken.seen, taken.busy) == (["xyz"], [], ["abc"])
        assert second.held == 1
        first.release(["abc"])
        # Released: the first run may have logged it, so the second reads the log.
        taken = second.take(["abc"])
        assert (taken.new, taken.seen, taken.busy) == ([], ["abc"], [])
        assert (first.held, second.held) == (1, 2)
        # A mark left by a run that ended is taken, and read first.
        first.release(["def"])
        assert second.take(["def"]).seen == ["def"]


def _claim_and_die(home: Path, ready) -> None:
    claims = CallClaims(home)
    with claims.session():
        claims.take(["held-by-the-dead"])
        ready.set()
        multiprocessing.Event().wait()  # until killed


def test_a_killed_run_blocks_nobody(tmp_path: Path):
    ready = multiprocessing.Event()
    doomed = multiprocessing.Process(target=_claim_and_die, args=(tmp_path, ready))
    doomed.start()
    assert ready.wait(timeout=60)
    claims = CallClaims(tmp_path)
    with claims.session():
        assert claims.take(["held-by-the-dead"]).busy == ["held-by-the-dead"]
        doomed.kill()
        doomed.join()
        # Its process died, and with it its lock: the claim is taken over, as seen.
        assert claims.take(["held-by-the-dead"]).seen == ["held-by-the-dead"]


def test_marks_are_deleted_by_the_last_run_to_leave(tmp_path: Path):
    first, second = CallClaims(tmp_path), CallClaims(tmp_path)
    with first.session():
        with second.session():
            second.take(["made-by-second"])
        # The first run is still inside its session: the mark stays.
        assert first.take(["made-by-second"]).seen == ["made-by-second"]
        first.take(["made-by-first"])
    with sqlite3.connect(first.root / DATABASE_FILE) as db:
        assert db.execute("SELECT count(*) FROM claims").fetchone() == (0,)
    assert list((first.root / OWNERS_FOLDER).iterdir()) == []
    # With no run beside it, a run's claims are all new.
    with first.session():
        assert first.take(["made-by-second", "made-by-first"]).new == [
            "made-by-second",
            "made-by-first",
        ]
