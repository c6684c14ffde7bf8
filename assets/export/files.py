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

from assets.export.chat_formats import hf_messages, openai_lines
from warehouse.settings import Strict

# Chat layouts (assets/export/chat_formats.py) and the files they are written to.
CHAT_FILES = {"messages": "messages.jsonl", "openai": "openai_finetune.jsonl"}


class ExportConfig(Strict):
    """`parquet`/`jsonl`: every row and column; `messages`: the Hugging Face chat layout;
    `openai`: OpenAI fine-tuning JSONL (with `tools` for tool-use rows)."""

    formats: list[Literal["parquet", "jsonl", "messages", "openai"]] = ["parquet", "jsonl"]


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
        for name, file in (
            ("parquet", "data.parquet"),
            ("jsonl", "data.jsonl"),
            *CHAT_FILES.items(),
        ):
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
    """Append each batch to data.parquet (one row group each), data.jsonl and the chat files."""
    parquet: pq.ParquetWriter | None = None
    jsonl = open(folder / "data.jsonl", "wb") if "jsonl" in formats else None  # noqa: SIM115
    messages = (
        open(folder / CHAT_FILES["messages"], "wb") if "messages" in formats else None  # noqa: SIM115
    )
    openai = (
        open(folder / CHAT_FILES["openai"], "w", encoding="utf-8")  # noqa: SIM115
        if "openai" in formats
        else None
    )
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
            if messages is not None:
                hf_messages(batch).write_ndjson(messages)
            if openai is not None:
                openai.writelines(line + "\n" for line in openai_lines(batch))
    finally:
        if parquet is not None:
            parquet.close()
        for out in (jsonl, messages, openai):
            if out is not None:
                out.close()
