"""Sandboxed code execution rate vs. the same snippets run with plain `python -c`.

Run: python bench/code_exec [--rounds 5] [--snippets-per-round 20]

Each snippet is a solution and its unit tests (the bundled demo's coding seeds). The sandbox
runs it as the pipeline does (`Sandbox.run`: bubblewrap, namespaces, limits, the harness that
reports each test); the baseline runs the solution followed by its tests with the same
interpreter as `python -c`, in a subprocess, with no isolation. Both run one at a time, in
alternating rounds so machine load hits both alike. Reported: executions per second (median
of rounds), median latency, and CPU seconds per execution (user + sys of the children: on a
shared machine wall time partly measures the load). Target: at least 0.5x the baseline rate.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT))

from assets.execution.code_blocks import first_python_block, row_tests  # noqa: E402
from assets.execution.sandbox import Execution, Sandbox, SandboxConfig  # noqa: E402

TARGET = 0.5


def snippets() -> list[Execution]:
    found = []
    for line in (ROOT / "assets" / "data" / "demo_seeds.jsonl").read_text().splitlines():
        row = json.loads(line)
        tests = row_tests(json.dumps(row.get("attributes") or {}))
        code = first_python_block(row.get("response"))
        if tests and code:
            found.append(Execution(code, tests))
    return found


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(run, jobs: list[Execution]) -> tuple[float, list[float], float]:
    """(seconds, per-run latencies, CPU seconds of the children) of running `jobs` in turn."""
    latencies = []
    cpu = children_cpu()
    started = time.perf_counter()
    for job in jobs:
        t = time.perf_counter()
        run(job)
        latencies.append(time.perf_counter() - t)
    return time.perf_counter() - started, latencies, children_cpu() - cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--snippets-per-round", type=int, default=22)
    args = parser.parse_args()
    sandbox = Sandbox(SandboxConfig())
    base = snippets()
    jobs = [base[i % len(base)] for i in range(args.snippets_per_round)]

    def sandboxed(job: Execution) -> None:
        result = sandbox.run(job)
        if not result.passed:
            raise SystemExit(f"a reference snippet failed in the sandbox: {result.evidence()}")

    def plain(job: Execution) -> None:
        done = subprocess.run(
            [sandbox.python, "-c", f"{job.code}\n{job.tests}"], capture_output=True, timeout=30
        )
        if done.returncode != 0:
            raise SystemExit(f"a reference snippet failed: {done.stderr.decode()}")

    sandboxed(jobs[0]), plain(jobs[0])  # warm the page cache for both
    measured: dict[str, list[tuple[float, list[float], float]]] = {"sandbox": [], "plain": []}
    for _ in range(args.rounds):
        measured["sandbox"].append(timed(sandboxed, jobs))
        measured["plain"].append(timed(plain, jobs))
    rates = {}
    print(f"{len(jobs)} executions per round, {args.rounds} rounds, interpreter {sandbox.python}")
    print(f"{'mode':<10}{'exec/s':>10}{'median ms':>12}{'cpu ms/exec':>14}")
    for mode, rounds in measured.items():
        rates[mode] = statistics.median(len(jobs) / seconds for seconds, _, _ in rounds)
        latency = statistics.median(x for _, lat, _ in rounds for x in lat) * 1000
        cpu = statistics.median(c / len(jobs) for _, _, c in rounds) * 1000
        print(f"{mode:<10}{rates[mode]:>10.1f}{latency:>12.1f}{cpu:>14.1f}")
    ratio = rates["sandbox"] / rates["plain"]
    print(f"sandboxed / plain rate: {ratio:.2f}x (target >= {TARGET}x)")
    print(f"RESULT code_exec_rate_ratio {ratio:.2f} target {TARGET} higher")


if __name__ == "__main__":
    main()
