"""Claims on model requests: one holder at a time, a waiter learns another run made the call,
a stopped waiter gives up, and the files go when the last run leaves."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from assets.models.call_claims import CallClaims, Claim


def test_one_holder_at_a_time_and_the_waiter_is_told_to_read_the_log(tmp_path: Path):
    first, second = CallClaims(tmp_path), CallClaims(tmp_path)  # as two runs would
    stop = threading.Event()
    with first.session(), second.session():
        assert first.claim("abc", stop) is Claim.NEW
        got: list[Claim] = []
        waiter = threading.Thread(target=lambda: got.append(second.claim("abc", stop)))
        waiter.start()
        time.sleep(0.3)
        assert waiter.is_alive() and not got  # waits while the first run holds it
        first.release(["abc"])
        waiter.join(timeout=5)
        assert got == [Claim.SEEN]  # the first run may have logged it: read the log
        assert second.held == 1
        # A claim file left by a run that ended (or was killed) is taken, and read first.
        assert first.claim("abc-left", stop) is Claim.NEW
        first.release(["abc-left"])
        assert second.claim("abc-left", stop) is Claim.SEEN


def test_a_stopped_waiter_gives_up_and_holds_nothing(tmp_path: Path):
    holder, waiter = CallClaims(tmp_path), CallClaims(tmp_path)
    stop = threading.Event()
    with holder.session(), waiter.session():
        holder.claim("abc", stop)
        threading.Timer(0.2, stop.set).start()
        assert waiter.claim("abc", stop) is Claim.ABANDONED
        assert waiter.held == 0


def test_claim_files_are_deleted_by_the_last_run_to_leave(tmp_path: Path):
    first, second = CallClaims(tmp_path), CallClaims(tmp_path)
    stop = threading.Event()
    with first.session():
        with second.session():
            second.claim("made-by-second", stop)
        # The first run is still inside its session: the claim file stays.
        assert (first.root / "made-by-second").exists()
        first.claim("made-by-first", stop)
    assert sorted(p.name for p in first.root.iterdir()) == [".active"]
