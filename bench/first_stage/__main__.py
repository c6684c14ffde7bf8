"""bench/first_stage: how many docstring-prose rows the cascade's first stage nominates at the
threshold that keeps every hand-written rephrasing, against alternative first stages at equal
recall.

    python bench/first_stage [--prose-rows 5000]

Each first stage scores a row's problem part against the HumanEval items (document
frequencies from the items alone, so a row's score is its own). The hand-written rephrasings
(tests/data/humaneval_rephrased*.jsonl, 155 rows) are split by bench/decontamination's hash;
recall is reported on the held-out half, and the share nominated of bench/scale's
docstring-prose rows and of the 99 hand-written clean coding instructions
(tests/data/clean_code_instructions.jsonl).
At equal recall, each stage's threshold is the lowest tuning-half score (no margin): character
3-5-grams, character 4-6-grams and word 1-2-gram TF-IDF. The margin study then steps the
character stages' thresholds down from there; the threshold chosen is at least MARGIN below the
lowest tuning score (rounded down to STEP), and a stage wins only if it keeps held-out recall
1.000 there while nominating the fewest prose rows. The default (`cascade.CandidateFilter`) is
reported against the previous one (character 3-5-grams at 0.10), side by side.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from assets.decontamination.benchmarks import humaneval_items  # noqa: E402
from assets.decontamination.cascade import CandidateFilter  # noqa: E402
from assets.decontamination.lexical import char_ngram_nearest  # noqa: E402
from assets.decontamination.views import problem_part, problem_statement  # noqa: E402
from assets.embeddings import nearest  # noqa: E402
from warehouse.rows import conform  # noqa: E402

DATA = ROOT / "tests" / "data"
NEGATIVE_FILE = "clean_code_instructions.jsonl"


def _bench(name: str):
    """Another bench's module, loaded from its file."""
    spec = importlib.util.spec_from_file_location(
        f"bench_{name}", ROOT / f"bench/{name}/__main__.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def problem_parts(frame: pl.DataFrame) -> pl.Series:
    """What the first stage scores of each instruction row (`views.problem_part`)."""
    rows = conform(frame.with_columns(kind=pl.lit("instruction")))
    return rows.select(problem_part().alias("content"))["content"]


def word_tfidf(texts: pl.Series, items: pl.Series) -> np.ndarray:
    """Cosine with the nearest item of word 1-2-gram TF-IDF (IDF from the items)."""
    from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer

    hashing = HashingVectorizer(
        ngram_range=(1, 2), n_features=2**20, alternate_sign=False, norm=None
    )
    counts = hashing.transform([problem_statement(t) or t for t in items.to_list()])
    weights = TfidfTransformer(sublinear_tf=True).fit(counts)
    rows = weights.transform(hashing.transform(texts.fill_null("").to_list()))
    return nearest(rows, weights.transform(counts))[1]


def char_tfidf(low: int, high: int) -> Callable[[pl.Series, pl.Series], np.ndarray]:
    def score(texts: pl.Series, items: pl.Series) -> np.ndarray:
        return char_ngram_nearest(texts, items, low, high)[1]

    return score


# Below the lowest tuning-half score by at least this share, so an unseen rephrasing that scores
# a little under every tuning one is still nominated; thresholds are rounded down to STEP.
MARGIN = 0.10
STEP = 0.005
# The margin study's thresholds, below each stage's lowest tuning score.
STUDY = (0.135, 0.125, 0.12, 0.115, 0.105, 0.10)
# The first stage before this study (char 3-5-grams at 0.10), the baseline side by side.
PREVIOUS = CandidateFilter(min_chars=3, max_chars=5, threshold=0.10)


def read_jsonl(name: str) -> list[str]:
    """The `instruction` of every line of a hand-written set in tests/data."""
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["instruction"] for line in lines if line.strip()]


