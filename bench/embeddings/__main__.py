"""bench/embeddings: sentence-embedding rows/s on every device this machine has (the CPU, and
CUDA in fp16 when torch sees a GPU), for whole SFT rows and for instructions alone, with the
nearest-benchmark-item decisions of each device compared with the CPU's.

Rows are made from real text: standard-library function docstrings as instructions, a longer
docstring paragraph as the response. Each device gets one warm-up call (model load and kernel
selection stay out of the timing), then `--repeats` timed runs; the median is reported.

    python bench/embeddings [--rows 2000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from assets.decontamination.benchmarks import humaneval_items  # noqa: E402
from assets.embeddings import Embedder, cuda_available, nearest  # noqa: E402

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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    instructions, whole = texts(args.rows)
    devices = ["cpu"] + (["cuda"] if cuda_available() else [])
    print(f"devices: {', '.join(devices)}; {args.rows} rows; median of {args.repeats} runs")
    items = None
    baseline: np.ndarray | None = None
    results = {}
    for device in devices:
        embedder = Embedder(device=device)
        if items is None:
            items = Embedder(device="cpu").encode(humaneval_items()["text"].to_list())
        whole_rate, vectors = rate(embedder, whole, args.repeats)
        instruction_rate, _ = rate(embedder, instructions, args.repeats)
        best, _ = nearest(vectors, items)
        agree = 1.0 if baseline is None else float((best == baseline).mean())
        baseline = best if baseline is None else baseline
        results[device] = (whole_rate, instruction_rate)
        print(
            f"  {device:5s} batch {embedder.batch_size:4d}: whole rows {whole_rate:8.1f}/s, "
            f"instructions {instruction_rate:8.1f}/s; nearest item same as cpu: {agree:.4f}"
        )
    print(f"RESULT embeddings_cpu_whole_rows_per_s {results['cpu'][0]:.1f} target 55 higher")
    print(f"RESULT embeddings_cpu_instructions_per_s {results['cpu'][1]:.1f} target 55 higher")
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
