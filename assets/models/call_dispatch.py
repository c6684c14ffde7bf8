"""The missing calls of one `CachedModel.complete_many`, made on worker threads and logged.

The caller's thread takes claims a batch at a time (`call_claims`, one transaction each),
reads the call log once per batch for requests another run may have made, and queues the
rest as jobs; up to `max_in_flight` worker threads take jobs and put finished calls on a
result queue; the caller's thread collects them, reports progress, and hands them to the
call-log writer (`call_log_writer`), which releases their claims once they are logged.
Only about `max_in_flight + CLAIM_BATCH` jobs wait at a time, nothing is kept per call but
its output once it is logged, and no step costs more as the calls go on (measured before:
`concurrent.futures.wait` over every pending future made each call cost time in proportion
to the calls left, and a file and a lock per claim a quarter of a call's time).

After the first failure no new call starts; the jobs still queued are dropped (their
claims released), the calls in flight finish and everything finished is logged before the
caller raises. An interrupt does the same.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from itertools import islice
from typing import NamedTuple, Protocol

from assets.models.backends.base import Backend, Prompt, prompt_text
from assets.models.budget import BudgetExhausted
from assets.models.call_claims import CallClaims
from assets.models.call_log_writer import CallLogWriter, CallRecord
from assets.models.call_progress import CallProgress
from assets.models.context import ModelContext
from assets.models.generators import Sampling
from assets.models.pricing import Price

# Claims taken (and jobs queued) per transaction; more are taken once fewer than half wait.
CLAIM_BATCH = 512
# How long the caller's thread lets finished calls gather before taking them.
GATHER_SECONDS = 0.01
# How often requests another run holds are asked for again.
BUSY_POLL_SECONDS = 0.1

# (request_hash, prompt, sample_index)
Job = tuple[str, Prompt, int]


class Output(NamedTuple):
    """What a caller gets of a call: its text and finish reason, and whether it came from
    the call log (`cached`) rather than being made now."""

    text: str | None
    finish_reason: str | None
    cached: bool


class Caller(Protocol):
    """What a dispatch needs of its model (`CachedModel`)."""

    backend: Backend
    ctx: ModelContext
    claims: CallClaims
    progress: CallProgress
    price: Price | None

    def logged(self, request_hashes: list[str]) -> dict[str, Output]: ...

    def logged_params(self, sampling: Sampling) -> dict: ...

    def call(self, job: Job, sampling: Sampling, params: str) -> CallRecord: ...


class CallDispatch:
    """One batch of missing calls: `run` makes them and returns their outputs and the first
    failure (None when all succeeded)."""

    def __init__(self, model: Caller, missing: dict[str, tuple[str, int]], sampling: Sampling):
        self.model = model
        self.missing = missing
        self.sampling = sampling
        self.params = json.dumps(model.logged_params(sampling), sort_keys=True)
        self.workers = max(1, min(model.backend.max_in_flight, len(missing)))
        self.done: dict[str, Output] = {}
        self.failure: str | None = None
        # The budget limit that stopped new calls (`ctx.budget`); the calls it allowed finish.
        self.stopped: BudgetExhausted | None = None
        self._jobs: queue.SimpleQueue[Job | None] = queue.SimpleQueue()
        # A finished call, or the hash of a job dropped after a failure.
        self._results: queue.SimpleQueue[CallRecord | str] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._outstanding = 0
        self._unclaimed = iter(missing)
        self._exhausted = False
        # Requests another run holds, asked for again every BUSY_POLL_SECONDS.
        self._busy: list[str] = []
        self._next_poll = 0.0
        self._writer: CallLogWriter
        self._threads: list[threading.Thread] = []

    def run(self) -> tuple[dict[str, Output], str | None]:
        """Make every call; (the outputs, the first failure or None)."""
        self.start()
        try:
            while self.step(block=True):
                pass
        finally:
            self.close()
        return self.done, self.failure

    def start(self) -> None:
        """Start the workers and the call-log writer."""
        self._writer = CallLogWriter(self.model.ctx.wh, self.model.claims)
        self._threads = [
            threading.Thread(target=self._work, name=f"model-call-{n}", daemon=True)
            for n in range(self.workers)
        ]
        for thread in self._threads:
            thread.start()

    def step(self, block: bool) -> bool:
        """Queue more jobs if the workers run short, then take the calls that finished
        (`block`: waiting for one, at most until progress is due); False once all are done,
        or none is running after a failure."""
        progress = self.model.progress
        if self.failure is None and self.stopped is None:
            # Keep the workers fed: claim more once fewer than half a batch waits.
            while not self._exhausted and self._outstanding < self.workers + CLAIM_BATCH // 2:
                batch = list(islice(self._unclaimed, CLAIM_BATCH))
                self._exhausted = len(batch) < CLAIM_BATCH
                self._dispatch(batch)
            if self._busy and time.monotonic() >= self._next_poll:
                retry, self._busy = self._busy, []
                self._dispatch(retry)
                self._next_poll = time.monotonic() + BUSY_POLL_SECONDS
        if self._outstanding == 0 and (
            self.failure is not None
            or self.stopped is not None
            or (self._exhausted and not self._busy)
        ):
            return False
        timeout = None
        if block:
            timeout = progress.seconds_to_next()
            if self._busy:
                timeout = min(timeout, self._next_poll - time.monotonic())
            timeout = max(0.0, timeout)
        self._collect(timeout)
        progress.tick()
        return True

    def close(self) -> None:
        """Start nothing new, let the calls in flight finish, and log everything finished (on
        an interrupt, or when the caller stops early, too)."""
        self._stop.set()
        for _ in self._threads:
            self._jobs.put(None)
        for thread in self._threads:
            thread.join()
        try:
            self._collect(None)
        finally:
            self._writer.close()

    def _dispatch(self, request_hashes: list[str]) -> None:
        """Claim `request_hashes`, answer from the call log those another run made, queue the
        rest; those another run holds wait in `_busy`."""
        if not request_hashes:
            return
        model = self.model
        taken = model.claims.take(request_hashes)
        self._busy.extend(taken.busy)
        make = taken.new
        if taken.seen and not model.ctx.refresh_cache:
            logged = model.logged(taken.seen)
            for request_hash, output in logged.items():
                self.done[request_hash] = output
                model.progress.finished(True, reused=True)
            model.claims.release(logged)
            make = make + [h for h in taken.seen if h not in logged]
        else:
            make = make + taken.seen
        queued = self._within_budget(make)
        for request_hash in queued:
            prompt, sample_index = self.missing[request_hash]
            self._jobs.put((request_hash, prompt, sample_index))
        self._outstanding += len(queued)

    def _within_budget(self, request_hashes: list[str]) -> list[str]:
        """The leading `request_hashes` the context's budget lets this run send, each
        reserved; at the first it refuses, every later call is off too: their claims are
        released and the dispatch ends once the calls in flight are back."""
        budget = self.model.ctx.budget
        if budget is None:
            return request_hashes
        for position, request_hash in enumerate(request_hashes):
            prompt, _ = self.missing[request_hash]
            refused = budget.reserve(
                request_hash,
                len(prompt_text(prompt)),
                1 if isinstance(prompt, str) else len(prompt),
                self.sampling.max_tokens,
                self.model.price,
            )
            if refused is not None:
                self.stopped = refused
                self.model.claims.release(request_hashes[position:])
                self._exhausted = True
                self._busy = []
                return request_hashes[:position]
        return request_hashes

    def _collect(self, timeout: float | None) -> None:
        """Take finished calls off the result queue: wait up to `timeout` for the first (None:
        take only what is there), then everything else already there."""
        items: list[CallRecord | str] = []
        if timeout is not None:
            try:
                items.append(self._results.get(timeout=timeout))
            except queue.Empty:
                return
            if self._outstanding > self.workers:
                # Many calls to go: let finished ones gather instead of waking for each, which
                # passes the GIL back and forth with the workers (measured: waking per call
                # cost more CPU than the call's own HTTP). Jobs queued keep the workers busy.
                time.sleep(GATHER_SECONDS)
        while True:
            try:
                items.append(self._results.get_nowait())
            except queue.Empty:
                break
        self._outstanding -= len(items)
        records, dropped = [], []
        budget = self.model.ctx.budget
        for item in items:
            if isinstance(item, str):
                dropped.append(item)
                if budget is not None:
                    budget.release(item)
                continue
            if budget is not None:
                budget.settle(
                    item.request_hash, item.prompt_tokens, item.completion_tokens, item.cost
                )
            ok = item.status == "ok"
            self.model.progress.finished(ok)
            records.append(item)
            if ok:
                self.done[item.request_hash] = Output(item.raw_output, item.finish_reason, False)
            elif self.failure is None:
                self.failure = item.error
                self._stop.set()
        self.model.claims.release(dropped)
        self._writer.add(records, urgent=self.failure is not None)

    def _work(self) -> None:
        while (job := self._jobs.get()) is not None:
            if self._stop.is_set():
                self._results.put(job[0])
            else:
                self._results.put(self.model.call(job, self.sampling, self.params))
