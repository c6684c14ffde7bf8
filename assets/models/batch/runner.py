"""A method's missing calls through a batch API, into the call log as online calls go.

`BatchRunner.run` takes the calls a `CachedModel` did not find in the call log and:

1. adopts the batches recorded in `batches` that hold any of them and are not collected (a
   run stopped or killed earlier): polls them, or, for one recorded while `submitting`, finds
   it among the provider's batches by its input file, and creates it only if it is not there;
2. submits the rest, each call reserved against the run's budget first (at batch prices), as
   JSONL files within `max_requests_per_file` and `max_bytes_per_file`, one batch per file,
   each recorded before it is created;
3. polls every `poll_interval_s`; a finished batch's output and error files are read, each
   answer logged under its request hash (`mode` batch, cost at the batch price) and the batch
   marked collected (once every request it holds is in the call log: a batch adopted for
   some of its requests keeps the others' answers for the run that needs them); the
   requests that failed, or that an expired, cancelled or failed batch
   left undone, are submitted again (up to `max_submissions` times in the run), nothing else;
4. an output that misses its JSON schema is logged as a failed call and asked again, with
   another seed, in a follow-up batch (`schema_reask: batch`, counted in `max_submissions`)
   or at once online (`schema_reask: online`, `backend.complete`).

A context that does not wait for batches (`ModelContext.wait_for_batches` false) goes through
steps 1-3 once (submits, polls each batch once, collects those already finished) and, if any
is still open, ends with `BatchOutcome.pending`: the caller raises `BatchesPending` and a later
run adopts them (step 1) once they are done.

Past `max_wait_s` the run stops waiting and fails naming the batches still open: a re-run
polls them (step 1). A request is submitted again only after its batch was collected without
an answer for it, so none is ever in two open batches.

Requests are not claimed across runs (`call_claims`): two runs of one home submitting the
same requests at the same time would each submit them; the batch ids recorded stop a re-run
from doing so, which is the case that matters for hours-long batches.
"""

from __future__ import annotations

import json
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Protocol

from assets.models.backends.base import Backend, Prompt, prompt_text
from assets.models.batch.pending import record_state
from assets.models.batch.request_files import request_body, request_line, split_lines
from assets.models.budget import BudgetExhausted
from assets.models.call_dispatch import Output
from assets.models.call_log_writer import CallRecord, calls_frame
from assets.models.context import ModelContext
from assets.models.generators import BatchSettings, Sampling
from assets.models.json_schema import JsonSchema
from assets.models.pricing import Price, call_cost
from warehouse.batches import mark_collected, open_batches, record_batch, update_batch
from warehouse.lineage import cached_calls, log_calls


class BatchAPI(Protocol):
    """A provider's batch endpoints as the runner uses them (OpenAI's Files and Batches
    shapes; other providers translate to them)."""

    def upload(self, name: str, content: bytes) -> str: ...
    def create(self, input_file_id: str, metadata: dict[str, str]) -> dict: ...
    def get(self, batch_id: str) -> dict: ...
    def list_recent(self, limit: int = 100) -> list[dict]: ...
    def content(self, file_id: str) -> bytes: ...


class BatchBackend(Backend, Protocol):
    provider: str
    # Where its batches live (an API root, a folder's file:// URL): a `batches` row's server.
    base_url: str
    config: BatchSettings
    api: BatchAPI


class BatchCaller(Protocol):
    """What a batch run needs of its model (`CachedModel`)."""

    backend: BatchBackend
    generator_id: str
    ctx: ModelContext
    schema: JsonSchema | None
    price: Price | None

    def logged_params(self, sampling: Sampling) -> dict: ...


@dataclass
class Tracked:
    """A batch being waited for: our key, the provider's id and its requests."""

    batch_key: str
    batch_id: str
    request_hashes: list[str]
    status: str = "validating"


@dataclass
class BatchOutcome:
    """The answers of one `run`, why it could not get the others (`failure`), and the budget
    limit that kept calls from being submitted (`stopped`)."""

    done: dict[str, Output] = field(default_factory=dict)
    failure: str | None = None
    stopped: BudgetExhausted | None = None
    submitted: int = 0
    # The batches still open when a context that does not wait stopped polling.
    pending: list[Tracked] = field(default_factory=list)