def with_margin(lowest: float) -> float:
    """The threshold at least MARGIN below the lowest tuning score, on the STEP grid."""
    return math.floor(lowest * (1 - MARGIN) / STEP) * STEP


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prose-rows", type=int, default=5_000)
    args = parser.parse_args()

    in_tuning_half = _bench("decontamination").in_tuning_half
    rephrased = [
        text
        for name in ("humaneval_rephrased.jsonl", "humaneval_rephrased_human.jsonl")
        for text in read_jsonl(name)
    ]
    tuning = np.array([in_tuning_half(t) for t in rephrased])
    with tempfile.TemporaryDirectory() as folder:
        seeds = Path(folder) / "seeds.jsonl"
        _bench("scale").make_seeds(args.prose_rows, seeds)
        prose = problem_parts(pl.read_ndjson(seeds))
    positives = problem_parts(pl.DataFrame({"instruction": rephrased}))
    clean = problem_parts(pl.DataFrame({"instruction": read_jsonl(NEGATIVE_FILE)}))
    items = humaneval_items()["text"]
    default = CandidateFilter()
    stages = {
        "char 3-5-grams": char_tfidf(3, 5),
        "char 4-6-grams": char_tfidf(4, 6),
        "word 1-2-grams": word_tfidf,
    }
    print(
        f"{len(rephrased)} hand-written rephrasings ({int(tuning.sum())} tuning, "
        f"{int((~tuning).sum())} held-out), {clean.len()} hand-written clean coding "
        f"instructions, {prose.len()} docstring-prose rows"
    )
    scores = {
        name: (score(positives, items), score(prose, items), score(clean, items))
        for name, score in stages.items()
    }

    def measured(name: str, threshold: float) -> tuple[float, float, float, float]:
        """Held-out recall, recall on all rephrasings, prose share, clean share."""
        on_positives, on_prose, on_clean = scores[name]
        return (
            float((on_positives[~tuning] >= threshold).mean()),
            float((on_positives >= threshold).mean()),
            float((on_prose >= threshold).mean()),
            float((on_clean >= threshold).mean()),
        )

    print("\nAt equal recall (the threshold is the lowest tuning score, no margin):")
    print(f"{'first stage':24} {'threshold':>9} {'held-out recall':>16} {'prose nominated':>16}")
    equal = {}
    for name in stages:
        threshold = float(scores[name][0][tuning].min())
        equal[name] = measured(name, threshold)
        print(f"{name:24} {threshold:>9.4f} {equal[name][0]:>16.3f} {equal[name][2]:>16.3f}")

    print(
        f"\nMargin study: thresholds below the lowest tuning score (chosen: >= {MARGIN:.0%} below)"
    )
    print(
        f"{'first stage':16} {'threshold':>9} {'margin':>7} {'held-out recall':>16} "
        f"{'all 155':>8} {'prose nominated':>16} {'clean nominated':>16}"
    )
    chosen = {}
    for name in ("char 3-5-grams", "char 4-6-grams"):
        on_positives = scores[name][0]
        lowest = float(on_positives[tuning].min())
        print(
            f"{name}: lowest tuning score {lowest:.4f}, lowest held-out "
            f"{float(on_positives[~tuning].min()):.4f}"
        )
        chosen[name] = with_margin(lowest)
        for threshold in sorted({lowest, chosen[name], *STUDY}, reverse=True):
            if threshold > lowest:
                continue
            recall, overall, share, clean_share = measured(name, threshold)
            mark = "  <- margin" if threshold == chosen[name] else ""
            print(
                f"{name:16} {threshold:>9.4f} {1 - threshold / lowest:>7.1%} {recall:>16.3f} "
                f"{overall:>8.3f} {share:>16.3f} {clean_share:>16.3f}{mark}"
            )

    low, high = PREVIOUS.min_chars, PREVIOUS.max_chars
    previous = measured(f"char {low}-{high}-grams", PREVIOUS.threshold)
    print(
        f"\nprevious default (char {low}-{high}-grams at {PREVIOUS.threshold}): held-out recall "
        f"{previous[0]:.3f}, prose nominated {previous[2]:.3f}"
    )
    # The winner: the fewest prose rows nominated at the margin threshold, held-out recall kept.
    at_margin = {name: measured(name, threshold) for name, threshold in chosen.items()}
    kept = {name: figures for name, figures in at_margin.items() if figures[0] == 1.0}
    winner = min(kept, key=lambda name: kept[name][2], default=None)
    if winner is None or kept[winner][2] >= previous[2]:
        print("with the margin, no stage wins on the held-out half")
    else:
        print(
            f"with the margin, {winner} at {chosen[winner]:.3f} win on the held-out half: "
            f"recall {kept[winner][0]:.3f}, prose nominated {kept[winner][2]:.3f} (against "
            f"{previous[2]:.3f})"
        )
    current = measured(f"char {default.min_chars}-{default.max_chars}-grams", default.threshold)
    lowest = float(scores[f"char {default.min_chars}-{default.max_chars}-grams"][0][tuning].min())
    print(
        f"default (CandidateFilter: char {default.min_chars}-{default.max_chars}-grams at "
        f"{default.threshold}): held-out recall {current[0]:.3f}, prose nominated "
        f"{current[2]:.3f}, {1 - default.threshold / lowest:.1%} below the lowest tuning score"
    )
    print(f"RESULT first_stage_prose_share_default {current[2]:.3f} target {previous[2]:.3f} lower")
    print(f"RESULT first_stage_heldout_recall_default {current[0]:.3f} target 1.000 higher")
    print(
        f"RESULT first_stage_margin_default {1 - default.threshold / lowest:.3f} "
        f"target {MARGIN:.3f} higher"
    )
    for name in list(stages)[1:]:
        slug = name.replace(" ", "_").replace("-", "_")
        print(
            f"RESULT first_stage_prose_share_{slug}_equal_recall {equal[name][2]:.3f} "
            f"target {equal['char 3-5-grams'][2]:.3f} lower"
        )


if __name__ == "__main__":
    main()
