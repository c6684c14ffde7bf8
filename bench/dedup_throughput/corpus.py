"""Deterministic synthetic instruction-like texts with planted near duplicates."""

from __future__ import annotations

import numpy as np
import polars as pl

_TEMPLATES = [
    "Explain how",
    "Write a short note on",
    "Summarize the following about",
    "Give three examples of",
    "Describe step by step how",
    "Compare and contrast",
    "What is the best way to handle",
    "List the main causes of",
    "Draft an email about",
    "Answer the question about",
]
_SYLLABLES = [
    "ka", "lo", "mi", "ren", "sa", "tor", "vi", "del", "an", "ber", "cu", "dra", "el",
    "fo", "gan", "hi", "is", "jo", "ku", "lem", "mar", "ne", "os", "pri", "qua", "ro",
]  # fmt: skip


def vocabulary(size: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    syl = np.array(_SYLLABLES)
    parts = rng.integers(0, len(syl), size=(size * 2, 3))
    words = np.unique(
        np.char.add(np.char.add(syl[parts[:, 0]], syl[parts[:, 1]]), syl[parts[:, 2]])
    )
    return rng.permutation(words)[:size]


def synthetic_corpus(
    n: int, seed: int = 0, dup_fraction: float = 0.1, edit_rate: float = 0.03
) -> pl.Series:
    """`n` texts, shuffled: a task phrase and 30-90 Zipf-distributed words (20k-word vocabulary);
    `dup_fraction` of them copy an earlier text with about `edit_rate` of its words replaced."""
    rng = np.random.default_rng(seed)
    vocab = vocabulary(20_000, seed)
    weights = 1.0 / np.arange(1, vocab.size + 1) ** 1.05
    n_dup = int(n * dup_fraction)
    n_base = n - n_dup
    lengths = rng.integers(30, 90, size=n_base)
    base_words = rng.choice(vocab.size, size=int(lengths.sum()), p=weights / weights.sum())
    offsets = np.concatenate(([0], np.cumsum(lengths)))
    src = rng.integers(0, n_base, size=n_dup)
    dup_lengths = lengths[src]
    starts = np.repeat(offsets[src], dup_lengths)
    within = np.arange(dup_lengths.sum()) - np.repeat(
        np.cumsum(dup_lengths) - dup_lengths, dup_lengths
    )
    dup_words = base_words[starts + within]
    edits = rng.random(dup_words.size) < edit_rate
    dup_words[edits] = rng.integers(0, vocab.size, size=int(edits.sum()))
    all_lengths = np.concatenate((lengths, dup_lengths))
    doc = np.repeat(np.arange(n), all_lengths)
    words = pl.DataFrame({"doc": doc, "w": vocab[np.concatenate((base_words, dup_words))]})
    bodies = words.group_by("doc", maintain_order=True).agg(pl.col("w").str.join(" "))["w"]
    template = np.array(_TEMPLATES)[rng.integers(0, len(_TEMPLATES), size=n_base)]
    prefix = np.concatenate((template, template[src]))
    texts = pl.Series(prefix) + " " + bodies
    return texts.gather(rng.permutation(n))
