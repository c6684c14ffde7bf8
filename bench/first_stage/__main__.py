"""bench/first_stage: how many docstring-prose rows the cascade's first stage nominates at the
threshold that keeps every hand-written rephrasing, against alternative first stages at equal
recall.

    python bench/first_stage [--prose-rows 5000]

Each first stage scores a row's problem part against the HumanEval items (document
frequencies from the items alone, so a row's score is its own). Its threshold is the lowest
score of a tuning-half rephrasing (tests/data/humaneval_rephrased*.jsonl, 155 rows, split by
bench/decontamination's hash), so it keeps every tuning rephrasing; the held-out half's recall
at that threshold and the share of bench/scale's docstring-prose rows nominated are reported.
Stages: the default (character 3-5-gram TF-IDF, `cascade.py`, also at its recipe threshold),
character 4-6-grams, and word 1-2-gram TF-IDF. An alternative is adopted only if it nominates
fewer prose rows at a held-out recall no lower than the default's.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prose-rows", type=int, default=5_000)
    args = parser.parse_args()

    in_tuning_half = _bench("decontamination").in_tuning_half
    rephrased = [
        json.loads(line)["instruction"]
        for name in ("humaneval_rephrased.jsonl", "humaneval_rephrased_human.jsonl")
        for line in (DATA / name).read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    tuning = np.array([in_tuning_half(t) for t in rephrased])
    with tempfile.TemporaryDirectory() as folder:
        seeds = Path(folder) / "seeds.jsonl"
        _bench("scale").make_seeds(args.prose_rows, seeds)
        prose = problem_parts(pl.read_ndjson(seeds))
    positives = problem_parts(pl.DataFrame({"instruction": rephrased}))
    items = humaneval_items()["text"]
    default = CandidateFilter()
    stages = {
        f"char {default.min_chars}-{default.max_chars}-grams (default)": char_tfidf(
            default.min_chars, default.max_chars
        ),
        "char 4-6-grams": char_tfidf(4, 6),
        "word 1-2-grams": word_tfidf,
    }
    print(
        f"{len(rephrased)} hand-written rephrasings ({int(tuning.sum())} tuning, "
        f"{int((~tuning).sum())} held-out), {prose.len()} docstring-prose rows"
    )
    print(f"{'first stage':34} {'threshold':>9} {'held-out recall':>16} {'prose nominated':>16}")
    results = {}
    for name, score in stages.items():
        on_positives, on_prose = score(positives, items), score(prose, items)
        thresholds = [("equal recall", float(on_positives[tuning].min()))]
        if "default" in name:
            thresholds.append(("recipe", default.threshold))
        for how, threshold in thresholds:
            recall = float((on_positives[~tuning] >= threshold).mean())
            share = float((on_prose >= threshold).mean())
            results[name, how] = (recall, share)
            print(f"{name + ' ' + how:34.34} {threshold:>9.4f} {recall:>16.3f} {share:>16.3f}")
    base_name = next(iter(stages))
    base_recall, base_share = results[base_name, "equal recall"]
    print(
        f"RESULT first_stage_prose_share_default {results[base_name, 'recipe'][1]:.3f} "
        "target - lower"
    )
    for name in list(stages)[1:]:
        recall, share = results[name, "equal recall"]
        wins = recall >= base_recall and share < base_share
        print(f"{name}: {'wins' if wins else 'does not win'} on the held-out half")
        slug = name.split(" (")[0].replace(" ", "_").replace("-", "_")
        print(f"RESULT first_stage_prose_share_{slug} {share:.3f} target {base_share:.3f} lower")


if __name__ == "__main__":
    main()
