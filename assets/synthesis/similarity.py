"""ROUGE-L between short texts, on lowercase word tokens (rapidfuzz's LCS is C, not Python)."""

from __future__ import annotations

import re
from collections import Counter

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import Indel, LCSseq

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


# Code points a word may be written as: past the surrogates a code point cannot stand alone.
_SURROGATES = range(0xD800, 0xE000)
_CODE_POINTS = 0x110000 - len(_SURROGATES)


def _occurrences(codes: str) -> list[str]:
    """Each token with its occurrence number (the nth occurrence of a token written n
    times), so the multiset intersection of two token lists (an upper bound of their LCS) is
    the intersection of these sets."""
    seen: dict[str, int] = {}
    out = []
    for code in codes:
        count = seen.get(code, 0) + 1
        seen[code] = count
        out.append(code * count)
    return out


class RougePool:
    """A growing set of texts; `closest` finds the most ROUGE-L-similar member of the pool.

    Each member's words are kept as a string with one character per distinct word of the pool
    (LCS over those strings is LCS over the words, and rapidfuzz compares strings about three
    times faster than lists of words). With `above` (a ROUGE-L F1), `closest` only looks for
    members scoring above it and says (None, 0.0) when there is none, which lets the pool skip
    most members: F1 > t needs more than t·|x|/(2 - t) tokens of x shared (LCS ≤ shared tokens
    ≤ the partner's length), so a prefix filter (Chaudhuri et al., 2006) over tokens ordered
    rarest first finds every such member. The answer is the full scan's whenever that scores
    above `above`.
    """

    def __init__(self, texts: list[str] = (), above: float | None = None):
        self.above = above
        self.texts: list[str] = []
        self._codes: list[str] = []
        self._vocabulary: dict[str, str] = {}
        self._keys: list[list[str]] = []
        self._index: dict[str, list[int]] = {}
        # The global order of tokens for the prefix filter, rarest first: counts fixed at the
        # last re-indexing; a token first seen later ranks below all of them, in order of
        # first sight (ranks never change between re-indexings, so queries and members agree).
        self._rank: dict[str, int] = {}
        self._indexed_at = 0
        # The last text `closest` encoded, which `add` is usually given next.
        self._last: tuple[str, str, list[str]] | None = None
        for text in texts:
            self.add(text)

    def add(self, text: str) -> None:
        codes, keys = self._encode(text)
        self.texts.append(text)
        self._codes.append(codes)
        if self.above is None:
            return
        self._keys.append(keys)
        if len(self.texts) >= max(_MIN_REBUILD, 2 * self._indexed_at):
            self._rebuild()
        else:
            self._insert(len(self.texts) - 1)

    def closest(self, text: str) -> tuple[str | None, float]:
        """(the most similar pool text, its ROUGE-L F1); (None, 0.0) for an empty pool, or
        with `above` when no member scores above it."""
        codes, keys = self._encode(text)
        if not codes or not self._codes:
            return None, 0.0
        if self.above is None:
            members: list[int] | range = range(len(self._codes))
            choices = self._codes
        else:
            index = self._index
            found = set()
            for key in self._prefix(keys):
                found.update(index.get(key, ()))
            if not found:
                return None, 0.0
            members = sorted(found)
            choices = [self._codes[m] for m in members]
            # Ranked by Indel's normalized similarity, which is ROUGE-L F1 computed in another
            # order (1 - (n + m - 2 LCS) / (n + m)); the best one's F1 is then computed as the
            # full scan computes it, so scores and the threshold test are the same to the bit.
            best = process.extractOne(
                codes, choices, scorer=Indel.normalized_similarity, score_cutoff=self.above
            )
            if best is None:
                return None, 0.0
            chosen = choices[best[2]]
            score = 2.0 * LCSseq.similarity(codes, chosen) / (len(codes) + len(chosen))
            if not score > self.above:
                return None, 0.0
            return self.texts[members[best[2]]], score
        lcs = process.cdist([codes], choices, scorer=LCSseq.similarity, workers=1)[0]
        lengths = np.fromiter(map(len, choices), dtype=np.float64, count=len(choices))
        scores = 2.0 * lcs / (len(codes) + lengths)
        best = int(np.argmax(scores))
        if self.above is not None and not scores[best] > self.above:
            return None, 0.0
        return self.texts[members[best]], float(scores[best])

    def _encode(self, text: str) -> tuple[str, list[str]]:
        """The text's words as characters, and (with `above`) its token occurrences."""
        last = self._last
        if last is not None and last[0] is text:
            return last[1], last[2]
        vocabulary = self._vocabulary
        chars = []
        for word in words(text):
            char = vocabulary.get(word)
            if char is None:
                char = vocabulary[word] = _code_point(len(vocabulary))
            chars.append(char)
        codes = "".join(chars)
        keys = _occurrences(codes) if self.above is not None else []
        self._last = (text, codes, keys)
        return codes, keys

    def _prefix(self, keys: list[str]) -> list[str]:
        """The rarest |x| - o + 1 token occurrences, o the fewest shared for F1 > `above`."""
        assert self.above is not None
        rank = self._rank
        for key in keys:
            if key not in rank:
                rank[key] = -len(rank) - 1
        keys = sorted(keys, key=rank.__getitem__)
        # The epsilon keeps rounding from asking one shared token too many.
        shared = int(self.above * len(keys) / (2.0 - self.above) - 1e-9) + 1
        return keys[: max(0, len(keys) - shared + 1)]

    def _insert(self, member: int) -> None:
        index = self._index
        for key in self._prefix(self._keys[member]):
            members = index.get(key)
            if members is None:
                index[key] = [member]
            else:
                members.append(member)

    def _rebuild(self) -> None:
        counts = Counter(key for keys in self._keys for key in keys)
        self._rank = {
            key: rank for rank, key in enumerate(sorted(counts, key=lambda k: (counts[k], k)))
        }
        self._index = {}
        self._indexed_at = len(self._codes)
        for member in range(len(self._codes)):
            self._insert(member)


def _code_point(number: int) -> str:
    """The character standing for the `number`th distinct word of a pool."""
    if number >= _CODE_POINTS:
        raise ValueError(f"more than {_CODE_POINTS} distinct words in one ROUGE-L pool")
    return chr(number + len(_SURROGATES) if number >= _SURROGATES.start else number)
