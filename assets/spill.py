"""Scratch space of one stage run: batches spilled to Parquet, corpus steps' compact state in a
DuckDB file and in growing memory-mapped arrays, all removed when the stage ends."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

import duckdb
import numpy as np
import polars as pl
import pyarrow.parquet as pq

# DuckDB's share of memory for state queries (sorts, window aggregates); it spills beyond it.
SPILL_MEMORY_LIMIT = "1GB"


class GrowingArray:
    """A 2-D array appended row block by row block into a file, read back memory-mapped."""

    def __init__(self, path: Path, width: int, dtype: np.dtype) -> None:
        self.path = path
        self.width = width
        self.dtype = np.dtype(dtype)
        self.rows = 0
        path.touch()

    def append(self, block: np.ndarray) -> None:
        block = np.ascontiguousarray(block, dtype=self.dtype)
        if block.ndim != 2 or block.shape[1] != self.width:
            raise ValueError(f"{self.path.name}: expected rows of width {self.width}")
        with open(self.path, "ab") as handle:
            handle.write(block.tobytes())
        self.rows += block.shape[0]

    def read(self) -> np.ndarray:
        """All rows, memory-mapped (read-only); an empty array when none were appended."""
        if self.rows == 0:
            return np.empty((0, self.width), dtype=self.dtype)
        return np.memmap(self.path, dtype=self.dtype, mode="r", shape=(self.rows, self.width))


class Spill:
    """A scratch folder under `root` (the warehouse home's `spill/`, so it is on the same
    disk as the data); `close` removes it."""

    def __init__(self, root: Path) -> None:
        root.mkdir(parents=True, exist_ok=True)
        _remove_orphans(root)
        self.dir = Path(tempfile.mkdtemp(prefix=f"stage-{os.getpid()}-", dir=root))
        self._con: duckdb.DuckDBPyConnection | None = None
        self._parts: dict[str, int] = {}
        self._arrays: dict[str, GrowingArray] = {}

    def __enter__(self) -> Spill:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    @classmethod
    def temporary(cls) -> Spill:
        """A spill in the system's temporary folder, for steps run outside a stage."""
        return cls(Path(tempfile.gettempdir()) / "synthfoundry-spill")

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        """The spill's own DuckDB database (not the warehouse): state tables live here."""
        if self._con is None:
            self._con = duckdb.connect(str(self.dir / "state.duckdb"))
            self._con.execute(f"SET memory_limit = '{SPILL_MEMORY_LIMIT}'")
            self._con.execute("SET temp_directory = ?", [str(self.dir / "duckdb_tmp")])
            self._con.execute("SET preserve_insertion_order = false")
        return self._con

    def append_state(self, table: str, frame: pl.DataFrame) -> None:
        """Append `frame` to state table `table` (created on first use from its columns)."""
        if not table.isidentifier():
            raise ValueError(f"state table name {table!r} is not an identifier")
        self.con.register("incoming", frame.to_arrow())
        try:
            if table in self._parts:
                self.con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM incoming")
            else:
                self.con.execute(f"CREATE TABLE {table} AS SELECT * FROM incoming")
                self._parts[table] = 0
        finally:
            self.con.unregister("incoming")

    def has_state(self, table: str) -> bool:
        return table in self._parts

    def array(self, name: str, width: int, dtype: np.dtype) -> GrowingArray:
        """The growing array `name`, created on first use."""
        if name not in self._arrays:
            self._arrays[name] = GrowingArray(self.dir / f"{name}.npy", width, dtype)
        return self._arrays[name]

    def stored_array(self, name: str) -> np.ndarray:
        """The rows appended to array `name`, memory-mapped."""
        return self._arrays[name].read()

    def batches_folder(self, name: str) -> BatchFolder:
        return BatchFolder(self.dir / name)

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None
        shutil.rmtree(self.dir, ignore_errors=True)


def _remove_orphans(root: Path) -> None:
    """Remove the spills of processes that are gone (a killed stage cannot clean up)."""
    for folder in root.glob("stage-*-*"):
        pid = folder.name.split("-")[1]
        if not pid.isdigit():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except PermissionError:
            continue


class BatchFolder:
    """Batches written as numbered Parquet files and read back in the same order, one at a
    time (batches may differ in columns' types, so each is its own file)."""

    def __init__(self, path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.count = 0
        self.rows = 0

    def write(self, batch: pl.DataFrame) -> None:
        batch.write_parquet(self.path / f"{self.count:08d}.parquet", compression="lz4")
        self.count += 1
        self.rows += batch.height

    def read(self) -> Iterator[pl.DataFrame]:
        for index in range(self.count):
            yield pl.read_parquet(self.path / f"{index:08d}.parquet")


def parquet_batches(path: Path, batch_rows: int) -> Iterator[pl.DataFrame]:
    """A Parquet file in batches of at most `batch_rows`, one row group in memory at a time;
    an empty file is one empty batch with the file's columns."""
    reader = pq.ParquetFile(path)
    seen = False
    for batch in reader.iter_batches(batch_size=batch_rows):
        seen = True
        yield pl.from_arrow(batch)  # type: ignore[misc]
    if not seen:
        yield pl.from_arrow(reader.schema_arrow.empty_table())  # type: ignore[misc]
