"""Exact and near dedup throughput and peak memory vs. datasketch's MinHashLSH.

Run: python bench/dedup_throughput [--sizes 100000 1000000] [--datasketch-sizes 100000 200000]
     [--semantic-sizes 2000 10000]

Every measurement runs in a fresh subprocess (peak RSS from getrusage is per process; numpy and
Polars allocate outside tracemalloc's view), on the same deterministic synthetic corpus: task
phrases plus 30-90 Zipf-distributed words, 10% planted near duplicates (3% of words replaced).
Both near-dedup implementations use word 5-shingles, 128 permutations and the same bands x rows
for threshold 0.8. datasketch stays at smaller sizes (its per-document Python loop would take
tens of minutes at 1M documents here); its rate is flat in corpus size, so ours at the nearest
size is compared with it. Rates are also given per CPU second (user + sys of the measuring
process): on a machine shared with other jobs wall time mostly measures the load.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
THRESHOLD = 0.8
NUM_PERM = 128
SHINGLE = 5


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _corpus(n: int):
    sys.path[:0] = [str(ROOT), str(HERE)]
    from corpus import synthetic_corpus

    return synthetic_corpus(n, seed=0)


def _measure_ours(method: str, n: int) -> dict:
    import polars as pl

    from assets.dedup.exact import ExactDedup
    from assets.dedup.near import NearDedupConfig

    texts = _corpus(n)
    rows = pl.DataFrame(
        {
            "row_id": [f"{i:012d}" for i in range(n)],
            "kind": "instruction",
            "instruction": texts,
            "input": None,
            "response": None,
            "text": None,
        },
        schema_overrides={c: pl.String for c in ("input", "response", "text")},
    )
    from assets.dedup.near import find_near_duplicates, minhash_params

    config = NearDedupConfig(threshold=THRESHOLD, num_perm=NUM_PERM, shingle_size=SHINGLE)
    minhash_params(config)  # text-dedup's optimal_param is computed once, outside the timing
    before, cpu = _rss_mb(), _cpu_seconds()
    start = time.perf_counter()
    if method == "exact":
        dropped = ExactDedup().flag(rows).height
    else:
        dropped = find_near_duplicates(rows, config).height
    return _figures(start, cpu, before, dropped)


def _figures(start: float, cpu: float, rss_before: float, dropped: int) -> dict:
    """Wall and CPU seconds since `start` / `cpu`, rows dropped, and memory."""
    return {
        "seconds": time.perf_counter() - start,
        "cpu_seconds": _cpu_seconds() - cpu,
        "dropped": dropped,
        "rss_before_mb": rss_before,
        "peak_mb": _rss_mb(),
    }


def _measure_datasketch(n: int) -> dict:
    from datasketch import MinHash, MinHashLSH

    sys.path.insert(0, str(ROOT))
    from assets.dedup.minhash import optimal_bands

    texts = _corpus(n).to_list()
    bands, rows = optimal_bands(THRESHOLD, NUM_PERM)
    word = re.compile(r"\w+")
    before, cpu = _rss_mb(), _cpu_seconds()
    start = time.perf_counter()
    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM, params=(bands, rows))
    dropped = 0
    for key, text in enumerate(texts):
        tokens = word.findall(text.lower())
        grams = {
            " ".join(tokens[i : i + SHINGLE]).encode() for i in range(len(tokens) - SHINGLE + 1)
        }
        signature = MinHash(num_perm=NUM_PERM, seed=42)
        signature.update_batch(list(grams) or [" ".join(tokens).encode()])
        if lsh.query(signature):
            dropped += 1
        else:
            lsh.insert(key, signature)
    return _figures(start, cpu, before, dropped)


def _run(kind: str, n: int) -> dict:
    """One measurement in a fresh interpreter, so peak RSS is that measurement's alone."""
    out = subprocess.run(
        [sys.executable, str(HERE), "--measure", kind, "--size", str(n)],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result.update(
        kind=kind, n=n, docs_per_s=n / result["seconds"], docs_per_cpu_s=n / result["cpu_seconds"]
    )
    return result


def _row(r: dict) -> str:
    return (
        f"{r['kind']:<11} {r['n']:>9,} docs {r['seconds']:8.1f} s {r['docs_per_s']:9,.0f} docs/s"
        f" | CPU {r['cpu_seconds']:7.1f} s {r['docs_per_cpu_s']:9,.0f} docs/CPU-s"
        f"  dropped {r['dropped']:>8,}  peak RSS {r['peak_mb']:7.0f} MiB"
        f" (data alone {r['rss_before_mb']:.0f})"
    )


def _semantic(sizes: list[int]) -> None:
    try:
        from semantic import measure_semantic
    except ImportError:
        print("semantic dedup: bench/dedup_throughput/semantic.py not present, skipped")
        return
    for n in sizes:
        print(f"semantic dedup, {n:,} docs:", json.dumps(measure_semantic(_corpus(n).to_list())))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--datasketch-sizes", type=int, nargs="+", default=[100_000, 200_000])
    parser.add_argument("--semantic-sizes", type=int, nargs="*", default=[])
    parser.add_argument(
        "--measure", choices=["exact", "near", "datasketch"], help=argparse.SUPPRESS
    )
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        sys.path.insert(0, str(ROOT))
        result = (
            _measure_datasketch(args.size)
            if args.measure == "datasketch"
            else _measure_ours(args.measure, args.size)
        )
        print(json.dumps(result))
        return

    print(__doc__.split("\n\n")[1])
    results: dict[tuple[str, int], dict] = {}
    for n in args.sizes:
        for kind in ("exact", "near"):
            results[kind, n] = _run(kind, n)
            print(_row(results[kind, n]), flush=True)
    for n in args.datasketch_sizes:
        results["datasketch", n] = _run("datasketch", n)
        print(_row(results["datasketch", n]), flush=True)
    if args.semantic_sizes:
        _semantic(args.semantic_sizes)

    # Rates per CPU second: on a machine shared with other jobs, wall time measures the load;
    # CPU time counts ours' extra threads against it, so the ratio is conservative for ours.
    ours = min(args.sizes, key=lambda n: abs(n - max(args.datasketch_sizes)))
    theirs = max(args.datasketch_sizes)
    speedup = (
        results["near", ours]["docs_per_cpu_s"] / results["datasketch", theirs]["docs_per_cpu_s"]
    )
    print(
        f"near dedup at {ours:,} docs vs datasketch at {theirs:,} docs, docs per CPU second: "
        f"{speedup:.1f}x (wall: "
        f"{results['near', ours]['docs_per_s'] / results['datasketch', theirs]['docs_per_s']:.1f}x)"
    )
    small, large = min(args.sizes), max(args.sizes)
    print(f"RESULT near_dedup_speedup_vs_datasketch {speedup:.2f} target 3 higher")
    if large > small:
        ratio = results["near", large]["cpu_seconds"] / results["near", small]["cpu_seconds"]
        exponent = math.log(ratio) / math.log(large / small)
        print(
            f"near dedup CPU time {large:,} / {small:,} docs: {ratio:.1f}x for "
            f"{large / small:.0f}x the documents (scaling exponent {exponent:.2f})"
        )
        # Near-linear: at most 20% above proportional (10x the documents: target 12).
        target = 1.2 * large / small
        name = f"near_dedup_scaling_{large // 1000}k_over_{small // 1000}k"
        print(f"RESULT {name} {ratio:.2f} target {target:.1f} lower")
    near_rate = results["near", large]["docs_per_cpu_s"]
    exact_rate = results["exact", large]["docs_per_cpu_s"]
    print(f"RESULT near_dedup_docs_per_cpu_s_{large // 1000}k {near_rate:.0f} target 5000 higher")
    print(
        f"RESULT exact_dedup_docs_per_cpu_s_{large // 1000}k {exact_rate:.0f} target 20000 higher"
    )


if __name__ == "__main__":
    main()
