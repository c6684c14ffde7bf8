"""Model calls through the warehouse's call log: every call recorded, none paid for twice.

The cache key is a hash of (backend, model, model digest, rendered prompt, sampling
parameters, sample index). Missing calls run up to the backend's `max_in_flight` at a time and
are logged in batches as they finish (by time, every few seconds), so a run killed halfway keeps the calls it already
paid for (all but the last few seconds') and a re-run issues only the missing ones.
"""

from __future__ import annotations

import functools
import hashlib
import json
import queue
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import polars as pl

from assets.models.backends.base import Backend
from assets.models.context import ModelContext
from assets.recipe.generators import Sampling
from warehouse.lineage import CALL_COLUMNS, cached_calls, log_calls

# A call-log write opens the warehouse and checkpoints it on close (~0.1 s on both cores), so
# frequent writes take CPU from a model server on the same machine (measured: writes every 1 s
# cost ~10% of tokens/s at 4-16 in flight). A kill loses at most this much logged work.
FLUSH_EVERY_SECONDS = 5.0
# Against a fast server a count-based flush every few hundred calls meant a warehouse open per
# fraction of a second (~0.3 s each on a busy machine): time decides, this only bounds memory.
FLUSH_EVERY_CALLS = 8_192


@dataclass(frozen=True)
class CallResult:
    request_hash: str
    text: str
    finish_reason: str | None
    cached: bool


class CachedModel:
    def __init__(self, backend: Backend, generator_id: str, ctx: ModelContext):
        self.backend = backend
        self.generator_id = generator_id
        self.ctx = ctx
        self.new_calls = 0
        self.cache_hits = 0

    def request_hash(self, prompt: str, sampling: Sampling | dict, sample_index: int) -> str:
        """The cache key; `sampling` may come dumped already (one dump for a batch)."""
        key = json.dumps(
            [
                self.backend.backend,
                self.backend.model,
                self.backend.model_digest,
                prompt,
                sampling if isinstance(sampling, dict) else sampling.model_dump(),
                sample_index,
            ],
            sort_keys=True,
        )
        return hashlib.sha256(key.encode()).hexdigest()

    def complete_many(self, prompts: list[tuple[str, int]], sampling: Sampling) -> list[CallResult]:
        """Complete (prompt, sample_index) pairs, from the cache where possible, in order.

        Missing calls run with up to `backend.max_in_flight` in flight; finished calls are
        written to the call log by a writer thread, at least every `FLUSH_EVERY_SECONDS`.
        """
        dumped = sampling.model_dump()
        hashes = [self.request_hash(p, dumped, i) for p, i in prompts]
        hits: dict[str, dict] = {}
        if not self.ctx.refresh_cache and hashes:
            hits = {
                row["request_hash"]: row for row in cached_calls(self.ctx.wh, hashes).to_dicts()
            }
        self.cache_hits += sum(1 for h in hashes if h in hits)
        # The same request twice in one batch is made once.
        missing = {
            h: (prompt, sample_index)
            for (prompt, sample_index), h in zip(prompts, hashes, strict=True)
            if h not in hits
        }
        fresh = self._run_calls(missing, sampling)
        results = []
        for request_hash in hashes:
            if request_hash in hits:
                hit = hits[request_hash]
                results.append(
                    CallResult(request_hash, hit["raw_output"], hit["finish_reason"], True)
                )
            else:
                record = fresh[request_hash]
                results.append(
                    CallResult(request_hash, record["raw_output"], record["finish_reason"], False)
                )
        return results

    def _run_calls(self, missing: dict[str, tuple[str, int]], sampling: Sampling) -> dict:
        """Make the missing calls; every finished call is logged, a failed one then raises."""
        done: dict[str, dict] = {}
        if not missing:
            return done
        workers = max(1, min(self.backend.max_in_flight, len(missing)))
        failure = self._run_concurrently(missing, sampling, workers, done)
        if failure is not None:
            raise RuntimeError(
                f"{self.backend.backend} model {self.backend.model} failed: {failure['error']}"
            )
        self.new_calls += len(done)
        return done

    def _run_concurrently(
        self,
        missing: dict[str, tuple[str, int]],
        sampling: Sampling,
        workers: int,
        done: dict[str, dict],
    ) -> dict | None:
        """Up to `workers` calls in flight on worker threads (one for the local backend, which
        is not thread safe but may move between threads). At most `2 * workers` calls are
        queued at a time and finished ones come back through a queue, so this thread's work per
        call stays constant however many calls there are; a writer thread logs them while the
        next ones run. After the first failure no new call starts; the ones in flight finish
        and are logged too."""
        failure: dict | None = None
        executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="model-call")
        log = CallLogWriter(self)
        finished: queue.SimpleQueue[Future] = queue.SimpleQueue()
        outstanding: set[Future] = set()
        todo = iter(missing.items())
        pending: list[dict] = []
        last_flush = time.monotonic()

        def submit() -> None:
            while failure is None and len(outstanding) < 2 * workers:
                item = next(todo, None)
                if item is None:
                    return
                request_hash, (prompt, index) = item
                future = executor.submit(self._call, prompt, sampling, index, request_hash)
                outstanding.add(future)
                future.add_done_callback(finished.put)

        try:
            submit()
            while outstanding:
                timeout = (
                    max(0.0, last_flush + FLUSH_EVERY_SECONDS - time.monotonic())
                    if pending
                    else None
                )
                futures = _drain(finished, timeout)
                outstanding.difference_update(futures)
                for future in futures:
                    if future.cancelled():
                        continue
                    record = future.result()
                    pending.append(record)
                    # Only what the caller reads stays once the record is logged.
                    done[record["request_hash"]] = {
                        "raw_output": record.get("raw_output"),
                        "finish_reason": record.get("finish_reason"),
                    }
                    if record["status"] != "ok" and failure is None:
                        failure = record
                        for waiting in outstanding:
                            waiting.cancel()
                submit()
                if pending and (
                    failure is not None
                    or len(pending) >= FLUSH_EVERY_CALLS
                    or time.monotonic() - last_flush >= FLUSH_EVERY_SECONDS
                ):
                    log.write(pending)
                    pending = []
                    last_flush = time.monotonic()
        finally:
            # On an interrupt: start nothing new, and log what finished or is still finishing.
            for future in outstanding:
                future.cancel()
            executor.shutdown(wait=True, cancel_futures=True)
            late = [
                f.result()
                for f in outstanding
                if f.done() and not f.cancelled() and f.exception() is None
            ]
            log.close(pending + [r for r in late if r["request_hash"] not in done])
        return failure

    @staticmethod
    @functools.lru_cache(maxsize=64)
    def _params(sampling: Sampling) -> str:
        return json.dumps(sampling.model_dump(), sort_keys=True)

    def _call(self, prompt: str, sampling: Sampling, sample_index: int, request_hash: str) -> dict:
        record = {
            "request_hash": request_hash,
            "generator_id": self.generator_id,
            "backend": self.backend.backend,
            "model": self.backend.model,
            "prompt": prompt,
            "params": self._params(sampling),
            "sample_index": sample_index,
            "run_id": self.ctx.run_id,
        }
        try:
            completion = self.backend.complete(prompt, sampling, sample_index)
        except Exception as exc:  # recorded in the call log, then re-raised by the caller
            return {**record, "status": "error", "error": f"{type(exc).__name__}: {exc}"}
        return {
            **record,
            "raw_output": completion.text,
            "finish_reason": completion.finish_reason,
            "prompt_tokens": completion.prompt_tokens,
            "completion_tokens": completion.completion_tokens,
            "latency_ms": completion.latency_ms,
            "status": "ok",
        }

    def _flush(self, pending: list[dict]) -> None:
        if not pending:
            return
        frame = pl.DataFrame(
            {column: [record.get(column) for record in pending] for column in CALL_COLUMNS},
            schema_overrides={
                "prompt_tokens": pl.Int32,
                "completion_tokens": pl.Int32,
                "sample_index": pl.Int32,
                "latency_ms": pl.Float64,
            },
            infer_schema_length=None,
        )
        log_calls(self.ctx.wh, frame)


