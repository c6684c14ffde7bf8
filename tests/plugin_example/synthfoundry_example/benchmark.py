"""A benchmark of three quiz questions; rows that copy one are removed by decontamination."""

from __future__ import annotations

from pathlib import Path

import polars as pl

QUIZ = [
    "Name the longest river that flows through both Egypt and Sudan and explain which two "
    "tributaries meet at Khartoum to form it before it reaches the Mediterranean Sea.",
    "Which element has the chemical symbol W, what is its melting point in degrees Celsius, "
    "and why was it historically used for the filaments of incandescent light bulbs?",
    "Describe how a bloom filter answers set membership queries, why it can report false "
    "positives but never false negatives, and how the number of hash functions is chosen.",
]


def quiz_items(home: Path | None = None) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "benchmark": ["example_quiz"] * len(QUIZ),
            "item_id": [f"quiz/{i}" for i in range(len(QUIZ))],
            "text": QUIZ,
        }
    )
