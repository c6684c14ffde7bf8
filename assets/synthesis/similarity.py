"""ROUGE-L between short texts, on lowercase word tokens (rapidfuzz's LCS is C, not Python)."""

from __future__ import annotations

import re
from collections import Counter

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import LCSseq

_WORD = re.compile(r"\w+")
# A pool with a threshold re-orders its index by token frequency whenever it doubles.
_MIN_REBUILD = 64


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def rouge_l(candidate: str, reference: str) -> float:
    """ROUGE-L F1 (beta = 1): 2·LCS / (|candidate| + |reference|) over word tokens."""
    a, b = words(candidate), words(reference)
    if not a or not b:
        return 0.0
    return 2.0 * LCSseq.similarity(a, b) / (len(a) + len(b))


def _occurrences(tokens: list[str]) -> list[tuple[str, int]]:
    """Each token with its occurrence number, so the multiset intersection of two token lists
    (an upper bound of their LCS) is the intersection of these sets."""
    seen: dict[str, int] = {}
    out = []
    for token in tokens:
        count = seen.get(token, 0)
        out.append((token, count))
        seen[token] = count + 1
    return out


class RougePool:
    """A growing set of texts; `closest` finds the most ROUGE-L-similar member of the pool.

    With `above` (a ROUGE-L F1), `closest` only looks for members scoring above it and says
    (None, 0.0) when there is none, which lets the pool skip most members: F1 > t needs more
    than t·|x|/(2 - t) tokens of x shared (LCS ≤ shared tokens ≤ the partner's length), so a
    prefix filter (Chaudhuri et al., 2006) over tokens ordered rarest first finds every such
    member. The answer is the full scan's whenever that scores above `above`.
    """

    def __init__(self, texts: list[str] = (), above: float | None = None):
        self.above = above
        self.texts: list[str] = []
        self._tokens: list[list[str]] = []
        self._lengths: list[int] = []
        self._keys: list[list[tuple[str, int]]] = []
        self._index: dict[tuple[str, int], list[int]] = {}
        self._frequency: dict[tuple[str, int], int] = {}
        self._indexed_at = 0
        for text in texts:
            self.add(text)

    def add(self, text: str) -> None:
        tokens = words(text)
        self.texts.append(text)
        self._tokens.append(tokens)
        self._lengths.append(len(tokens))
        if self.above is None:
            return
        self._keys.append(_occurrences(tokens))
        if len(self.texts) >= max(_MIN_REBUILD, 2 * self._indexed_at):
            self._rebuild()
        else:
            self._insert(len(self.texts) - 1)

    def closest(self, text: str) -> tuple[str | None, float]:
        """(the most similar pool text, its ROUGE-L F1); (None, 0.0) for an empty pool, or
        with `above` when no member scores above it."""
        tokens = words(text)
        if not tokens or not self._tokens:
            return None, 0.0
        if self.above is None:
            members = range(len(self._tokens))
        else:
            index = self._index
            prefix = self._prefix(_occurrences(tokens))
            members = sorted({m for key in prefix for m in index.get(key, ())})
            if not members:
                return None, 0.0
        lcs = process.cdist(
            [tokens], [self._tokens[m] for m in members], scorer=LCSseq.similarity, workers=1
        )[0]
        lengths = np.asarray([self._lengths[m] for m in members], dtype=np.float64)
        scores = 2.0 * lcs / (len(tokens) + lengths)
        best = int(np.argmax(scores))
        if self.above is not None and not scores[best] > self.above:
            return None, 0.0
        return self.texts[members[best]], float(scores[best])

    def _prefix(self, keys: list[tuple[str, int]]) -> list[tuple[str, int]]:
        """The rarest |x| - o + 1 token occurrences, o the fewest shared for F1 > `above`."""
        assert self.above is not None
        frequency = self._frequency.get
        keys = sorted(keys, key=lambda key: (frequency(key, 0), key))
        # The epsilon keeps rounding from asking one shared token too many.
        shared = int(self.above * len(keys) / (2.0 - self.above) - 1e-9) + 1
        return keys[: max(0, len(keys) - shared + 1)]

    def _insert(self, member: int) -> None:
        for key in self._prefix(self._keys[member]):
            self._index.setdefault(key, []).append(member)

    def _rebuild(self) -> None:
        # Frequencies fixed between rebuilds: a token first seen later counts as rarest.
        self._frequency = dict(Counter(key for keys in self._keys for key in keys))
        self._index = {}
        self._indexed_at = len(self._tokens)
        for member in range(len(self._tokens)):
            self._insert(member)
