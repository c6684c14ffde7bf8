"""Cost of a corpus version's blocking checks and of its materialization metadata at two or
more sizes, this checkout next to a baseline (by default `main`), side by side in one run.

    python bench/quality_metadata [--sizes 20000 100000] [--baseline-ref main]
                                  [--baseline-repo PATH] [--no-embedding]

Each size gets one warehouse of synthetic instruction rows (about 80 words each): a seed
version, a synthesized version of N rows built from it, and a filtered version keeping nine
rows in ten (the tenth dropped with a decision). Then, each in its own process (so its peak
RSS is its own; wait4's rusage):

- checks: `quality.gate.audit` of the filtered version with the default policy (the row
  suite, the gates and Data Docs), as the blocking check runs it (great-expectations is
  imported before timing: a run pays that once; it is reported apart);
- metadata: for the synthesized then the filtered version, what `assets.staging` does after
  staging: `version_sample` plus `materialization_metadata` with the sentence embedder
  (loaded before timing; its load is reported apart), on a copy of the warehouse whose
  embedding cache starts empty, as in a first run.

The baseline is another checkout's code: `--baseline-repo PATH`, or `git archive` of
`--baseline-ref` into a scratch folder. Headline lines: `RESULT <name> <value> target <t>
<lower|higher>`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve()
ROOT = HERE.parents[2]

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
SEED_ROWS = 1_000
BUILD_BATCH = 100_000


def synthetic_rows(start: int, stop: int, *, seeds: list[str] | None):
    """Rows `start..stop`: pseudo-random 32-character row ids (so the smallest ids are a
    spread-out sample), an instruction of 10 and a response of 30 word-number pairs (hashed numbers), three
    methods, six task types; each row's seed is one of `seeds` (a seed row is its own)."""
    import polars as pl

    from warehouse.rows import ROW_SCHEMA

    frame = pl.DataFrame({"i": pl.int_range(start, stop, eager=True)})
    frame = frame.with_columns(
        pl.col("i").hash(seed=7).cast(pl.String).str.zfill(32).alias("row_id"),
        pl.lit("instruction").alias("kind"),
        pl.format("t{}", pl.col("i") % 6).alias("task_type"),
        # Word-number pairs with hashed numbers: text that compresses about as badly as prose.
        pl.concat_str(
            [
                pl.lit(WORDS[k]) + pl.format(" {}", pl.col("i").hash(k) % 1_000_000)
                for k in range(10)
            ],
            separator=" ",
        ).alias("instruction"),
        pl.concat_str(
            [
                pl.lit(WORDS[(k * 7) % len(WORDS)])
                + pl.format(" {}", pl.col("i").hash(100 + k) % 1_000_000)
                for k in range(30)
            ],
            separator=" ",
        ).alias("response"),
        pl.format("m{}", pl.col("i") % 3).alias("method"),
        pl.format("gen-{}", pl.col("i") % 3).alias("generator_id"),
        pl.lit([], dtype=pl.List(pl.String)).alias("parent_ids"),
        pl.lit("bench").alias("run_id"),
        pl.lit(0).cast(pl.Datetime("us")).alias("created_at"),
    )
    if seeds is None:
        frame = frame.with_columns(pl.concat_list("row_id").alias("seed_ids"))
    else:
        pool = pl.Series(seeds)
        frame = frame.with_columns(
            pl.concat_list(pl.col("i").mod(len(seeds)).map_batches(lambda s: pool.gather(s))).alias(
                "seed_ids"
            )
        )
    return frame.select(
        [
            frame[c].cast(t) if c in frame.columns else pl.lit(None, dtype=t).alias(c)
            for c, t in ROW_SCHEMA.items()
        ]
    )


def build(home: Path, n: int) -> dict:
    """The seed, synthesized and filtered versions; returns their numbers."""
    import polars as pl

    from warehouse import ParentVersion, Warehouse
    from warehouse.corpora import VersionWriter, decide_version, stage_version
    from warehouse.rows import DECISION_SCHEMA

    wh = Warehouse(home)
    seeds = synthetic_rows(10**9, 10**9 + SEED_ROWS, seeds=None)
    seed = stage_version(wh, "seed", seeds, run_id="bench")
    decide_version(wh, "seed", seed, promote=True, check_results={})
    seed_ids = seeds["row_id"].to_list()
    synthesized = VersionWriter(
        wh, "synthesized", parents=[ParentVersion("seed", seed)], run_id="bench"
    )
    synthesized.begin()
    filtered = VersionWriter(
        wh, "filtered", parents=[ParentVersion("synthesized", synthesized.version)], run_id="bench"
    )
    for start in range(0, n, BUILD_BATCH):
        rows = synthetic_rows(start, min(n, start + BUILD_BATCH), seeds=seed_ids)
        synthesized.append(rows)
    versions = {"seed": seed, "synthesized": synthesized.finish()}
    decide_version(wh, "synthesized", versions["synthesized"], promote=True, check_results={})
    filtered.begin()
    for start in range(0, n, BUILD_BATCH):
        rows = synthetic_rows(start, min(n, start + BUILD_BATCH), seeds=seed_ids)
        dropped = rows.filter(pl.int_range(pl.len()) % 10 == 9)
        decisions = dropped.select(
            "row_id",
            pl.lit("filtered").alias("stage"),
            pl.lit("response_too_long").alias("rule"),
            pl.lit("drop").alias("action"),
            pl.col("response").str.len_chars().cast(pl.Float64).alias("score"),
            pl.lit("{}").alias("evidence"),
        ).cast(DECISION_SCHEMA)
        filtered.append(rows.filter(pl.int_range(pl.len()) % 10 != 9), decisions)
    versions["filtered"] = filtered.finish()
    return versions


