"""bench/embeddings: sentence-embedding rows/s on every device this machine has (the CPU, and
CUDA in fp16 when torch sees a GPU), for whole SFT rows and for instructions alone, with the
nearest-benchmark-item decisions of each device compared with the CPU's; on the CPU, fp32 and
torch dynamic int8 quantization of the Linear layers side by side, with the decontamination
cascade's decisions on the hand-written sets of bench/decontamination under each.

Rows are made from real text: standard-library function docstrings as instructions, a longer
docstring paragraph as the response. Each device gets one warm-up call (model load and kernel
selection stay out of the timing), then `--repeats` timed runs; the median is reported.

    python bench/embeddings [--rows 2000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from assets.decontamination.benchmarks import humaneval_items  # noqa: E402
from assets.decontamination.coverage import TokenCoverage, coverage_nearest  # noqa: E402
from assets.embeddings import DEFAULT_EMBEDDING_MODEL, Embedder, cuda_available, nearest  # noqa: E402
from warehouse import Warehouse  # noqa: E402

DATA = Path(__file__).resolve().parents[2] / "tests" / "data"

MODULES = [
    "os",
    "os.path",
    "shutil",
    "json",
    "re",
    "textwrap",
    "string",
    "statistics",
    "itertools",
    "functools",
    "difflib",
    "csv",
    "html",
    "urllib.parse",
    "inspect",
    "typing",
    "collections",
    "heapq",
    "bisect",
    "calendar",
    "ipaddress",
    "tempfile",
]
# From the issue: all-MiniLM-L6-v2 on an H200 in fp16, whole ~80-word rows.
GPU_TARGET = 5_000


def texts(rows: int) -> tuple[list[str], list[str]]:
    docs = []
    for name in MODULES:
        module = importlib.import_module(name)
        for attr, obj in sorted(vars(module).items()):
            if callable(obj) and not attr.startswith("_"):
                doc = " ".join((inspect.getdoc(obj) or "").split())
                if len(doc) > 60:
                    docs.append((f"Implement `{attr}` in Python. {doc[:300]}", doc))
    docs = [docs[i % len(docs)] for i in range(rows)]
    # A row number keeps every text distinct, as rows of a real corpus are.
    instructions = [f"{instruction} (#{i})" for i, (instruction, _) in enumerate(docs)]
    whole = [f"{instr}\n{docs[(i * 7 + 1) % rows][1]}" for i, instr in enumerate(instructions)]
    return instructions, whole


def rate(embedder: Embedder, batch: list[str], repeats: int) -> tuple[float, np.ndarray]:
    embedder.encode(batch[:64])
    timings, vectors = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        vectors = embedder.encode(batch)
        timings.append(time.perf_counter() - started)
    return len(batch) / statistics.median(timings), vectors


def cascade_decisions(int8: bool) -> np.ndarray:
    """The cascade's deciding stage (`coverage.py`) on bench/decontamination's hand-written
    rephrasings and clean tasks, on the CPU, in a fresh warehouse (no cached vectors)."""
    texts = [
        json.loads(line)["instruction"]
        for name in ("humaneval_rephrased_human.jsonl", "clean_code_instructions.jsonl")
        for line in (DATA / name).read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    rows = pl.DataFrame({"row_id": [f"r{i:04d}" for i in range(len(texts))], "content": texts})
    config = TokenCoverage()
    with tempfile.TemporaryDirectory() as tmp:
        found = coverage_nearest(
            Warehouse(Path(tmp)),
            rows,
            humaneval_items(),
            DEFAULT_EMBEDDING_MODEL,
            "cpu",
            config,
            int8=int8,
        )
    return (found["cascade_score"].fill_null(0.0) >= config.threshold).to_numpy()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    instructions, whole = texts(args.rows)
    backends = [("cpu", False), ("cpu", True)] + ([("cuda", False)] if cuda_available() else [])
    print(
        f"backends: cpu fp32, cpu int8{', cuda fp16' if len(backends) > 2 else ''}; {args.rows} rows; median of {args.repeats} runs"
    )
    items = Embedder(device="cpu").encode(humaneval_items()["text"].to_list())
    baseline: np.ndarray | None = None
    results = {}
    for device, int8 in backends:
        name = f"{device}_int8" if int8 else device
        embedder = Embedder(device=device, int8=int8)
        whole_rate, vectors = rate(embedder, whole, args.repeats)
        instruction_rate, _ = rate(embedder, instructions, args.repeats)
        best, _ = nearest(vectors, items)
        agree = 1.0 if baseline is None else float((best == baseline).mean())
        baseline = best if baseline is None else baseline
        results[name] = (whole_rate, instruction_rate)
        print(
            f"  {name:8s} batch {embedder.batch_size:4d}: whole rows {whole_rate:8.1f}/s, "
            f"instructions {instruction_rate:8.1f}/s; nearest item same as cpu fp32: {agree:.4f}"
        )
    fp32, int8 = cascade_decisions(False), cascade_decisions(True)
    print(
        f"cascade decisions on the {len(fp32)} hand-written rows: fp32 flags {int(fp32.sum())}, "
        f"int8 flags {int(int8.sum())}, {int((fp32 != int8).sum())} differ"
    )
    print(f"RESULT embeddings_cpu_whole_rows_per_s {results['cpu'][0]:.1f} target 55 higher")
    print(f"RESULT embeddings_cpu_instructions_per_s {results['cpu'][1]:.1f} target 55 higher")
    print(
        f"RESULT embeddings_cpu_int8_whole_rows_per_s {results['cpu_int8'][0]:.1f} "
        f"target {results['cpu'][0]:.1f} higher"
    )
    print(
        f"RESULT embeddings_cpu_int8_instructions_per_s {results['cpu_int8'][1]:.1f} "
        f"target {results['cpu'][1]:.1f} higher"
    )
    print(
        f"RESULT embeddings_cpu_int8_decisions_changed {int((fp32 != int8).sum())} target 0 lower"
    )
    if "cuda" in results:
        print(
            f"RESULT embeddings_cuda_whole_rows_per_s {results['cuda'][0]:.1f} target {GPU_TARGET} higher"
        )
        print(
            f"RESULT embeddings_cuda_instructions_per_s {results['cuda'][1]:.1f} target {GPU_TARGET} higher"
        )
    else:
        print("no CUDA device here: run this on a GPU machine for the cuda figures")


if __name__ == "__main__":
    main()
