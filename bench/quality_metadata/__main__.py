"""Per-materialization cost of the quality metadata (funnel, samples, plots, distinct-n and
balance; embeddings off) next to the cost of staging the same version, on synthetic rows.

    python bench/quality_metadata [--rows 100000]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from quality.materialization import materialization_metadata  # noqa: E402
from quality.report_config import ReportConfig  # noqa: E402
from warehouse import ParentVersion, Warehouse  # noqa: E402
from warehouse.corpora import stage_version  # noqa: E402
from warehouse.rows import DECISION_SCHEMA, ROW_SCHEMA  # noqa: E402

WORDS = [
    "alpha",
    "beta",
    "gamma",
    "delta",
    "epsilon",
    "zeta",
    "eta",
    "theta",
    "iota",
    "kappa",
    "lambda",
    "mu",
    "nu",
    "xi",
    "omicron",
]


def synthetic_rows(n: int, offset: int) -> pl.DataFrame:
    idx = pl.int_range(offset, offset + n, eager=True)
    words = pl.Series(WORDS)
    frame = pl.DataFrame({"i": idx}).with_columns(
        pl.col("i").cast(pl.String).str.zfill(32).alias("row_id"),
        pl.lit("instruction").alias("kind"),
        pl.format("t{}", pl.col("i") % 6).alias("task_type"),
        pl.concat_str(
            [pl.lit(words[k]) + pl.format(" {}", (pl.col("i") * (k + 3)) % 97) for k in range(8)],
            separator=" ",
        ).alias("instruction"),
        pl.concat_str(
            [
                pl.lit(words[(k * 7) % len(WORDS)]) + pl.format(" {}", (pl.col("i") * (k + 7)) % 89)
                for k in range(30)
            ],
            separator=" ",
        ).alias("response"),
        pl.format("m{}", pl.col("i") % 3).alias("method"),
        pl.format("gen-{}", pl.col("i") % 3).alias("generator_id"),
        pl.lit([], dtype=pl.List(pl.String)).alias("seed_ids"),
    )
    return frame.select(
        [
            frame[c].cast(t) if c in frame.columns else pl.lit(None, dtype=t).alias(c)
            for c, t in ROW_SCHEMA.items()
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    config = ReportConfig(embedding_in_metadata=False)
    with tempfile.TemporaryDirectory() as tmp:
        wh = Warehouse(tmp)
        parent_rows = synthetic_rows(args.rows + args.rows // 10, 0)
        parent = stage_version(wh, "synthesized", parent_rows)
        kept = parent_rows.head(args.rows)
        dropped = (
            parent_rows.tail(args.rows // 10)
            .select(
                "row_id",
                pl.lit("filtered").alias("stage"),
                pl.lit("response_too_long").alias("rule"),
                pl.lit("drop").alias("action"),
                pl.col("response").str.len_chars().cast(pl.Float64).alias("score"),
                pl.lit("{}").alias("evidence"),
            )
            .cast(DECISION_SCHEMA)
        )
        stage_s, report_s = [], []
        for _ in range(args.repeats):
            started = time.perf_counter()
            version = stage_version(
                wh,
                "filtered",
                kept,
                decisions=dropped,
                parents=[ParentVersion("synthesized", parent)],
            )
            stage_s.append(time.perf_counter() - started)
            started = time.perf_counter()
            materialization_metadata(wh, "filtered", version, kept, config)
            report_s.append(time.perf_counter() - started)
    stage_median, report_median = statistics.median(stage_s), statistics.median(report_s)
    print(
        f"rows {args.rows}: stage median {stage_median:.2f} s, metadata median {report_median:.2f} s"
    )
    print(f"metadata/stage ratio {report_median / stage_median:.2f}")
    print(f"RESULT quality_metadata_seconds_{args.rows} {report_median:.2f} target 2 lower")


if __name__ == "__main__":
    main()
