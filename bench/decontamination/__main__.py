"""bench/decontamination: recall and false-positive rate of the decontamination detectors.

Positives: one rule-based rephrasing of every HumanEval prompt (`rephrase.py`: synonyms,
reordered sentences, renamed function and arguments, examples dropped or restated, six
templates), made offline and deterministically. Negatives (clean instructions): the bundled
demo seeds, hand-written programming tasks that are not HumanEval problems
(`clean_code_tasks.txt`), and "implement this" tasks built from the docstrings of Python
standard-library functions (real, varied code-task text).

Six of those clean instructions are in fact HumanEval problems (`SAME_PROBLEM`: is_prime, the
n-th Fibonacci number, median...): they are left out of both rates and reported on their own,
since flagging them is right.

Both sets are split in two by a hash of the text: thresholds are tuned on the first half
(highest recall with FPR <= 0.05) and every figure is reported on the second half. Detectors
run through the stage's own code path (`contamination_signals`, warehouse embedding cache). The judge (SmolLM2-135M) is measured separately with `--judge N` on N
held-out grey-band pairs; it is not part of the default combined rule (see the README).

    python bench/decontamination [--judge 0]
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import inspect
import itertools
import json
import re
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))
from rephrase import rephrase  # noqa: E402

from assets.decontamination.benchmarks import humaneval_items  # noqa: E402
from assets.decontamination.detector import (  # noqa: E402
    contamination_signals,
    decontamination_steps,
)
from assets.decontamination.embedding import EmbeddingDetector
from assets.decontamination.judge import JudgeConfig
from assets.decontamination.lexical import LexicalDetector
from assets.models.context import ModelContext  # noqa: E402
from assets.recipe.paths import bundled_path
from assets.recipe.root import DecontaminationConfig
from assets.stage_setup import StageSetup  # noqa: E402
from warehouse import Warehouse  # noqa: E402

HERE = Path(__file__).resolve().parent
STDLIB_MODULES = [
    "string",
    "textwrap",
    "statistics",
    "itertools",
    "functools",
    "os.path",
    "shutil",
    "json",
    "re",
    "math",
    "heapq",
    "bisect",
    "collections",
    "random",
    "calendar",
    "difflib",
    "fnmatch",
    "glob",
    "html",
    "urllib.parse",
    "base64",
    "zlib",
    "csv",
    "ipaddress",
    "fractions",
    "operator",
    "copy",
    "pprint",
    "shlex",
    "secrets",
    "uuid",
    "gzip",
    "tempfile",
]
MAX_FPR = 0.05
# Clean-set instructions (by their start) that restate a HumanEval problem.
SAME_PROBLEM = {
    "Write a Python function that returns True if a string is a palindrome": "HumanEval/48",
    "Write an iterative Python function that returns the n-th Fibonacci number": "HumanEval/55",
    "Write a function that returns the nth Fibonacci number using memoization": "HumanEval/55",
    "Write a Python function is_prime(n)": "HumanEval/31",
    "Write a function that computes the greatest common divisor of a list": "HumanEval/13",
    "Implement `median(data)` in Python.": "HumanEval/47",
}


def stdlib_tasks() -> list[str]:
    tasks = []
    for module_name in STDLIB_MODULES:
        module = importlib.import_module(module_name)
        for name, obj in sorted(vars(module).items()):
            if name.startswith("_") or not inspect.isfunction(obj):
                continue
            doc = (inspect.getdoc(obj) or "").split("\n\n")[0].replace("\n", " ").strip()
            if len(doc) < 30:
                continue
            try:
                # Sentinel defaults print their address; it would change the text every run.
                signature = re.sub(r" at 0x[0-9a-fA-F]+", "", str(inspect.signature(obj)))
            except (TypeError, ValueError):
                signature = "(...)"
            tasks.append(f"Implement `{name}{signature}` in Python. {doc}")
    return tasks


def clean_texts() -> list[str]:
    seeds = [
        json.loads(line)["instruction"]
        for line in bundled_path("demo_seeds.jsonl").read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    handwritten = [
        line.strip()
        for line in (HERE / "clean_code_tasks.txt").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    return list(dict.fromkeys(seeds + handwritten + stdlib_tasks()))


def in_tuning_half(text: str) -> bool:
    return hashlib.sha256(text.encode()).digest()[0] % 2 == 0


def rates(flags: np.ndarray, positive: np.ndarray) -> tuple[float, float]:
    recall = float(flags[positive].mean()) if positive.any() else float("nan")
    fpr = float(flags[~positive].mean()) if (~positive).any() else float("nan")
    return recall, fpr


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--judge", type=int, default=0, help="held-out grey-band pairs to judge")
    parser.add_argument(
        "--home",
        type=Path,
        default=Path.home() / ".cache" / "synthfoundry" / "bench_decontamination",
        help="warehouse for the embedding cache (re-runs skip encoding)",
    )
    args = parser.parse_args()

    humaneval = humaneval_items()
    positives = [rephrase(text, i) for i, text in enumerate(humaneval["text"].to_list())]
    negatives = clean_texts()
    texts = positives + negatives
    frame = pl.DataFrame(
        {
            "row_id": [f"r{i:05d}" for i in range(len(texts))],
            "instruction": texts,
            "input": [None] * len(texts),
            "response": [None] * len(texts),
            "text": [None] * len(texts),
        },
        schema_overrides={c: pl.String for c in ("input", "response", "text")},
    )
    positive = np.array([True] * len(positives) + [False] * len(negatives))
    same_item = [next((i for p, i in SAME_PROBLEM.items() if t.startswith(p)), None) for t in texts]
    same = np.array([i is not None for i in same_item])
    assert same.sum() == len(SAME_PROBLEM), "a SAME_PROBLEM text is no longer in the clean set"
    tuning = np.array([in_tuning_half(t) for t in texts]) & ~same
    held = ~tuning & ~same
    print(
        f"positives (rephrased HumanEval): {len(positives)}; clean instructions: "
        f"{len(negatives) - int(same.sum())} (+{int(same.sum())} that are HumanEval problems)"
        f"; tuning half {int(tuning.sum())}, held-out half {int(held.sum())}"
    )

    args.home.mkdir(parents=True, exist_ok=True)
    wh = Warehouse(args.home)
    ctx = ModelContext(wh=wh, run_id="bench")
    config = DecontaminationConfig(embedding=EmbeddingDetector(), lexical=LexicalDetector())
    started = time.perf_counter()
    steps = decontamination_steps(StageSetup(decontamination=config, ctx=ctx, benchmarks=humaneval))
    signals = contamination_signals(frame, steps).sort("row_id")
    seconds = time.perf_counter() - started
    ngram = signals["ngram"].to_numpy()
    similarity = signals["similarity"].to_numpy()
    lexical = signals["lx_similarity"].to_numpy()
    print(f"signals for {len(texts)} rows x {humaneval.height} items in {seconds:.1f} s")

    def tune(flags_at, detectors: int) -> tuple[float, ...]:
        """The thresholds with the best tuning-half recall at FPR <= MAX_FPR."""
        axis = [float(t) for t in np.round(np.arange(0.20, 0.96, 0.01), 2)]
        grid = itertools.product(axis, repeat=detectors)
        best: tuple[float, tuple[float, ...]] = (-1.0, ())
        for thresholds in grid:
            recall, fpr = rates(flags_at(*thresholds)[tuning], positive[tuning])
            if fpr <= MAX_FPR and recall > best[0]:
                best = (recall, thresholds)
        assert best[1], "no threshold keeps the tuning half's FPR in bounds"
        return best[1]

    default_emb, default_lex = config.embedding.threshold, config.lexical.threshold
    c_emb, c_lex = tune(lambda te, tl: ngram | (similarity >= te) | (lexical >= tl), 2)
    print(
        f"recipe default thresholds: embedding {default_emb}, lexical {default_lex}; "
        f"re-tuned on the tuning half for the combined rule: {c_emb:.2f} / {c_lex:.2f}"
    )

    # As a user gets them: each detector at its recipe default threshold.
    emb_flags = similarity >= default_emb
    lex_flags = lexical >= default_lex
    comb_flags = ngram | emb_flags | lex_flags
    figures = {
        "ngram": ngram,
        "embedding": emb_flags,
        "lexical": lex_flags,
        "demo_rule": ngram | emb_flags,  # the demo recipe's `ngram or embedding`
        "combined": comb_flags,  # `ngram or embedding or lexical`
        "combined_retuned": ngram | (similarity >= c_emb) | (lexical >= c_lex),
    }
    rated = {name: rates(flags[held], positive[held]) for name, flags in figures.items()}
    print("held-out half:")
    for name, (recall, fpr) in rated.items():
        print(f"  {name:18s} recall {recall:.3f}  FPR {fpr:.3f}")
    right_item = signals["nn_item_id"].to_numpy() == np.array(same_item, dtype=object)
    right_item |= signals["lx_item_id"].to_numpy() == np.array(same_item, dtype=object)
    print(
        f"clean-set tasks that are HumanEval problems: {int(comb_flags[same].sum())} of "
        f"{int(same.sum())} flagged by the combined rule, "
        f"{int((comb_flags & right_item)[same].sum())} naming the right item"
    )
    missed = signals.filter(pl.Series(held & positive & ~comb_flags))
    for row in missed.head(3).iter_rows(named=True):
        print(f"  missed ({row['similarity']:.3f}): {row['content'][:110]!r}")
    false_hits = signals.filter(pl.Series(held & ~positive & comb_flags))
    for row in false_hits.head(3).iter_rows(named=True):
        print(
            f"  false positive ({row['similarity']:.3f} ~ {row['nn_item_id']}, lexical "
            f"{row['lx_similarity']:.3f} ~ {row['lx_item_id']}): {row['content'][:80]!r}"
        )

    if args.judge:
        band = signals.filter(pl.Series(held)).with_columns(pl.Series("positive", positive[held]))
        band = band.filter(pl.col("similarity").is_between(default_emb - 0.15, default_emb + 0.05))
        picked = pl.concat(
            [
                band.filter(pl.col("positive")).head(args.judge // 2),
                band.filter(~pl.col("positive")).head(args.judge - args.judge // 2),
            ]
        )
        judge_config = DecontaminationConfig(
            embedding=EmbeddingDetector(threshold=0.99),
            judge=JudgeConfig(candidate_threshold=0.01),
            rule="judge",
        )
        rows = frame.join(picked.select("row_id"), on="row_id")
        started = time.perf_counter()
        judge_steps = decontamination_steps(
            StageSetup(decontamination=judge_config, ctx=ctx, benchmarks=humaneval)
        )
        judged = contamination_signals(rows, judge_steps)
        judged = judged.join(picked.select("row_id", "positive"), on="row_id")
        correct = (judged["judge"].fill_null(False) == judged["positive"]).mean()
        print(
            f"judge (SmolLM2-135M) on {judged.height} grey-band held-out pairs: "
            f"accuracy {correct:.2f}, verdicts "
            f"{dict(judged['judge_verdict'].value_counts().iter_rows())}, "
            f"{time.perf_counter() - started:.0f} s"
        )

    for name in ("combined", "demo_rule", "combined_retuned", "ngram", "embedding", "lexical"):
        recall, fpr = rated[name]
        print(f"RESULT decontam_{name}_recall {recall:.3f} target 0.95 higher")
        print(f"RESULT decontam_{name}_fpr {fpr:.3f} target 0.05 lower")


if __name__ == "__main__":
    main()
