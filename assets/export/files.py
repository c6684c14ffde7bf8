"""Parquet and JSONL exports with a manifest, written atomically under the home's exports/."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Literal

import polars as pl

from warehouse.settings import Strict


class ExportConfig(Strict):
    formats: list[Literal["parquet", "jsonl"]] = ["parquet", "jsonl"]


def export_version(
    rows: pl.DataFrame, target: Path, formats: list[str], manifest: dict
) -> dict[str, Path]:
    """Write `rows` and `manifest.json` into `target`; readers never see a half-written folder.

    An existing export of the same version is replaced whole.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    written: dict[str, Path] = {}
    try:
        if "parquet" in formats:
            rows.write_parquet(staging / "data.parquet", compression="zstd")
            written["parquet"] = target / "data.parquet"
        if "jsonl" in formats:
            rows.write_ndjson(staging / "data.jsonl")
            written["jsonl"] = target / "data.jsonl"
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