def measure_checks(home: Path, versions: dict) -> dict:
    from quality.gate import GatePolicy, audit
    from warehouse import Warehouse

    wh = Warehouse(home)
    imported = time.perf_counter()
    import great_expectations  # noqa: F401  (once per process in a run: reported apart)

    import_s = time.perf_counter() - imported
    started, cpu = time.perf_counter(), time.process_time()
    report = audit(wh, "filtered", versions["filtered"], GatePolicy())
    return {
        "gx_import_s": round(import_s, 2),
        "seconds": round(time.perf_counter() - started, 2),
        "cpu_s": round(time.process_time() - cpu, 2),
        "passed": report.passed,
        "failed": [f"{o.expectation}({o.column})" for o in report.failures],
        "expectations": len(report.outcomes),
    }


def measure_metadata(home: Path, versions: dict, embedding: bool) -> dict:
    import inspect

    from assets.embeddings import Embedder
    from quality import materialization
    from quality.report_config import ReportConfig
    from warehouse import Warehouse
    from warehouse.reports import version_sample

    wh = Warehouse(home)
    config = ReportConfig(embedding_in_metadata=embedding)
    embedder = Embedder()
    loaded = time.perf_counter()
    if embedding:
        embedder.encode(["warm up"])  # the model load, reported apart
    load_s = time.perf_counter() - loaded
    # The baseline takes `embed` (texts to vectors); this checkout the embedder itself.
    params = inspect.signature(materialization.materialization_metadata).parameters
    embed_arg = (
        {"embedder": embedder}
        if "embedder" in params
        else {"embed": lambda texts: embedder.embed(wh, texts)}
    )
    out: dict = {"model_load_s": round(load_s, 2)}
    for corpus in ("synthesized", "filtered"):
        started, cpu = time.perf_counter(), time.process_time()
        encoded = embedder.encoded
        version = versions[corpus]
        sample = version_sample(wh, corpus, version, materialization.METADATA_SAMPLE_ROWS)
        row_count = int(wh_count(wh, corpus, version))
        metadata = materialization.materialization_metadata(
            wh, corpus, version, sample, config, row_count=row_count, **embed_arg
        )
        out[corpus] = {
            "seconds": round(time.perf_counter() - started, 2),
            "cpu_s": round(time.process_time() - cpu, 2),
            "encoded": embedder.encoded - encoded,
            "dispersion": float(metadata["embedding_mean_pairwise_cosine_distance"].value)
            if "embedding_mean_pairwise_cosine_distance" in metadata
            else None,
        }
    return out


def wh_count(wh, corpus: str, version: int) -> int:
    from warehouse.audit import version_row_count

    return version_row_count(wh, corpus, version)


def worker(args: argparse.Namespace) -> None:
    """One measurement in this process, with `--code` first on the path."""
    sys.path.insert(0, str(args.code))
    os.environ["SYNTHFOUNDRY_HOME"] = str(args.home)
    versions = json.loads(args.versions) if args.versions else {}
    if args.worker == "build":
        result = build(args.home, args.rows)
    elif args.worker == "checks":
        result = measure_checks(args.home, versions)
    else:
        result = measure_metadata(args.home, versions, args.embedding)
    print("WORKER " + json.dumps(result), flush=True)


def run_worker(code: Path, kind: str, home: Path, **extra) -> dict:
    """Run one worker in a child process; its result plus its CPU seconds and peak RSS."""
    command = [sys.executable, str(HERE), "--worker", kind, "--code", str(code)]
    command += ["--home", str(home)]
    for key, value in extra.items():
        if isinstance(value, bool):
            command.append(f"--{key}" if value else f"--no-{key}")
        else:
            command += [f"--{key}", str(value)]
    env = {**os.environ, "PYTHONPATH": str(code)}
    started = time.perf_counter()
    child = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
    stdout = child.stdout.read() if child.stdout else ""
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise SystemExit(f"{kind} worker ({code}) failed with {child.returncode}:\n{stdout}")
    line = next(x for x in stdout.splitlines() if x.startswith("WORKER "))
    result = json.loads(line.removeprefix("WORKER "))
    result["process_wall_s"] = round(time.perf_counter() - started, 1)
    result["process_cpu_s"] = round(usage.ru_utime + usage.ru_stime, 1)
    result["peak_rss_mb"] = round(usage.ru_maxrss / 1024)
    return result


