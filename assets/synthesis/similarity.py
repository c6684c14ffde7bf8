"""ROUGE-L between short texts, on lowercase word tokens (rapidfuzz's LCS is C, not Python)."""

from __future__ import annotations

import re

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import LCSseq

_WORD = re.compile(r"\w+")


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def rouge_l(candidate: str, reference: str) -> float:
    """ROUGE-L F1 (beta = 1): 2·LCS / (|candidate| + |reference|) over word tokens."""
    a, b = words(candidate), words(reference)
    if not a or not b:
        return 0.0
    return 2.0 * LCSseq.similarity(a, b) / (len(a) + len(b))


class RougePool:
    """A growing set of texts; `closest` finds the most ROUGE-L-similar member of the pool."""

    def __init__(self, texts: list[str] = ()):
        self.texts: list[str] = []
        self._tokens: list[list[str]] = []
        self._lengths: list[int] = []
        for text in texts:
            self.add(text)

    def add(self, text: str) -> None:
        tokens = words(text)
        self.texts.append(text)
        self._tokens.append(tokens)
        self._lengths.append(len(tokens))

    def closest(self, text: str) -> tuple[str | None, float]:
        """(the most similar pool text, its ROUGE-L F1); (None, 0.0) for an empty pool."""
        tokens = words(text)
        if not tokens or not self._tokens:
            return None, 0.0
        lcs = process.cdist([tokens], self._tokens, scorer=LCSseq.similarity, workers=1)[0]
        scores = 2.0 * lcs / (len(tokens) + np.asarray(self._lengths, dtype=np.float64))
        best = int(np.argmax(scores))
        return self.texts[best], float(scores[best])
