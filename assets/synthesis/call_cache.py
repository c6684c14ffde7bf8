"""Model calls through the warehouse's call log: every call recorded, none paid for twice.

The cache key is a hash of (backend, model, model digest, rendered prompt, sampling
parameters, sample index). Calls are logged in small batches while a method runs, so a run
killed halfway keeps the calls it already paid for and a re-run issues only the missing ones.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass

import polars as pl

from assets.recipe import Sampling
from assets.synthesis.backends.base import Backend
from assets.synthesis.context import SynthesisContext
from warehouse.lineage import CALL_COLUMNS, cached_calls, log_calls

FLUSH_EVERY_CALLS = 8
FLUSH_EVERY_SECONDS = 5.0


@dataclass(frozen=True)
class CallResult:
    request_hash: str
    text: str
    finish_reason: str | None
    cached: bool


class CachedModel:
    def __init__(self, backend: Backend, generator_id: str, ctx: SynthesisContext):
        self.backend = backend
        self.generator_id = generator_id
        self.ctx = ctx
        self.new_calls = 0
        self.cache_hits = 0

    def request_hash(self, prompt: str, sampling: Sampling, sample_index: int) -> str:
        key = json.dumps(
            [
                self.backend.backend,
                self.backend.model,
                self.backend.model_digest,
                prompt,
                sampling.model_dump(),
                sample_index,
            ],
            sort_keys=True,
        )
        return hashlib.sha256(key.encode()).hexdigest()

    def complete_many(self, prompts: list[tuple[str, int]], sampling: Sampling) -> list[CallResult]:
        """Complete (prompt, sample_index) pairs, from the cache where possible, in order."""
        hashes = [self.request_hash(p, sampling, i) for p, i in prompts]
        hits: dict[str, dict] = {}
        if not self.ctx.refresh_cache and hashes:
            hits = {
                row["request_hash"]: row for row in cached_calls(self.ctx.wh, hashes).to_dicts()
            }
        results: list[CallResult] = []
        pending: list[dict] = []
        last_flush = time.monotonic()
        try:
            for (prompt, sample_index), request_hash in zip(prompts, hashes, strict=True):
                if request_hash in hits:
                    hit = hits[request_hash]
                    self.cache_hits += 1
                    results.append(
                        CallResult(request_hash, hit["raw_output"], hit["finish_reason"], True)
                    )
                    continue
                record = self._call(prompt, sampling, sample_index, request_hash)
                pending.append(record)
                if record["status"] != "ok":
                    raise RuntimeError(
                        f"{self.backend.backend} model {self.backend.model} failed: {record['error']}"
                    )
                self.new_calls += 1
                hits[request_hash] = record
                results.append(
                    CallResult(request_hash, record["raw_output"], record["finish_reason"], False)
                )
                if (
                    len(pending) >= FLUSH_EVERY_CALLS
                    or time.monotonic() - last_flush > FLUSH_EVERY_SECONDS
                ):
                    self._flush(pending)
                    last_flush = time.monotonic()
        finally:
            self._flush(pending)
        return results

    def _call(self, prompt: str, sampling: Sampling, sample_index: int, request_hash: str) -> dict:
        record = {
            "request_hash": request_hash,
            "generator_id": self.generator_id,
            "backend": self.backend.backend,
            "model": self.backend.model,
            "prompt": prompt,
            "params": json.dumps(sampling.model_dump(), sort_keys=True),
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
        pending.clear()