def baseline_checkout(ref: str, scratch: Path) -> Path:
    """`ref` of this repository, exported (no work tree or branch is touched)."""
    target = scratch / f"baseline-{ref.replace('/', '_')}"
    target.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", ref], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 100_000])
    parser.add_argument("--baseline-ref", default="main")
    parser.add_argument("--baseline-repo", type=Path, default=None)
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--embedding", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--scratch", type=Path, default=None, help="where warehouses go")
    parser.add_argument("--worker", choices=["build", "checks", "metadata"], help=argparse.SUPPRESS)
    parser.add_argument("--code", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--home", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--rows", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--versions", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return

    with tempfile.TemporaryDirectory(prefix="quality-bench-", dir=args.scratch) as tmp:
        scratch = Path(tmp)
        codes = {"ours": ROOT}
        if not args.no_baseline:
            codes["baseline"] = args.baseline_repo or baseline_checkout(args.baseline_ref, scratch)
        results: dict[int, dict] = {}
        for n in sorted(args.sizes):
            home = scratch / f"n{n}"
            home.mkdir()
            built = run_worker(ROOT, "build", home, rows=n)
            versions = {k: built[k] for k in ("seed", "synthesized", "filtered")}
            print(f"built {n} rows in {built['process_wall_s']} s", flush=True)
            results[n] = {}
            for label, code in codes.items():
                checks = run_worker(code, "checks", home, versions=json.dumps(versions))
                copy = scratch / f"n{n}-{label}"
                copy.mkdir()
                shutil.copy(home / "warehouse.duckdb", copy / "warehouse.duckdb")
                metadata = run_worker(
                    code, "metadata", copy, versions=json.dumps(versions), embedding=args.embedding
                )
                shutil.rmtree(copy)
                results[n][label] = {"checks": checks, "metadata": metadata}
                print(f"{label} n={n}: " + json.dumps(results[n][label]), flush=True)
            shutil.rmtree(home)
    report(results, list(codes), args.embedding)


def report(results: dict[int, dict], labels: list[str], embedding: bool) -> None:
    print(f"\nload average {os.getloadavg()[0]:.2f}; metadata embedding {embedding}")
    print(
        f"{'code':9} {'rows':>8} {'checks s':>9} {'cpu s':>6} {'RSS MB':>7} "
        f"{'meta synth s':>13} {'cpu s':>6} {'meta filt s':>12} {'cpu s':>6} {'encoded':>8} "
        f"{'RSS MB':>7}"
    )
    for n, by_label in results.items():
        for label in labels:
            c, m = by_label[label]["checks"], by_label[label]["metadata"]
            s, f = m["synthesized"], m["filtered"]
            print(
                f"{label:9} {n:>8} {c['seconds']:>9} {c['cpu_s']:>6} {c['peak_rss_mb']:>7} "
                f"{s['seconds']:>13} {s['cpu_s']:>6} {f['seconds']:>12} {f['cpu_s']:>6} "
                f"{s['encoded'] + f['encoded']:>8} {m['peak_rss_mb']:>7}"
            )
    sizes = sorted(results)
    small, large = sizes[0], sizes[-1]
    tag = f"{large // 1000}k" if large < 1_000_000 else f"{large // 1_000_000}m"

    def checks_cpu(label: str, n: int) -> float:
        return results[n][label]["checks"]["cpu_s"]

    def meta_cpu(label: str, n: int) -> float:
        m = results[n][label]["metadata"]
        return max(m[c]["cpu_s"] for c in ("synthesized", "filtered"))

    ours = results[large]["ours"]
    print(f"RESULT checks_seconds_{tag} {ours['checks']['seconds']} target 5 lower")
    print(f"RESULT checks_cpu_seconds_{tag} {checks_cpu('ours', large)} target 5 lower")
    print(f"RESULT checks_peak_rss_mb_{tag} {ours['checks']['peak_rss_mb']} target 1500 lower")
    meta_wall = max(ours["metadata"][c]["seconds"] for c in ("synthesized", "filtered"))
    print(f"RESULT metadata_seconds_{tag} {meta_wall} target 5 lower")
    print(f"RESULT metadata_cpu_seconds_{tag} {meta_cpu('ours', large)} target 5 lower")
    if large > small:
        growth = checks_cpu("ours", large) / max(checks_cpu("ours", small), 0.01)
        print(
            f"RESULT checks_cpu_growth_{small // 1000}k_to_{tag} {growth:.2f} "
            f"target {large / small / 4:g} lower"
        )
        growth = meta_cpu("ours", large) / max(meta_cpu("ours", small), 0.01)
        print(f"RESULT metadata_cpu_growth_{small // 1000}k_to_{tag} {growth:.2f} target 1.5 lower")
    if "baseline" in labels:
        speedup = checks_cpu("baseline", large) / max(checks_cpu("ours", large), 0.01)
        print(f"RESULT checks_cpu_speedup_vs_baseline_{tag} {speedup:.1f} target 5 higher")
        speedup = meta_cpu("baseline", large) / max(meta_cpu("ours", large), 0.01)
        print(f"RESULT metadata_cpu_speedup_vs_baseline_{tag} {speedup:.1f} target 3 higher")


if __name__ == "__main__":
    main()
