"""The `batches` table: provider batches a run submitted, from before their creation to the
collection of their results (see migration 013)."""

from __future__ import annotations

import json
from datetime import datetime

import polars as pl

from warehouse.connection import Warehouse
from warehouse.corpora import now
from warehouse.queries import sql


def record_batch(
    wh: Warehouse,
    *,
    batch_key: str,
    provider: str,
    base_url: str,
    model: str,
    generator_id: str | None,
    input_file_id: str,
    request_hashes: list[str],
    run_id: str | None,
) -> None:
    """A batch about to be created (status `submitting`): recorded first, so a run killed
    before it knows the batch's id still finds it by its input file."""
    with wh.writer() as con:
        con.execute(
            sql("insert_batch"),
            {
                "batch_key": batch_key,
                "provider": provider,
                "base_url": base_url,
                "model": model,
                "generator_id": generator_id,
                "input_file_id": input_file_id,
                "request_hashes": request_hashes,
                "run_id": run_id,
                "submitted_at": now(),
            },
        )


def update_batch(
    wh: Warehouse,
    batch_key: str,
    status: str,
    *,
    batch_id: str | None = None,
    output_file_id: str | None = None,
    error_file_id: str | None = None,
    completed_count: int | None = None,
    failed_count: int | None = None,
    errors: list | None = None,
    finished_at: datetime | None = None,
) -> None:
    with wh.writer() as con:
        con.execute(
            sql("update_batch"),
            {
                "batch_key": batch_key,
                "batch_id": batch_id,
                "status": status,
                "output_file_id": output_file_id,
                "error_file_id": error_file_id,
                "completed_count": completed_count,
                "failed_count": failed_count,
                "errors": json.dumps(errors) if errors is not None else None,
                "finished_at": finished_at,
            },
        )


def mark_collected(wh: Warehouse, batch_key: str) -> None:
    """Its results are in the call log: it is never polled again; its cost is summed."""
    with wh.writer() as con:
        con.execute(sql("collect_batch"), {"batch_key": batch_key, "collected_at": now()})


def open_batches(
    wh: Warehouse, provider: str, base_url: str, request_hashes: list[str]
) -> pl.DataFrame:
    """Uncollected batches holding any of `request_hashes`, oldest first."""
    with wh.reader() as con:
        return con.sql(
            sql("open_batches"),
            params={
                "provider": provider,
                "base_url": base_url,
                "request_hashes": request_hashes,
            },
        ).pl()


def batches_by_key(wh: Warehouse, batch_keys: list[str]) -> pl.DataFrame:
    """The `batches` rows with these keys, oldest first."""
    with wh.reader() as con:
        return con.sql(sql("batches_by_key"), params=[batch_keys]).pl()
