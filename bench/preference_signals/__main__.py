"""bench/preference_signals: how often a preference signal prefers the sound response of a
hand-written (instruction, sound response, flawed response) triple, the flaw a broken
verifiable constraint (tests/data/preference_triples.jsonl, one line a triple).

`checks` (assets/synthesis/preference_checks.py) sees each pair in both orders; a pair counts
as right only when the sound response is chosen in both (a tie or a wrong choice in either
order counts as wrong), so the figure cannot profit from a position.

    python bench/preference_signals [--triples tests/data/preference_triples.jsonl]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from assets.synthesis.constraints import Constraint  # noqa: E402
from assets.synthesis.preference_checks import rank_by_checks  # noqa: E402

TARGET = 0.95


def checks_accuracy(triples: list[dict]) -> tuple[float, list[dict]]:
    """The share of triples whose sound response `checks` prefers in both orders, and the
    triples it got wrong (with each order's passed counts)."""
    wrong = []
    for triple in triples:
        constraints = [Constraint(**c) for c in triple["constraints"]]
        forward = rank_by_checks([triple["sound"], triple["flawed"]], constraints)
        backward = rank_by_checks([triple["flawed"], triple["sound"]], constraints)
        if not (forward.chosen == 0 and backward.chosen == 1):
            wrong.append({**triple, "passed_sound_flawed": forward.passed})
    return 1 - len(wrong) / len(triples), wrong


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--triples", type=Path, default=REPO / "tests" / "data" / "preference_triples.jsonl"
    )
    args = parser.parse_args()
    triples = [json.loads(line) for line in args.triples.read_text(encoding="utf-8").splitlines()]
    accuracy, wrong = checks_accuracy(triples)
    kinds = sorted({c["kind"] for t in triples for c in t["constraints"]})
    print(f"triples {len(triples)}, constraint kinds {len(kinds)}, wrong {len(wrong)}")
    for triple in wrong:
        print(
            f"  wrong: {triple['instruction']!r} passed(sound, flawed)={triple['passed_sound_flawed']}"
        )
    print(f"RESULT checks_pair_accuracy {accuracy:.3f} target {TARGET} higher")


if __name__ == "__main__":
    main()
