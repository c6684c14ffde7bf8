"""Batches a pending version waits for, polled outside any run: what the `pending_batches`
sensor asks before it re-materializes the version's corpus.

A step that does not wait for its batches ends with its version `pending` and the keys of
the batches still open (`warehouse.corpora.mark_pending`). Polling them needs each one's API
settings (server, key variable, retries): they come from the recipe's generators of the same
backend and server, found wherever the recipe holds them (methods, judges, detectors)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from pydantic import BaseModel

from assets.models.backends import build_backend
from assets.models.generators import BatchSettings
from warehouse import Warehouse
from warehouse.batches import batches_by_key, update_batch
from warehouse.corpora import now, pending_versions

FINAL = frozenset({"completed", "failed", "expired", "cancelled"})
# Provider errors kept in the `batches` row.
ERRORS_KEPT = 20


def record_state(wh: Warehouse, batch_key: str, state: dict) -> bool:
    """Write a provider's batch object (status, files, counts, errors) into its `batches`
    row; whether the batch is final."""
    counts = state.get("request_counts") or {}
    status = state["status"]
    final = status in FINAL
    errors = ((state.get("errors") or {}).get("data") or [])[:ERRORS_KEPT]
    update_batch(
        wh,
        batch_key,
        status,
        output_file_id=state.get("output_file_id"),
        error_file_id=state.get("error_file_id"),
        completed_count=counts.get("completed"),
        failed_count=counts.get("failed"),
        errors=errors or None,
        finished_at=now() if final else None,
    )
    return final


def batch_generators(config: object) -> Iterator[BatchSettings]:
    """Every batch generator inside a recipe (or any part of one)."""
    if isinstance(config, BatchSettings):
        yield config
    elif isinstance(config, BaseModel):
        for name in type(config).model_fields:
            yield from batch_generators(getattr(config, name))
    elif isinstance(config, list | tuple):
        for item in config:
            yield from batch_generators(item)
    elif isinstance(config, dict):
        for item in config.values():
            yield from batch_generators(item)


@dataclass(frozen=True)
class PendingVersion:
    """A pending version, its batches as last polled, and whether all are finished."""

    version: int
    run_id: str | None
    batches: list[dict]

    @property
    def ready(self) -> bool:
        return all(
            b["status"] in FINAL or b["collected_at"] is not None or b["batch_id"] is None
            for b in self.batches
        )

    def progress(self) -> str:
        done = sum(b["completed_count"] or 0 for b in self.batches)
        total = sum(b["request_count"] for b in self.batches)
        return f"{done}/{total} requests answered in {len(self.batches)} batches"


def poll_pending(wh: Warehouse, corpus: str, recipe: object) -> list[PendingVersion]:
    """The pending versions of `corpus`, oldest first, each open batch polled once (its state
    written into `batches`). A batch never created (its run was killed while submitting)
    counts as finished: the re-run creates or adopts it. A batch whose server no generator of
    the recipe names is an error naming it."""
    backends = [build_backend(g) for g in batch_generators(recipe)]  # type: ignore[arg-type]
    apis = {(b.provider, b.base_url): b.api for b in backends}  # type: ignore[attr-defined]
    versions = []
    for pending in pending_versions(wh, corpus):
        batches = batches_by_key(wh, list(pending["batch_keys"] or []))
        for row in batches.iter_rows(named=True):
            if row["collected_at"] is not None or row["status"] in FINAL:
                continue
            if row["batch_id"] is None:
                continue
            api = apis.get((row["provider"], row["base_url"]))
            if api is None:
                raise LookupError(
                    f"{corpus} v{pending['version']} waits for batch {row['batch_id']} at "
                    f"{row['base_url']} ({row['provider']}), and no generator of the recipe "
                    "uses that server: restore it in the recipe to collect the batch"
                )
            record_state(wh, row["batch_key"], api.get(row["batch_id"]))
        polled = batches_by_key(wh, list(pending["batch_keys"] or []))
        versions.append(PendingVersion(pending["version"], pending["run_id"], polled.to_dicts()))
    return versions
