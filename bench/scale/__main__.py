"""The whole flow at scale through the CLI: seconds per stage, rows per second and peak RSS.

Run: python bench/scale [--sizes 100000 1000000] [--baseline-size 20000]
     [--baseline-repo /path/to/other/checkout] [--embedding | --no-embedding | --cascade]
     [--batch-rows N] [--no-metadata-embedding] [--engines local spark]

Each size gets a fresh home: N instruction rows made from real text on this machine (the
standard library's docstrings, cut into instruction and response windows of 60-100 words in
all), a recipe of `seed_passthrough` with the default filters, exact and near dedup and
HumanEval decontamination (n-grams plus the embedding detector: by default its cascade, over
the candidates a TF-IDF stage nominates; `--embedding` over every row's whole text;
`--no-embedding` n-grams alone), run by `synthfoundry run` in a subprocess. The defect rule
`filters.off_topic` is off unless `--off-topic`: each response is a random window, off topic
by construction, so it would embed every row. Peak RSS is the CLI process's own (wait4's rusage).
`--baseline-repo` runs another checkout's code (e.g. main before streaming) at
`--baseline-size` in the same way, so its growth per row sits beside ours. `--engines local
spark` runs each size on both engines (`execution: {engine: spark}` on the recipe's default
`local[2]` master), side by side; on Spark, peak RSS is the driver's alone (the executors' Python
workers are other processes). Headline lines:
`RESULT <name> <value> target <target> <lower|higher>`.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
STEP_LINE = re.compile(r"^\s*(\d+(?:\.\d+)?)s\s+… (\S+)")
DONE_LINE = re.compile(r"run \S+ (succeeded|failed) (?:in|after) (\d+) s")


def docstring_words() -> list[str]:
    """Words of every docstring the standard library's pure-Python modules hold, in a stable
    order (modules by name)."""
    import ast
    import sysconfig

    stdlib = Path(sysconfig.get_paths()["stdlib"])
    words: list[str] = []
    for path in sorted(stdlib.glob("*.py")) + sorted(stdlib.glob("*/*.py")):
        if "test" in path.parts[-2:][0] or "site-packages" in str(path):
            continue
        try:
            tree = ast.parse(path.read_text(encoding="utf-8", errors="replace"))
        except (SyntaxError, ValueError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                doc = ast.get_docstring(node)
                if doc:
                    words.extend(w for w in doc.split() if w.isprintable())
    return words


def make_seeds(n: int, target: Path) -> int:
    """`n` rows: an instruction of 30-50 words and a response of 30-50 words, each a window of
    the docstring text at a pseudo-random place (a fixed LCG), so rows are distinct but read
    like documentation. Returns the words written."""
    words = docstring_words()
    span = len(words) - 60
    state = 12345
    total = 0
    with open(target, "w", encoding="utf-8") as out:
        for i in range(n):
            state = (state * 6364136223846793005 + 1442695040888963407) % 2**64
            a, b = (state >> 20) % span, (state >> 5) % span
            la, lb = 30 + i % 21, 30 + (i // 21) % 21
            instruction = "Explain this: " + " ".join(words[a : a + la])
            response = " ".join(words[b : b + lb])
            total += la + lb
            out.write(
                json.dumps(
                    {"task_type": "open_qa", "instruction": instruction, "response": response}
                )
                + "\n"
            )
    return total


def write_recipe(
    home: Path,
    seeds: Path,
    embedding: str,
    metadata_embedding: bool,
    batch_rows: int | None,
    off_topic: bool | None = False,
    engine: str = "local",
) -> Path:
    decontamination: dict = {"benchmarks": [{"builtin": "humaneval"}]}
    if embedding == "all":
        decontamination["embedding"] = {"candidates": None}
    elif embedding == "cascade":
        # The default: a TF-IDF stage over every row nominates the candidates; only they are
        # embedded.
        decontamination["embedding"] = {}
    recipe = {
        "name": "scale",
        "seed": {"sources": [{"path": str(seeds)}]},
        "synthesis": {"methods": [{"method": "seed_passthrough"}]},
        "decontamination": decontamination,
        "quality": {"min_rows": {"seed": 1, "synthesized": 1, "filtered": 1, "decontaminated": 1}},
        "reports": {"embedding_in_metadata": metadata_embedding},
    }
    if batch_rows is not None:
        recipe["streaming"] = {"batch_rows": batch_rows}
    if engine != "local":
        recipe["execution"] = {"engine": engine}
    if off_topic is not None:
        # Each response is a random window, off topic by construction: the rule would embed
        # every row. None: a baseline checkout that predates the key.
        recipe["filters"] = {"off_topic": {"enabled": off_topic}}
    path = home / "recipe.json"
    path.write_text(json.dumps(recipe), encoding="utf-8")  # JSON is YAML
    return path


TICKS = os.sysconf("SC_CLK_TCK")


def _sample_rss(pid: int, started: float, samples: list[tuple[float, float, float]]) -> None:
    """(seconds since start, RSS in MB, CPU seconds so far) of process `pid` every 0.2 s
    until it exits."""
    status, stat = Path(f"/proc/{pid}/status"), Path(f"/proc/{pid}/stat")
    while True:
        try:
            text = status.read_text()
            # utime and stime: fields 14 and 15, after the parenthesized command name.
            fields = stat.read_text().rpartition(")")[2].split()
        except (FileNotFoundError, ProcessLookupError):
            return
        found = re.search(r"VmRSS:\s+(\d+) kB", text)
        if found is None:
            return
        cpu = (int(fields[11]) + int(fields[12])) / TICKS
        samples.append((time.monotonic() - started, int(found.group(1)) / 1024, cpu))
        time.sleep(0.2)


def run_flow(code: Path, home: Path, recipe: Path) -> dict:
    """`synthfoundry run` with `code` on the path; per-step seconds, wall, peak RSS."""
    env = {
        **os.environ,
        "PYTHONPATH": str(code),
        "SYNTHFOUNDRY_HOME": str(home),
        "DAGSTER_HOME": str(home / "dagster"),
        "NO_COLOR": "1",
        "COLUMNS": "200",
    }
    started = time.monotonic()
    child = subprocess.Popen(
        [sys.executable, "-m", "orchestration.cli", "run", "--recipe", str(recipe)],
        cwd=code,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert child.stdout is not None
    samples: list[tuple[float, float, float]] = []
    load_before = os.getloadavg()
    sampler = threading.Thread(target=_sample_rss, args=(child.pid, started, samples), daemon=True)
    sampler.start()
    output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    wall = time.monotonic() - started
    starts: list[tuple[float, str]] = []
    finished = None
    for line in output.splitlines():
        if match := STEP_LINE.match(line):
            starts.append((float(match.group(1)), match.group(2)))
        if match := DONE_LINE.search(line):
            finished = float(match.group(2))
    ends = [t for t, _ in starts[1:]] + [finished if finished is not None else wall]
    steps: dict[str, float] = {}
    step_rss: dict[str, float] = {}
    step_cpu: dict[str, float] = {}
    # The CLI's clock starts after its imports: line it up with ours by the run's end.
    offset = wall - (finished if finished is not None else wall)
    for (start, step), end in zip(starts, ends, strict=True):
        steps[step] = round(end - start, 1)
        during = [(rss, cpu) for t, rss, cpu in samples if start + offset <= t <= end + offset]
        if during:
            step_rss[step] = round(max(rss for rss, _ in during), 1)
            step_cpu[step] = round(during[-1][1] - during[0][1], 1)
    if child.returncode != 0:
        print(output[-3000:], file=sys.stderr)
    return {
        "ok": child.returncode == 0,
        "wall_s": round(wall, 1),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
        # CPU seconds (user + sys) say more than wall time on a machine shared with others.
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
        "steps": steps,
        "step_peak_rss_mb": step_rss,
        "step_cpu_s": step_cpu,
        # The machine is shared: its 1-minute load average when the run started and ended.
        "load_avg_1m": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
    }


def measure(
    code: Path,
    n: int,
    embedding: str,
    metadata_embedding: bool,
    label: str,
    batch_rows: int | None = None,
    off_topic: bool | None = False,
    engine: str = "local",
) -> dict:
    with tempfile.TemporaryDirectory(prefix=f"scale-{label}-{n}-") as folder:
        home = Path(folder)
        seeds = home / "seeds.jsonl"
        made = time.monotonic()
        words = make_seeds(n, seeds)
        made = time.monotonic() - made
        recipe = write_recipe(
            home, seeds, embedding, metadata_embedding, batch_rows, off_topic, engine
        )
        result = run_flow(code, home, recipe)
    result.update(
        label=label,
        engine=engine,
        rows=n,
        words_per_row=round(words / n, 1),
        seeds_made_s=round(made, 1),
    )
    result["rows_per_s"] = round(n / result["wall_s"], 1)
    print(json.dumps(result), flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--baseline-repo", type=Path, default=None)
    parser.add_argument("--baseline-size", type=int, default=20_000)
    embedding = parser.add_mutually_exclusive_group()
    embedding.add_argument(
        "--embedding",
        dest="embedding",
        action="store_const",
        const="all",
        help="embedding.candidates: null (embed every row's whole text)",
    )
    embedding.add_argument("--no-embedding", dest="embedding", action="store_const", const="off")
    embedding.add_argument(
        "--cascade",
        dest="embedding",
        action="store_const",
        const="cascade",
        help="the default: decontamination.embedding: {} (the cascade: embed only the TF-IDF "
        "stage's candidates)",
    )
    parser.set_defaults(embedding="cascade")
    parser.add_argument(
        "--batch-rows", type=int, default=None, help="streaming.batch_rows (default: the recipe's)"
    )
    parser.add_argument(
        "--no-metadata-embedding",
        dest="metadata_embedding",
        action="store_false",
        help="reports.embedding_in_metadata: false (a fixed cost: a 2,000-row sample embedded "
        "once per stage, cached across stages)",
    )
    parser.add_argument(
        "--off-topic",
        action="store_true",
        help="keep filters.off_topic on (it embeds nearly every row of this bench's data)",
    )
    parser.add_argument(
        "--baseline-predates-defect-rules",
        action="store_true",
        help="the baseline checkout has no filters.off_topic key: leave it out of its recipe",
    )
    parser.add_argument(
        "--engines",
        nargs="+",
        choices=["local", "spark"],
        default=["local"],
        help="execution.engine of each run: every size runs on each engine given",
    )
    args = parser.parse_args()

    runs = [
        measure(
            ROOT,
            n,
            args.embedding,
            args.metadata_embedding,
            engine if engine != "local" else "streamed",
            args.batch_rows,
            args.off_topic,
            engine,
        )
        for n in sorted(args.sizes)
        for engine in args.engines
    ]
    # The size-to-size figures below compare the first engine's runs.
    ours = [r for r in runs if r["engine"] == args.engines[0]]
    baseline = None
    if args.baseline_repo is not None:
        baseline = measure(
            args.baseline_repo,
            args.baseline_size,
            args.embedding,
            args.metadata_embedding,
            "baseline",
            off_topic=None if args.baseline_predates_defect_rules else args.off_topic,
        )

    print(
        f"\nembedding detector: {args.embedding}; metadata embedding: "
        f"{'on' if args.metadata_embedding else 'off'}"
    )
    print(
        f"{'code':10} {'rows':>9} {'wall s':>8} {'cpu s':>7} {'rows/s':>8} {'peak RSS MB':>12}  "
        "stages: seconds (peak RSS)"
    )
    for r in [*runs, *([baseline] if baseline else [])]:
        stages = ", ".join(
            f"{k} {v} s/{r['step_cpu_s'].get(k, '?')} CPU-s ({r['step_peak_rss_mb'].get(k, '?')} MB)"
            for k, v in r["steps"].items()
        )
        print(
            f"{r['label']:10} {r['rows']:>9} {r['wall_s']:>8} {r['cpu_s']:>7} {r['rows_per_s']:>8} "
            f"{r['peak_rss_mb']:>12}  load {r['load_avg_1m']}  {stages}"
        )
    small, large = ours[0], ours[-1]
    if baseline is not None:
        same = next((r for r in ours if r["rows"] == baseline["rows"]), None)
        if same is not None:
            print(
                f"at {baseline['rows']} rows: wall {baseline['wall_s']} -> {same['wall_s']} s, "
                f"CPU {baseline['cpu_s']} -> {same['cpu_s']} s, "
                f"peak RSS {baseline['peak_rss_mb']} -> {same['peak_rss_mb']} MB"
            )
    if large["rows"] > small["rows"]:
        growth = (
            (large["peak_rss_mb"] - small["peak_rss_mb"]) * 1024 / (large["rows"] - small["rows"])
        )
        print(f"RSS growth per row {small['rows']}->{large['rows']}: {growth:.2f} KB")
    for r in ours:
        if r["rows"] == 1_000_000:
            print(f"RESULT scale_1m_wall_min {r['wall_s'] / 60:.1f} target 15 lower")
            print(f"RESULT scale_1m_peak_rss_gb {r['peak_rss_mb'] / 1024:.2f} target 6 lower")
    if large["rows"] > small["rows"]:
        factor = large["rows"] / small["rows"]
        print(
            f"RESULT scale_time_ratio_x{factor:g} {large['wall_s'] / small['wall_s']:.2f} "
            f"target {1.1 * factor:g} lower"
        )
        print(
            f"RESULT scale_rss_ratio_x{factor:g} {large['peak_rss_mb'] / small['peak_rss_mb']:.2f} "
            "target 2 lower"
        )
    for r in runs:
        engine = "" if r["engine"] == "local" else f"_{r['engine']}"
        print(f"RESULT scale_{r['rows']}{engine}_rows_per_s {r['rows_per_s']} target - higher")
    for local, other in zip(runs, runs[1:], strict=False):
        if (local["engine"], local["rows"]) == ("local", other["rows"]) and other[
            "engine"
        ] != "local":
            print(
                f"RESULT scale_{local['rows']}_{other['engine']}_over_local_wall "
                f"{other['wall_s'] / local['wall_s']:.2f} target - lower"
            )
    if not all(r["ok"] for r in [*runs, *([baseline] if baseline else [])]):
        sys.exit(1)


if __name__ == "__main__":
    main()
