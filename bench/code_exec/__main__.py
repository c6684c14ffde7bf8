"""Sandboxed code execution rate vs. the same snippets run with plain `python -c`.

Run: python bench/code_exec [--rounds 5] [--snippets-per-round 20]

Each snippet is a solution and its unit tests (the bundled demo's coding seeds). The sandbox
runs it as the pipeline does (`Sandbox.run`: the tests split in the parent, bubblewrap,
namespaces, limits, the harness that reports each computed value, the verdicts decided in the
parent; the demo's expected sides are literals, so one sandbox run each); the baseline runs the solution followed by its tests with the same
interpreter as `python -c`, in a subprocess, with no isolation; for reference, also as bare
`python -I -S -c` (no `site`, as the sandbox runs it). All run one at a time, in alternating
rounds so machine load hits them alike. Reported: executions per second (median of rounds)
and median latency. (CPU time is not: the sandbox's processes are reaped inside its PID
namespace, out of this process's child accounting.) Target: at least 0.5x the `python -c`
rate.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
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


def timed(run: Callable[[Execution], None], jobs: list[Execution]) -> tuple[float, list[float]]:
    """(seconds, per-run latencies) of running `jobs` in turn."""
    latencies = []
    started = time.perf_counter()
    for job in jobs:
        t = time.perf_counter()
        run(job)
        latencies.append(time.perf_counter() - t)
    return time.perf_counter() - started, latencies


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

    def unsandboxed(*flags: str) -> Callable[[Execution], None]:
        def run(job: Execution) -> None:
            command = [sandbox.python, *flags, "-c", f"{job.code}\n{job.tests}"]
            done = subprocess.run(command, capture_output=True, timeout=30)
            if done.returncode != 0:
                raise SystemExit(f"a reference snippet failed: {done.stderr.decode()}")

        return run

    modes = {"sandbox": sandboxed, "python -c": unsandboxed(), "-I -S -c": unsandboxed("-I", "-S")}
    for run in modes.values():
        run(jobs[0])  # warm the page cache for each
    measured: dict[str, list[tuple[float, list[float]]]] = {mode: [] for mode in modes}
    for _ in range(args.rounds):
        for mode, run in modes.items():
            measured[mode].append(timed(run, jobs))
    rates = {}
    print(f"{len(jobs)} executions per round, {args.rounds} rounds, interpreter {sandbox.python}")
    print(f"{'mode':<12}{'exec/s':>10}{'median ms':>12}")
    for mode, rounds in measured.items():
        rates[mode] = statistics.median(len(jobs) / seconds for seconds, _ in rounds)
        latency = statistics.median(x for _, lat in rounds for x in lat) * 1000
        print(f"{mode:<12}{rates[mode]:>10.1f}{latency:>12.1f}")
    ratio = rates["sandbox"] / rates["python -c"]
    print(f"sandboxed / python -c rate: {ratio:.2f}x (target >= {TARGET}x)")
    print(f"sandboxed / python -I -S -c rate: {rates['sandbox'] / rates['-I -S -c']:.2f}x")
    print(f"RESULT code_exec_rate_ratio {ratio:.2f} target {TARGET} higher")


if __name__ == "__main__":
    main()
