"""Word n-grams as 64-bit numbers: grouped and counted as the joined strings would be, without
building the strings (the repetition rules of `heuristics.py` and `gopher.py`)."""

from __future__ import annotations

import operator
from functools import reduce

import polars as pl

# An n-gram's number: its words' hashes (this seed) weighted by powers of this base, wrapping.
_SEED = 20_261_207
_BASE = 1_000_003


def word_hashes(words: pl.Expr) -> pl.Expr:
    """Each word's hash, the input of `ngram_numbers`."""
    return words.hash(_SEED)


def ngram_numbers(hashes: pl.Expr, n: int) -> pl.Expr:
    """The number of the `n`-gram starting at each word (of `word_hashes`); null where fewer
    than `n` words follow in the column or list."""
    return reduce(
        operator.add,
        [hashes.shift(-k) * pl.lit(pow(_BASE, k, 1 << 64), dtype=pl.UInt64) for k in range(n)],
    )
