"""bench/warehouse: versioned-corpus write and current-view read vs. raw DuckDB, same frame.

Writes 1,000,000 synthetic rows with full lineage columns from Polars as a new corpus version
(stage + promote) and reads the current view back into Polars; beside it, DuckDB's own raw
Arrow insert (CREATE TABLE AS) and scan of the same frame into Polars. Rounds alternate the two
so machine noise hits both; medians and their ratio are reported.

    python bench/warehouse [--rows 1000000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from datetime import datetime
from pathlib import Path

import duckdb
import polars as pl

from warehouse import Warehouse
from warehouse.corpora import decide_version, read_version, stage_version
from warehouse.rows import ROW_SCHEMA


def synthetic_rows(n: int) -> pl.DataFrame:
    index = pl.int_range(n, eager=True)
    frame = pl.DataFrame({"i": index}).select(
        pl.col("i").cast(pl.String).str.zfill(32).alias("row_id"),
        pl.lit("instruction").alias("kind"),
        pl.lit("math").alias("task_type"),
        pl.format("Compute {} plus {} and explain each step.", pl.col("i"), pl.col("i") % 97).alias(
            "instruction"
        ),
        pl.lit("").alias("input"),
        pl.format(
            "Step 1: add the numbers. The answer is {}.", pl.col("i") + pl.col("i") % 97
        ).alias("response"),
        pl.lit(None, dtype=pl.String).alias("text"),
        (pl.col("i") + pl.col("i") % 97).cast(pl.String).alias("answer"),
        pl.lit(True).alias("verified"),
        pl.lit('{"finish_reason": "stop"}').alias("attributes"),
        pl.lit("bench").alias("source"),
        pl.col("i").alias("source_line"),
        pl.concat_list((pl.col("i") % 50).cast(pl.String).str.zfill(32)).alias("seed_ids"),
        pl.lit([], dtype=pl.List(pl.String)).alias("parent_ids"),
        pl.concat_list(pl.col("i").cast(pl.String).str.zfill(64)).alias("call_ids"),
        pl.lit("gen-0123456789abcdef").alias("generator_id"),
        pl.lit("programmatic_math").alias("method"),
        pl.lit("bench-run").alias("run_id"),
        pl.lit(datetime(2026, 1, 1)).alias("created_at"),
    )
    return frame.cast(ROW_SCHEMA)


def time_warehouse(frame: pl.DataFrame, root: Path) -> tuple[float, float]:
    wh = Warehouse(root / "wh")
    started = time.perf_counter()
    number = stage_version(wh, "synthesized", frame, run_id="bench")
    decide_version(wh, "synthesized", number, promote=True, check_results={})
    written = time.perf_counter()
    _, back = read_version(wh, "synthesized")
    done = time.perf_counter()
    assert back.height == frame.height
    return written - started, done - written


def time_raw(frame: pl.DataFrame, root: Path) -> tuple[float, float]:
    path = root / "raw.duckdb"
    started = time.perf_counter()
    con = duckdb.connect(str(path))
    arrow = frame.to_arrow()
    con.register("frame", arrow)
    con.execute("CREATE TABLE rows AS SELECT * FROM frame")
    con.close()
    written = time.perf_counter()
    con = duckdb.connect(str(path), read_only=True)
    back = con.sql("SELECT * FROM rows ORDER BY row_id").pl()
    con.close()
    done = time.perf_counter()
    assert back.height == frame.height
    return written - started, done - written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    frame = synthetic_rows(args.rows)
    print(f"frame: {frame.height:,} rows, {frame.estimated_size('mb'):.0f} MB in memory")
    samples: dict[str, list[float]] = {
        "wh_write": [],
        "wh_read": [],
        "raw_write": [],
        "raw_read": [],
    }
    for round_index in range(args.rounds):
        root = Path(tempfile.mkdtemp(prefix="sf-bench-"))
        try:
            order = [("wh", time_warehouse), ("raw", time_raw)]
            for name, fn in order if round_index % 2 == 0 else order[::-1]:
                write_s, read_s = fn(frame, root)
                samples[f"{name}_write"].append(write_s)
                samples[f"{name}_read"].append(read_s)
        finally:
            shutil.rmtree(root, ignore_errors=True)
        print(
            f"round {round_index + 1}: synthfoundry write {samples['wh_write'][-1]:.2f}s read {samples['wh_read'][-1]:.2f}s"
            f" | raw duckdb write {samples['raw_write'][-1]:.2f}s read {samples['raw_read'][-1]:.2f}s"
        )
    median = {k: statistics.median(v) for k, v in samples.items()}
    rate = {k: args.rows / v for k, v in median.items()}
    write_ratio = rate["wh_write"] / rate["raw_write"]
    read_ratio = rate["wh_read"] / rate["raw_read"]
    both_ratio = (median["raw_write"] + median["raw_read"]) / (
        median["wh_write"] + median["wh_read"]
    )
    print(
        f"write rows/s: synthfoundry {rate['wh_write']:,.0f}  raw duckdb {rate['raw_write']:,.0f}  ratio {write_ratio:.2f}"
    )
    print(
        f"read  rows/s: synthfoundry {rate['wh_read']:,.0f}  raw duckdb {rate['raw_read']:,.0f}  ratio {read_ratio:.2f}"
    )
    print(f"RESULT warehouse_write_ratio {write_ratio:.3f} target 0.8 higher")
    print(f"RESULT warehouse_read_ratio {read_ratio:.3f} target 0.8 higher")
    print(f"RESULT warehouse_roundtrip_ratio {both_ratio:.3f} target 0.8 higher")


if __name__ == "__main__":
    main()
