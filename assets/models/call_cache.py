"""Model calls through the warehouse's call log: every call recorded, none paid for twice.

The cache key is a hash of (backend, model, model digest, rendered prompt, sampling
parameters, sample index), and of the output schema's sha256 for a model that has one.
Missing calls run up to the backend's `max_in_flight` at a time and are logged in small
batches as they finish, so a run killed halfway keeps the calls it already paid for (all but
the last few seconds') and a re-run issues only the missing ones. A run
beside this one on the same home does not make a call this one is making: it waits for this
one's result and reuses it (`call_claims`). While calls run, progress is logged every few
seconds (`call_progress`).
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass

import polars as pl

from assets.models.backends.base import Backend, Prompt, prompt_text
from assets.models.call_claims import CallClaims, Claim
from assets.models.call_progress import CallProgress
from assets.models.context import ModelContext
from assets.models.json_schema import JsonSchema
from assets.recipe.generators import Sampling
from warehouse.lineage import CALL_COLUMNS, cached_calls, log_calls

# A call-log write opens the warehouse and checkpoints it on close (~0.1 s on both cores), so
# frequent writes take CPU from a model server on the same machine (measured: writes every 1 s
# cost ~10% of tokens/s at 4-16 in flight). A kill loses at most this much logged work.
FLUSH_EVERY_SECONDS = 5.0
FLUSH_EVERY_CALLS = 256


@dataclass(frozen=True)
class CallResult:
    request_hash: str
    text: str
    finish_reason: str | None
    cached: bool


class CachedModel:
    def __init__(
        self,
        backend: Backend,
        generator_id: str,
        ctx: ModelContext,
        schema: JsonSchema | None = None,
        progress: CallProgress | None = None,
    ):
        self.backend = backend
        self.generator_id = generator_id
        self.ctx = ctx
        self.progress = progress or CallProgress(f"{backend.backend} {backend.model}", ctx.log)
        self.claims = CallClaims(ctx.wh.home)
        self.schema = schema
        self.new_calls = 0
        self.cache_hits = 0
        self._stop = threading.Event()

    def request_hash(self, prompt: Prompt, sampling: Sampling, sample_index: int) -> str:
        key = json.dumps(
            [
                self.backend.backend,
                self.backend.model,
                self.backend.model_digest,
                prompt,
                sampling.model_dump(),
                sample_index,
                # Appended only with a schema, so schema-less calls keep their cached hashes.
                *([self.schema.sha256] if self.schema is not None else []),
            ],
            sort_keys=True,
        )
        return hashlib.sha256(key.encode()).hexdigest()

    def complete_many(
        self, prompts: list[tuple[Prompt, int]], sampling: Sampling
    ) -> list[CallResult]:
        """Complete (prompt, sample_index) pairs, from the cache where possible, in order; a
        prompt is a string or chat messages (`backends.base.Prompt`).

        Missing calls run with up to `backend.max_in_flight` in flight; finished calls are
        written to the call log from this thread, at least every `FLUSH_EVERY_SECONDS`.
        """
        hashes = [self.request_hash(p, sampling, i) for p, i in prompts]
        # From before the cache lookup until the calls are logged: see `call_claims`.
        with self.claims.session():
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
            self.progress.planned(len(missing), len(hashes) - len(missing))
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
                    CallResult(
                        request_hash,
                        record["raw_output"],
                        record["finish_reason"],
                        record.get("from_log", False),
                    )
                )
        return results

    def _run_calls(self, missing: dict[str, tuple[Prompt, int]], sampling: Sampling) -> dict:
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
        reused = sum(1 for record in done.values() if record.get("from_log"))
        self.new_calls += len(done) - reused
        self.cache_hits += reused
        return done

    def _run_concurrently(
        self,
        missing: dict[str, tuple[Prompt, int]],
        sampling: Sampling,
        workers: int,
        done: dict[str, dict],
    ) -> dict | None:
        """Up to `workers` calls in flight on worker threads (one for the local backend, which
        is not thread safe but may move between threads). This thread logs finished calls while
        the next ones run, and reports progress. After the first failure no new call starts;
        the ones in flight finish and are logged too."""
        failure: dict | None = None
        executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="model-call")
        waiting: set = set()
        pending: list[dict] = []
        last_flush = time.monotonic()
        self._stop.clear()
        try:
            waiting = {
                executor.submit(self._call, prompt, sampling, index, request_hash)
                for request_hash, (prompt, index) in missing.items()
            }
            while waiting:
                timeout = self.progress.seconds_to_next()
                if pending:
                    timeout = min(timeout, last_flush + FLUSH_EVERY_SECONDS - time.monotonic())
                finished, waiting = wait(
                    waiting, timeout=max(0.0, timeout), return_when=FIRST_COMPLETED
                )
                batch = [future.result() for future in finished if not future.cancelled()]
                for record in filter(None, batch):
                    done[record["request_hash"]] = record
                    self.progress.finished(record["status"] == "ok", record.get("from_log", False))
                    if not record.get("from_log"):
                        pending.append(record)
                    if record["status"] != "ok" and failure is None:
                        failure = record
                        for future in waiting:
                            future.cancel()
                waiting = {future for future in waiting if not future.cancelled()}
                if pending and (
                    failure is not None
                    or len(pending) >= FLUSH_EVERY_CALLS
                    or time.monotonic() - last_flush >= FLUSH_EVERY_SECONDS
                ):
                    self._flush(pending)
                    last_flush = time.monotonic()
                self.progress.tick()
        finally:
            # On an interrupt: start nothing new, stop waiting for other runs' claims, and log
            # what finished or is still finishing.
            self._stop.set()
            for future in waiting:
                future.cancel()
            executor.shutdown(wait=True, cancel_futures=True)
            late = [
                f.result()
                for f in waiting
                if f.done() and not f.cancelled() and f.exception() is None
            ]
            self._flush(
                pending
                + [r for r in late if r and not r.get("from_log") and r["request_hash"] not in done]
            )
        return failure

    def _call(
        self, prompt: Prompt, sampling: Sampling, sample_index: int, request_hash: str
    ) -> dict | None:
        """The call's log record, after taking its claim: made here, or read from the log when
        another run made it meanwhile (`from_log`); None when the run stopped while waiting."""
        claim = self.claims.claim(request_hash, self._stop)
        if claim is Claim.ABANDONED:
            return None
        if claim is Claim.SEEN and not self.ctx.refresh_cache:
            logged = cached_calls(self.ctx.wh, [request_hash])
            if logged.height:
                self.claims.release([request_hash])
                hit = logged.row(0, named=True)
                return {
                    "request_hash": request_hash,
                    "raw_output": hit["raw_output"],
                    "finish_reason": hit["finish_reason"],
                    "status": "ok",
                    "from_log": True,
                }
        record = {
            "request_hash": request_hash,
            "generator_id": self.generator_id,
            "backend": self.backend.backend,
            "model": self.backend.model,
            "prompt": prompt_text(prompt),
            "params": json.dumps(self._logged_params(sampling), sort_keys=True),
            "sample_index": sample_index,
            "run_id": self.ctx.run_id,
        }
        try:
            completion = self.backend.complete(prompt, sampling, sample_index, self.schema)
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

    def _logged_params(self, sampling: Sampling) -> dict:
        params = sampling.model_dump()
        if self.schema is not None:
            params["json_schema"] = self.schema.identity()
        return params

    def _flush(self, pending: list[dict]) -> None:
        if not pending:
            return
        frame = pl.DataFrame(
            [{column: record.get(column) for column in CALL_COLUMNS} for record in pending],
            schema_overrides={
                "prompt_tokens": pl.Int32,
                "completion_tokens": pl.Int32,
                "sample_index": pl.Int32,
                "latency_ms": pl.Float64,
            },
            infer_schema_length=None,
        )
        log_calls(self.ctx.wh, frame)
        # Logged: a run waiting for one of these calls may now read it.
        self.claims.release(record["request_hash"] for record in pending)
        pending.clear()
