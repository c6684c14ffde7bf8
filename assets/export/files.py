"""Parquet and JSONL exports with a manifest, written atomically under the home's exports/."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Literal

import polars as pl

from assets.export.chat_formats import hf_messages, openai_lines
from warehouse.settings import Strict

# Chat layouts (assets/export/chat_formats.py) and the files they are written to.
CHAT_FILES = {"messages": "messages.jsonl", "openai": "openai_finetune.jsonl"}


class ExportConfig(Strict):
    """`parquet`/`jsonl`: every row and column; `messages`: the Hugging Face chat layout;
    `openai`: OpenAI fine-tuning JSONL (with `tools` for tool-use rows)."""

    formats: list[Literal["parquet", "jsonl", "messages", "openai"]] = ["parquet", "jsonl"]


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
        if "messages" in formats:
            hf_messages(rows).write_ndjson(staging / CHAT_FILES["messages"])
            written["messages"] = target / CHAT_FILES["messages"]
        if "openai" in formats:
            lines = openai_lines(rows)
            with (staging / CHAT_FILES["openai"]).open("w", encoding="utf-8") as out:
                out.writelines(line + "\n" for line in lines)
            written["openai"] = target / CHAT_FILES["openai"]
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
