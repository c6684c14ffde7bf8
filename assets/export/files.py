"""Parquet and JSONL exports with a manifest, written atomically under the home's exports/."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

import polars as pl
import pyarrow.parquet as pq

from warehouse.settings import Strict


class ExportConfig(Strict):
    formats: list[Literal["parquet", "jsonl"]] = ["parquet", "jsonl"]


def export_version(
    rows: pl.DataFrame | Iterable[pl.DataFrame], target: Path, formats: list[str], manifest: dict
) -> dict[str, Path]:
    """Write `rows` (a frame, or batches written one at a time) and `manifest.json` into
    `target`; readers never see a half-written folder. An existing export of the same version
    is replaced whole.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    written: dict[str, Path] = {}
    try:
        _write_batches([rows] if isinstance(rows, pl.DataFrame) else rows, staging, formats)
        for name, file in (("parquet", "data.parquet"), ("jsonl", "data.jsonl")):
            if name in formats:
                written[name] = target / file
        files = {name: path.name for name, path in written.items()}
        (staging / "manifest.json").write_text(
            json.dumps({**manifest, "files": files}, indent=2, default=str) + "\n", encoding="utf-8"
        )
        written["manifest"] = target / "manifest.json"
        if target.exists():
            retired = target.with_name(f".{target.name}-retired")
            shutil.rmtree(retired, ignore_errors=True)
            os.replace(target, retired)
            shutil.rmtree(retired, ignore_errors=True)
        os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return written


def _write_batches(batches: Iterable[pl.DataFrame], folder: Path, formats: list[str]) -> None:
    """Append each batch to data.parquet (one row group each) and data.jsonl."""
    parquet: pq.ParquetWriter | None = None
    jsonl = open(folder / "data.jsonl", "wb") if "jsonl" in formats else None  # noqa: SIM115
    try:
        for batch in batches:
            if "parquet" in formats:
                table = batch.to_arrow()
                if parquet is None:
                    parquet = pq.ParquetWriter(
                        folder / "data.parquet", table.schema, compression="zstd"
                    )
                parquet.write_table(table.cast(parquet.schema))
            if jsonl is not None:
                batch.write_ndjson(jsonl)
    finally:
        if parquet is not None:
            parquet.close()
        if jsonl is not None:
            jsonl.close()
