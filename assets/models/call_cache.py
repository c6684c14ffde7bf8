"""Model calls through the warehouse's call log: every call recorded, none paid for twice.

The cache key is a hash of (backend, model, model digest, rendered prompt, sampling
parameters, sample index), and of the output schema's sha256 for a model that has one.
Missing calls run up to the backend's `max_in_flight` at a time (`call_dispatch`) and are
logged in batches by a writer thread at least every few seconds (`call_log_writer`), so a
run killed halfway keeps the calls it already paid for (all but the last few seconds') and a
re-run issues only the missing ones. A run beside this one on the same home does not make a
call this one is making: it waits for this one's result and reuses it (`call_claims`). While
calls run, progress is logged every few seconds (`call_progress`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass

from assets.models.backends.base import Backend, Prompt, prompt_text
from assets.models.batch.runner import BatchesPending, BatchOutcome, BatchRunner
from assets.models.call_claims import CallClaims
from assets.models.call_dispatch import CallDispatch, Job, Output
from assets.models.call_log_writer import CallRecord
from assets.models.call_progress import CallProgress
from assets.models.context import ModelContext
from assets.models.generators import Sampling
from assets.models.json_schema import JsonSchema
from assets.models.pricing import Price, call_cost
from warehouse.lineage import cached_calls

# Results given between two looks at the calls in flight (queueing more jobs if they run short).
REFILL_EVERY = 32


# Slots: a method holds one per call until it has built its rows.
@dataclass(frozen=True, slots=True)
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
        price: Price | None = None,
    ):
        self.backend = backend
        # The generator's price: each new call's cost is logged with it and counts against
        # the context's budget (`ctx.budget`).
        self.price = price
        self.generator_id = generator_id
        self.ctx = ctx
        self.progress = progress or CallProgress(f"{backend.backend} {backend.model}", ctx.log)
        self.claims = CallClaims(ctx.wh.home)
        self.schema = schema
        self.new_calls = 0
        self.cache_hits = 0

    def request_hash(self, prompt: Prompt, sampling: Sampling, sample_index: int) -> str:
        """The cache key of one call (see `_hashes`)."""
        return self._hashes([(prompt, sample_index)], sampling)[0]

    def complete_many(
        self, prompts: list[tuple[Prompt, int]], sampling: Sampling
    ) -> list[CallResult]:
        """Complete (prompt, sample_index) pairs, from the cache where possible, in order.

        Missing calls run with up to `backend.max_in_flight` in flight; finished calls are
        written to the call log by a writer thread, at least every `FLUSH_EVERY_SECONDS`.
        """
        return list(self.complete_iter(prompts, sampling))

    def complete_iter(
        self, prompts: list[tuple[Prompt, int]], sampling: Sampling
    ) -> Iterator[CallResult]:
        """`complete_many`, each result given as soon as it and those before it are there,
        so a caller's work on early results (e.g. screening them) overlaps the later calls.
        A failed call raises once the calls in flight are logged; results before it may
        already have been given. A batch backend's missing calls go out together
        (`BatchRunner`), and results are given once its batches are collected."""
        hashes = self._hashes(prompts, sampling)
        if getattr(self.backend, "submits_batches", False):
            yield from self._complete_batched(prompts, hashes, sampling)
            return
        # From before the cache lookup until the calls are logged: see `call_claims`.
        with self.claims.session():
            hits: dict[str, Output] = {}
            if not self.ctx.refresh_cache and hashes:
                hits = self.logged(hashes)
            self.cache_hits += sum(1 for h in hashes if h in hits)
            # The same request twice in one batch is made once.
            missing = {
                h: (prompt, sample_index)
                for (prompt, sample_index), h in zip(prompts, hashes, strict=True)
                if h not in hits
            }
            self.progress.planned(len(missing), len(hashes) - len(missing))
            dispatch = CallDispatch(self, missing, sampling)
            done = dispatch.done
            running = bool(missing)
            if running:
                dispatch.start()
            try:
                for position, request_hash in enumerate(hashes):
                    output = hits.get(request_hash) or done.get(request_hash)
                    while output is None and running:
                        running = dispatch.step(block=True)
                        output = done.get(request_hash)
                    if output is None:
                        break  # a failure ended the calls before this one was made
                    yield CallResult(request_hash, output.text, output.finish_reason, output.cached)
                    # Keep the workers fed while the caller works on the results.
                    if running and position % REFILL_EVERY == 0:
                        running = dispatch.step(block=False)
            finally:
                if missing:
                    dispatch.close()
                    reused = sum(1 for output in done.values() if output.cached)
                    self.new_calls += len(done) - reused
                    self.cache_hits += reused
        if dispatch.failure is not None:
            raise RuntimeError(
                f"{self.backend.backend} model {self.backend.model} failed: {dispatch.failure}"
            )
        if dispatch.stopped is not None:
            # Every call the budget allowed was made and logged; the rest were never sent.
            raise dispatch.stopped

    def _complete_batched(
        self, prompts: list[tuple[Prompt, int]], hashes: list[str], sampling: Sampling
    ) -> Iterator[CallResult]:
        hits: dict[str, Output] = {}
        if not self.ctx.refresh_cache and hashes:
            hits = self.logged(hashes)
        self.cache_hits += sum(1 for h in hashes if h in hits)
        missing = {
            h: (prompt, sample_index)
            for (prompt, sample_index), h in zip(prompts, hashes, strict=True)
            if h not in hits
        }
        self.progress.planned(len(missing), len(hashes) - len(missing))
        outcome = BatchRunner(self).run(missing, sampling) if missing else BatchOutcome()  # type: ignore[arg-type]
        self.new_calls += len(outcome.done)
        for request_hash in hashes:
            output = hits.get(request_hash) or outcome.done.get(request_hash)
            if output is None:
                break
            yield CallResult(request_hash, output.text, output.finish_reason, output.cached)
        if outcome.failure is not None:
            raise RuntimeError(
                f"{self.backend.backend} batch model {self.backend.model} failed: {outcome.failure}"
            )
        if outcome.stopped is not None:
            raise outcome.stopped
        if outcome.pending:
            raise BatchesPending(
                f"{self.backend.backend} batch model {self.backend.model}", outcome.pending
            )

    def _hashes(self, prompts: list[tuple[Prompt, int]], sampling: Sampling) -> list[str]:
        """The cache key of each pair: the sha256 of `json.dumps([backend, model, model_digest,
        prompt, sampling, sample_index, *schema_sha256], sort_keys=True)`, the schema's sha256
        only with a schema (so schema-less calls keep their cached hashes). The parts every
        call shares are encoded once."""
        head = json.dumps([self.backend.backend, self.backend.model, self.backend.model_digest])
        params = json.dumps(sampling.model_dump(), sort_keys=True)
        tail = f", {json.dumps(self.schema.sha256)}]" if self.schema is not None else "]"
        return [
            hashlib.sha256(
                f"{head[:-1]}, {json.dumps(prompt, sort_keys=True)}, {params}, {json.dumps(index)}{tail}".encode()
            ).hexdigest()
            for prompt, index in prompts
        ]

    def logged(self, request_hashes: list[str]) -> dict[str, Output]:
        """The call log's answers to those of `request_hashes` it has, as cache hits."""
        frame = cached_calls(self.ctx.wh, request_hashes)
        return {
            request_hash: Output(text, finish_reason, True)
            for request_hash, text, finish_reason in zip(
                frame["request_hash"].to_list(),
                frame["raw_output"].to_list(),
                frame["finish_reason"].to_list(),
                strict=True,
            )
        }

    def call(self, job: Job, sampling: Sampling, params: str) -> CallRecord:
        """One call made on a worker thread: its log record, an error recorded as one."""
        request_hash, prompt, sample_index = job
        try:
            completion = self.backend.complete(prompt, sampling, sample_index, self.schema)
        except Exception as exc:  # recorded in the call log, then re-raised by the caller
            return CallRecord(
                request_hash, self.generator_id, self.backend.backend, self.backend.model,
                prompt_text(prompt), params, sample_index, None, None, None, None, None,
                "error", f"{type(exc).__name__}: {exc}", self.ctx.run_id,
            )  # fmt: skip
        return CallRecord(
            request_hash, self.generator_id, self.backend.backend, self.backend.model,
            prompt_text(prompt), params, sample_index, completion.text, completion.finish_reason,
            completion.prompt_tokens, completion.completion_tokens, completion.latency_ms,
            "ok", None, self.ctx.run_id,
            call_cost(self.price, completion.prompt_tokens, completion.completion_tokens),
        )  # fmt: skip

    def logged_params(self, sampling: Sampling) -> dict:
        params = sampling.model_dump()
        if self.schema is not None:
            params["json_schema"] = self.schema.identity()
        return params