def _drain(finished: queue.SimpleQueue[Future], timeout: float | None) -> list[Future]:
    """The futures finished so far, waiting up to `timeout` for the first (none on timeout)."""
    try:
        futures = [finished.get(timeout=timeout)]
    except queue.Empty:
        return []
    while True:
        try:
            futures.append(finished.get_nowait())
        except queue.Empty:
            return futures


class CallLogWriter:
    """Writes batches of finished calls to the call log on a thread of its own, one batch at a
    time, so the calling thread keeps calls going while the warehouse is opened and written;
    a write that fails raises on the next `write` or on `close`."""

    def __init__(self, model: CachedModel):
        self.model = model
        self.thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="call-log")
        self.writing: Future | None = None
        self.waiting: list[dict] = []

    def write(self, records: list[dict]) -> None:
        self.waiting.extend(records)
        if self.writing is not None and not self.writing.done():
            return  # the next write takes these too
        self._start()

    def _start(self) -> None:
        if self.writing is not None:
            self.writing.result()
        batch, self.waiting = self.waiting, []
        self.writing = self.thread.submit(self.model._flush, batch) if batch else None

    def close(self, records: list[dict]) -> None:
        """Write `records` and everything still waiting, then stop."""
        try:
            if self.writing is not None:
                self.writing.result()
                self.writing = None
            self.model._flush(self.waiting + records)
        finally:
            self.thread.shutdown(wait=True)
