"""What every synthesis method receives and returns."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime

import polars as pl

from assets.rows import DECISION_SCHEMA, conform, empty_decisions, empty_rows, with_row_ids
from warehouse import Warehouse
from warehouse.lineage import GeneratorRecord


@dataclass
class SynthesisContext:
    wh: Warehouse
    run_id: str
    created_at: datetime
    random_seed: int
    refresh_cache: bool = False
    log: logging.Logger = field(default_factory=lambda: logging.getLogger("synthfoundry"))


@dataclass
class MethodOutput:
    """Rows a method made (conformed, with row ids), the candidates it rejected, and the
    generators it used."""

    rows: pl.DataFrame = field(default_factory=empty_rows)
    rejections: pl.DataFrame = field(default_factory=empty_decisions)
    generators: list[GeneratorRecord] = field(default_factory=list)
    model_calls: int = 0
    cached_calls: int = 0


def rows_from_records(records: list[dict], ctx: SynthesisContext) -> pl.DataFrame:
    """Turn generated row dicts into contract rows stamped with the run's lineage."""
    if not records:
        return empty_rows()
    frame = pl.DataFrame(records, infer_schema_length=None)
    frame = frame.with_columns(
        pl.lit(ctx.run_id).alias("run_id"), pl.lit(ctx.created_at).alias("created_at")
    )
    return with_row_ids(conform(frame))


def rejections_from_records(records: list[dict]) -> pl.DataFrame:
    """Decision rows for candidates a method threw away before they became rows."""
    if not records:
        return empty_decisions()
    return pl.DataFrame(
        [
            {
                "row_id": r["row_id"],
                "stage": "synthesized",
                "rule": r["rule"],
                "action": "drop",
                "score": r.get("score"),
                "evidence": json.dumps(r.get("evidence", {}), default=str),
            }
            for r in records
        ],
        schema=DECISION_SCHEMA,
    )