class BatchesPending(Exception):  # noqa: N818 - a state the step ends in, not an error
    """A method's calls wait in provider batches that are still open (`batches`, by key)."""

    def __init__(self, model: str, batches: list[Tracked]):
        self.batch_keys = [b.batch_key for b in batches]
        self.batch_ids = [b.batch_id for b in batches]
        self.requests = sum(len(b.request_hashes) for b in batches)
        super().__init__(
            f"{model}: {self.requests} requests wait in open batches {', '.join(self.batch_ids)}"
        )


class BatchRunner:
    def __init__(self, model: BatchCaller):
        self.model = model
        self.backend = model.backend
        self.config = model.backend.config
        self.api = model.backend.api
        self.ctx = model.ctx

    def run(self, missing: dict[str, tuple[Prompt, int]], sampling: Sampling) -> BatchOutcome:
        outcome = BatchOutcome()
        self._sampling = sampling
        self._params = json.dumps(self.model.logged_params(sampling), sort_keys=True)
        self._missing = missing
        # Asks again of outputs that missed their schema, by request: the seed moves each time.
        self._reasks: Counter[str] = Counter()
        submissions: Counter[str] = Counter()
        errors: dict[str, str] = {}
        tracked = self._adopt(submissions)
        deadline = time.monotonic() + self.config.max_wait_s
        while True:
            waiting = {h for batch in tracked for h in batch.request_hashes}
            resubmit = [
                h
                for h in missing
                if h not in outcome.done
                and h not in waiting
                and submissions[h] < self.config.max_submissions
            ]
            if resubmit and outcome.stopped is None:
                allowed = self._within_budget(resubmit, outcome)
                for batch in self._submit(allowed):
                    tracked.append(batch)
                    outcome.submitted += len(batch.request_hashes)
                submissions.update(allowed)
            if not tracked:
                break
            still = []
            for batch in tracked:
                if self._poll(batch):
                    self._collect(batch, outcome, errors)
                else:
                    still.append(batch)
            tracked = still
            if tracked and not self.ctx.wait_for_batches:
                outcome.pending = tracked
                return outcome
            if tracked and time.monotonic() > deadline:
                ids = ", ".join(b.batch_id for b in tracked)
                outcome.failure = (
                    f"batches still open after max_wait_s={self.config.max_wait_s:g} s: {ids}; "
                    "a re-run polls them (nothing is submitted twice)"
                )
                return outcome
            if tracked:
                time.sleep(self.config.poll_interval_s)
        undone = [h for h in missing if h not in outcome.done]
        if outcome.stopped is not None:
            return outcome
        if undone:
            quoted = "; ".join(sorted({errors.get(h, "no answer") for h in undone})[:5])
            outcome.failure = (
                f"{len(undone)} batch requests got no answer after {self.config.max_submissions} "
                f"submissions (generator.max_submissions): {quoted}"
            )
        return outcome

    # -- submitting -------------------------------------------------------------------------

    def _within_budget(self, request_hashes: list[str], outcome: BatchOutcome) -> list[str]:
        """The leading requests the budget allows, each reserved at batch prices."""
        budget = self.ctx.budget
        if budget is None:
            return request_hashes
        for position, request_hash in enumerate(request_hashes):
            prompt, _ = self._missing[request_hash]
            refused = budget.reserve(
                request_hash,
                len(prompt_text(prompt)),
                1 if isinstance(prompt, str) else len(prompt),
                self._sampling.max_tokens,
                self.model.price,
                "batch",
            )
            if refused is not None:
                outcome.stopped = refused
                return request_hashes[:position]
        return request_hashes

    def _submit(self, request_hashes: list[str]) -> list[Tracked]:
        """Upload the requests as files within the limits and create one batch per file, each
        recorded (`submitting`) between its upload and its creation."""
        lines = (
            request_line(
                h,
                request_body(
                    self.backend.model,
                    self._missing[h][0],
                    self._sampling,
                    self._missing[h][1],
                    self.model.schema,
                    self._reasks[h],
                ),
            )
            for h in request_hashes
        )
        batches = []
        offset = 0
        for chunk in split_lines(
            lines, self.config.max_requests_per_file, self.config.max_bytes_per_file
        ):
            hashes = request_hashes[offset : offset + len(chunk)]
            offset += len(chunk)
            batch_key = uuid.uuid4().hex
            file_id = self.api.upload(
                f"{self.model.generator_id}-{batch_key}.jsonl", b"".join(chunk)
            )
            record_batch(
                self.ctx.wh,
                batch_key=batch_key,
                provider=self.backend.provider,
                base_url=self.backend.base_url,
                model=self.backend.model,
                generator_id=self.model.generator_id,
                input_file_id=file_id,
                request_hashes=hashes,
                run_id=self.ctx.run_id,
            )
            batches.append(self._create(batch_key, file_id, hashes))
        return batches

    def _create(self, batch_key: str, file_id: str, hashes: list[str]) -> Tracked:
        created = self.api.create(file_id, {"synthfoundry_batch_key": batch_key})
        update_batch(self.ctx.wh, batch_key, created["status"], batch_id=created["id"])
        self.ctx.log.info(f"batch {created['id']}: submitted {len(hashes)} requests")
        return Tracked(batch_key, created["id"], hashes, created["status"])

    def _adopt(self, submissions: Counter[str]) -> list[Tracked]:
        """The recorded, uncollected batches holding any of the missing requests."""
        rows = open_batches(
            self.ctx.wh, self.backend.provider, self.backend.base_url, list(self._missing)
        )
        tracked = []
        recent: list[dict] | None = None
        for row in rows.iter_rows(named=True):
            hashes = list(row["request_hashes"])
            if row["batch_id"] is None:
                # Killed between recording and learning the id: created or not?
                recent = self.api.list_recent() if recent is None else recent
                found = [b for b in recent if b.get("input_file_id") == row["input_file_id"]]
                if found:
                    update_batch(
                        self.ctx.wh, row["batch_key"], found[0]["status"], batch_id=found[0]["id"]
                    )
                    batch = Tracked(row["batch_key"], found[0]["id"], hashes, found[0]["status"])
                else:
                    batch = self._create(row["batch_key"], row["input_file_id"], hashes)
            else:
                batch = Tracked(row["batch_key"], row["batch_id"], hashes, row["status"])
            self.ctx.log.info(f"batch {batch.batch_id}: resumed ({len(hashes)} requests)")
            tracked.append(batch)
            # Requests of other methods' calls may share a batch: only ours are counted.
            submissions.update(h for h in hashes if h in self._missing)
        return tracked

    # -- polling and collecting -------------------------------------------------------------

    def _poll(self, batch: Tracked) -> bool:
        """Read the batch's state into `batches`; whether it is final."""
        state = self.api.get(batch.batch_id)
        final = record_state(self.ctx.wh, batch.batch_key, state)
        status = state["status"]
        if status != batch.status:
            counts = state.get("request_counts") or {}
            self.ctx.log.info(
                f"batch {batch.batch_id}: {status} ({counts.get('completed', 0)}/"
                f"{counts.get('total', len(batch.request_hashes))})"
            )
        batch.status = status
        self._state = state
        return final

    def _collect(self, batch: Tracked, outcome: BatchOutcome, errors: dict[str, str]) -> None:
        """Log the finished batch's answers and errors; the requests it left without an answer
        go back to be submitted again."""
        state = self._state
        records: list[CallRecord] = []
        for file_key in ("output_file_id", "error_file_id"):
            if state.get(file_key):
                for raw in self.api.content(state[file_key]).splitlines():
                    if raw.strip():
                        self._answer(json.loads(raw), batch, records, errors)
        if state["status"] == "failed" and not records:
            problem = "; ".join(
                f"{e.get('code')}: {e.get('message')}"
                for e in ((state.get("errors") or {}).get("data") or [])[:3]
            )
            for request_hash in batch.request_hashes:
                errors[request_hash] = f"batch {batch.batch_id} failed: {problem}"
        elif state["status"] in ("expired", "cancelled"):
            answered = {r.request_hash for r in records}
            for request_hash in batch.request_hashes:
                if request_hash not in answered:
                    errors[request_hash] = f"batch {batch.batch_id} {state['status']}"
        self._settle(records)
        log_calls(self.ctx.wh, calls_frame(records))
        for record in records:
            if record.status == "ok":
                outcome.done[record.request_hash] = Output(
                    record.raw_output, record.finish_reason, False
                )
        # A batch adopted for some of its requests (the recipe changed since it was submitted)
        # stays uncollected until its other answers are logged too: a run that needs them
        # reads them from it then instead of paying for them again.
        others = list({h for h in batch.request_hashes if h not in self._missing})
        if not others or cached_calls(self.ctx.wh, others).height == len(others):
            mark_collected(self.ctx.wh, batch.batch_key)

    def _answer(
        self, line: dict, batch: Tracked, records: list[CallRecord], errors: dict[str, str]
    ) -> None:
        request_hash = line.get("custom_id")
        if request_hash not in self._missing:
            return  # another method's request in a shared batch, or not ours at all
        prompt, sample_index = self._missing[request_hash]
        response = line.get("response") or {}
        body = response.get("body") or {}
        if response.get("status_code") == 200 and not line.get("error"):
            try:
                choice = body["choices"][0]
                text = choice["message"]["content"] or ""
                usage = body.get("usage") or {}
            except (KeyError, IndexError, TypeError):
                text, choice, usage = None, {}, {}
            if text is not None:
                prompt_tokens = usage.get("prompt_tokens")
                completion_tokens = usage.get("completion_tokens")
                cost = call_cost(self.model.price, prompt_tokens, completion_tokens, "batch")
                schema = self.model.schema
                problem = schema.problem(text) if schema is not None else None
                if problem:
                    # Paid for and logged; asked again online now, or in the next batch with
                    # another seed.
                    self._reasks[request_hash] += 1
                    errors[request_hash] = f"output does not match its JSON schema: {problem}"
                    records.append(
                        self._record(
                            request_hash, prompt, sample_index, text, choice.get("finish_reason"),
                            prompt_tokens, completion_tokens, "error", errors[request_hash], cost,
                        )
                    )  # fmt: skip
                    if self.config.schema_reask == "online":
                        records.append(self._online(request_hash, prompt, sample_index))
                    return
                records.append(
                    self._record(
                        request_hash, prompt, sample_index, text, choice.get("finish_reason"),
                        prompt_tokens, completion_tokens, "ok", None, cost,
                    )
                )  # fmt: skip
                return
        error = line.get("error") or body.get("error") or {}
        message = (
            f"batch {batch.batch_id}: HTTP {response.get('status_code')}: "
            f"{error.get('code')}: {error.get('message')}"
        )
        errors[request_hash] = message
        records.append(
            self._record(request_hash, prompt, sample_index, None, None, None, None, "error",
                         message, None)
        )  # fmt: skip

    def _online(self, request_hash: str, prompt: Prompt, sample_index: int) -> CallRecord:
        """A batch output that missed its schema, asked again online (validated, retried)."""
        try:
            completion = self.backend.complete(
                prompt, self._sampling, sample_index, self.model.schema
            )
        except Exception as exc:  # logged as the call's error; the request is resubmitted
            return self._record(
                request_hash, prompt, sample_index, None, None, None, None, "error",
                f"{type(exc).__name__}: {exc}", None, mode="online",
            )  # fmt: skip
        return self._record(
            request_hash, prompt, sample_index, completion.text, completion.finish_reason,
            completion.prompt_tokens, completion.completion_tokens, "ok", None,
            call_cost(self.model.price, completion.prompt_tokens, completion.completion_tokens),
            mode="online", latency_ms=completion.latency_ms,
        )  # fmt: skip

    def _record(
        self,
        request_hash: str,
        prompt: Prompt,
        sample_index: int,
        text: str | None,
        finish_reason: str | None,
        prompt_tokens: int | None,
        completion_tokens: int | None,
        status: str,
        error: str | None,
        cost: float | None,
        mode: str = "batch",
        latency_ms: float | None = None,
    ) -> CallRecord:
        return CallRecord(
            request_hash, self.model.generator_id, self.backend.backend, self.backend.model,
            prompt_text(prompt), self._params, sample_index, text, finish_reason, prompt_tokens,
            completion_tokens, latency_ms, status, error, self.ctx.run_id, cost, mode,
        )  # fmt: skip

    def _settle(self, records: list[CallRecord]) -> None:
        budget = self.ctx.budget
        if budget is None:
            return
        for record in records:
            budget.settle(
                record.request_hash, record.prompt_tokens, record.completion_tokens, record.cost
            )
