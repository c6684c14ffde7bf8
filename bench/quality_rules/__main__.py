"""bench/quality_rules: the vectorized Gopher quality and repetition rules vs. a per-document
Python reference (the loop form of the same rules, as datatrove writes them), same documents.

Both must drop the same documents (checked every round); rounds alternate the two, medians and
their ratio (reference time / ours) are reported.

    python bench/quality_rules [--documents 5000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from assets.filters.gopher import (  # noqa: E402  # noqa: E402
    GopherQuality,
    GopherQualityRules,
    GopherRepetition,
    GopherRepetitionRules,
)
from assets.filters.rule_sets import DocumentRuleScope  # noqa: E402
from warehouse.rows import conform, with_row_ids  # noqa: E402

VOCAB = [
    "the",
    "river",
    "runs",
    "through",
    "old",
    "town",
    "and",
    "past",
    "mill",
    "that",
    "was",
    "built",
    "with",
    "stone",
    "from",
    "hills",
    "farmers",
    "bring",
    "their",
    "grain",
    "to",
    "in",
    "autumn",
    "miller",
    "keeps",
    "careful",
    "record",
    "of",
    "every",
    "sack",
    "he",
    "grinds",
    "spring",
    "water",
    "rises",
    "people",
    "have",
    "learned",
    "move",
    "boats",
    "higher",
    "ground",
    "before",
    "floods",
    "children",
    "play",
    "on",
    "bridge",
    "summer",
    "watch",
    "fish",
    "gather",
    "shade",
]


def documents(n: int, seed: int = 0) -> pl.DataFrame:
    """Prose-like documents; a third repeat lines or phrases, some are short or symbol-heavy."""
    rng = random.Random(seed)
    texts = []
    for i in range(n):
        lines = [
            " ".join(rng.choice(VOCAB) for _ in range(rng.randint(6, 16))).capitalize() + "."
            for _ in range(rng.randint(2, 12))
        ]
        if i % 3 == 0:
            lines += lines[: rng.randint(1, len(lines))]
        if i % 7 == 0:
            lines = lines[:1]
        if i % 11 == 0:
            lines.append("#tag " * rng.randint(2, 30))
        texts.append("\n".join(lines))
    return with_row_ids(conform(pl.DataFrame({"kind": ["document"] * n, "text": texts})))


def _dup_fraction(pieces: list[str], total_chars: int) -> tuple[float, float]:
    seen: set[str] = set()
    dup_count = dup_chars = 0
    for piece in pieces:
        if piece in seen:
            dup_count += 1
            dup_chars += len(piece)
        seen.add(piece)
    return dup_count / max(len(pieces), 1), dup_chars / max(total_chars, 1)


def reference_drops(text: str, q: GopherQualityRules, r: GopherRepetitionRules) -> bool:
    words = text.split()
    n = len(words)
    lines = [line for line in text.split("\n") if line.strip()]
    if n < q.min_words or n > q.max_words:
        return True
    mean = sum(len(w) for w in words) / max(n, 1)
    if mean < q.min_mean_word_length or mean > q.max_mean_word_length:
        return True
    symbols = text.count("#") + text.count("...") + text.count("…")
    if symbols / max(n, 1) > q.max_symbol_word_ratio:
        return True
    if sum(bool(re.match(r"^\s*[•‣⁃◦●○■□▪▫*\-–—]", x)) for x in lines) / max(len(lines), 1) > (
        q.max_bullet_lines
    ):
        return True
    if sum(bool(re.search(r"(?:\.\.\.|…)\s*$", x)) for x in lines) / max(len(lines), 1) > (
        q.max_ellipsis_lines
    ):
        return True
    if sum(bool(re.search(r"[^\W\d_]", w)) for w in words) / max(n, 1) < q.min_alpha_words:
        return True
    stops = sum(w.lower().strip(".,;:!?\"'()[]") in q.stop_words for w in words)
    if stops < q.min_stop_words:
        return True
    paragraphs = [p.strip() for p in re.split(r"\n[ \t]*\n\s*", text) if p.strip()]
    line_frac, line_chars = _dup_fraction(lines, len(text))
    par_frac, par_chars = _dup_fraction(paragraphs, len(text))
    if (
        line_frac > r.max_duplicate_line_fraction
        or par_frac > r.max_duplicate_paragraph_fraction
        or line_chars > r.max_duplicate_line_char_fraction
        or par_chars > r.max_duplicate_paragraph_char_fraction
    ):
        return True
    lowered = text.lower().split()
    total = sum(len(w) for w in lowered) or 1
    for size, limit in r.max_top_ngram_char_fraction.items():
        grams = [tuple(lowered[i : i + size]) for i in range(len(lowered) - size + 1)]
        if grams:
            counts = Counter(grams)
            best = max(counts.items(), key=lambda kv: (kv[1], sum(len(w) for w in kv[0])))
            if best[1] * sum(len(w) for w in best[0]) / total > limit:
                return True
    for size, limit in r.max_duplicate_ngram_char_fraction.items():
        grams = [tuple(lowered[i : i + size]) for i in range(len(lowered) - size + 1)]
        counts = Counter(grams)
        covered = [False] * len(lowered)
        for i, gram in enumerate(grams):
            if counts[gram] > 1:
                for j in range(i, i + size):
                    covered[j] = True
        if sum(len(w) for w, c in zip(lowered, covered, strict=True) if c) / total > limit:
            return True
    return False


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--documents", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    rows = documents(args.documents)
    q, r, scope = GopherQualityRules(), GopherRepetitionRules(), DocumentRuleScope()
    ours_times, ref_times = [], []
    for _ in range(args.rounds):
        start = time.perf_counter()
        flagged = pl.concat(
            [GopherQuality(q, scope).flag(rows), GopherRepetition(r, scope).flag(rows)]
        )
        ours = set(flagged["row_id"])
        ours_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        reference = {
            row_id
            for row_id, text in rows.select("row_id", "text").iter_rows()
            if reference_drops(text, q, r)
        }
        ref_times.append(time.perf_counter() - start)
        if ours != reference:
            raise SystemExit(
                f"decisions differ: {len(ours - reference)} only ours, "
                f"{len(reference - ours)} only reference"
            )
    ours_median, ref_median = statistics.median(ours_times), statistics.median(ref_times)
    print(f"documents {rows.height}, dropped {len(ours)} (identical drop sets in every round)")
    print(
        f"vectorized Polars  median {ours_median:.3f} s  ({rows.height / ours_median:,.0f} docs/s)"
    )
    print(f"python reference   median {ref_median:.3f} s  ({rows.height / ref_median:,.0f} docs/s)")
    print(f"RESULT gopher_rules_docs_per_s {rows.height / ours_median:.0f} target 5000 higher")
    print(f"RESULT gopher_rules_speedup {ref_median / ours_median:.2f} target 1.0 higher")


if __name__ == "__main__":
    main()
