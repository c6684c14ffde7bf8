"""The hand-written set of synthetic rows with and without defects
(`tests/data/synthetic_defects.jsonl`), as rows of the row contract with their labels: what
the defect-rule tests and `bench/synthetic_quality` read."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from warehouse.conversations import canonical_messages, encode
from warehouse.rows import conform, with_row_ids

DEFECT_SET = Path(__file__).parent / "data" / "synthetic_defects.jsonl"
LABELS = ("id", "split", "label", "category", "hard_case", "defect_field", "defect_turn")


def _row(record: dict) -> dict:
    messages = record.get("messages")
    attributes = record.get("attributes")
    return {
        "kind": record["kind"],
        "task_type": "open_qa",
        "instruction": record.get("instruction"),
        "input": record.get("input") or "",
        "response": record.get("response"),
        "messages": encode(canonical_messages(messages)) if messages else None,
        "attributes": json.dumps(attributes) if attributes else None,
        "method": "seed_passthrough",
        **{name: record.get(name) for name in LABELS},
    }


def defect_rows(path: Path = DEFECT_SET, split: str | None = None) -> pl.DataFrame:
    """The set's rows (row contract columns, then the label columns), of one split or all."""
    records = [
        json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    if split is not None:
        records = [r for r in records if r["split"] == split]
    frame = pl.DataFrame(
        [_row(r) for r in records],
        schema_overrides={
            "defect_turn": pl.Int64,
            "hard_case": pl.String,
            "defect_field": pl.String,
        },
    )
    # The set's own ids, so the bench and the tests name a row as the set's file does.
    return with_row_ids(conform(frame)).with_columns(pl.col("id").alias("row_id"))


def without_labels(rows: pl.DataFrame) -> pl.DataFrame:
    """The set's rows as a stage sees them: the label columns dropped."""
    return rows.drop([c for c in LABELS if c in rows.columns])
