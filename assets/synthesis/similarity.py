"""ROUGE-L between short texts, on lowercase word tokens (rapidfuzz's LCS is C, not Python)."""

from __future__ import annotations

import re
from array import array
from collections import Counter
from dataclasses import dataclass

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import Indel, LCSseq

_WORD = re.compile(r"\w+")
# A pool with a threshold re-orders its index by token frequency whenever it grows this much
# (how often changes only speed: any order of tokens gives the same answers).
_MIN_REBUILD = 64
_REINDEX_GROWTH = 4
# How far below `above` a bound may fall and still be ranked (for rounding; see `_may_reach`).
_MARGIN = 1e-9


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
    rarest first finds every such member. The members it finds (a few hundred in a pool of
    50k short texts) are then cut by a bound that costs no LCS (`_may_reach`), in one numpy
    pass, before rapidfuzz ranks the few left (before, ranking all of them cost most of a
    self-instruct run's time against a fast server). The answer is the full scan's whenever
    that scores above `above`.
    """

    def __init__(self, texts: list[str] = (), above: float | None = None):
        self.above = above
        self.texts: list[str] = []
        self._codes: list[str] = []
        self._vocabulary: dict[str, str] = {}
        self._keys: list[list[str]] = []
        # Token occurrence -> the members whose prefix holds it, in pool order.
        self._index: dict[str, array[int]] = {}
        # The global order of tokens for the prefix filter, rarest first: counts fixed at the
        # last re-indexing; a token first seen later ranks below all of them, in order of
        # first sight (ranks never change between re-indexings, so queries and members agree).
        self._rank: dict[str, int] = {}
        self._indexed_at = 0
        # Per member (rows past len(texts) are room to grow): the hash buckets of its tokens
        # as bits, and (above - margin) · its length in tokens, for `_may_reach`.
        self._signatures = np.zeros(0, dtype=np.uint64)
        self._weighted_lengths = np.zeros(0, dtype=np.float64)
        # The last text `closest` encoded, which `add` is usually given next.
        self._last: _Encoded | None = None
        for text in texts:
            self.add(text)

    def add(self, text: str) -> None:
        encoded = self._encode(text)
        self.texts.append(text)
        self._codes.append(encoded.codes)
        if self.above is None:
            return
        self._keys.append(encoded.keys)
        member = len(self.texts) - 1
        if member == len(self._signatures):
            room = max(_MIN_REBUILD, 2 * member)
            self._signatures = np.resize(self._signatures, room)
            self._weighted_lengths = np.resize(self._weighted_lengths, room)
        self._signatures[member] = encoded.layers[0] if encoded.layers else 0
        self._weighted_lengths[member] = (self.above - _MARGIN) * len(encoded.codes)
        if len(self.texts) >= max(_MIN_REBUILD, _REINDEX_GROWTH * self._indexed_at):
            self._rebuild()
        else:
            self._insert(member, self._prefix_of(encoded))

    def closest(self, text: str) -> tuple[str | None, float]:
        """(the most similar pool text, its ROUGE-L F1); (None, 0.0) for an empty pool, or
        with `above` when no member scores above it."""
        encoded = self._encode(text)
        codes = encoded.codes
        if not codes or not self._codes:
            return None, 0.0
        if self.above is None:
            members: list[int] | range = range(len(self._codes))
            choices = self._codes
        else:
            index = self._index
            found: array[int] = array("q")
            for key in self._prefix_of(encoded):
                posting = index.get(key)
                if posting is not None:
                    found += posting
            if not found:
                return None, 0.0
            members = self._may_reach(found, encoded)
            if not members:
                return None, 0.0
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

    def _may_reach(self, found: array[int], encoded: _Encoded) -> list[int]:
        """The members in `found` (repeats allowed) that may score `above`, in pool order,
        each once: the tokens two texts share are at most, over the query's tokens, those
        whose hash bucket the member has too (`layers[j]` holds the buckets the query has more
        than j tokens in), and F1 ≤ 2·shared / (n + m). Rapidfuzz keeps scores equal to its
        score_cutoff, so the test keeps those too, with a margin for rounding."""
        assert self.above is not None
        members = np.frombuffer(found, dtype=np.int64)
        signatures = self._signatures[members]
        shared = np.bitwise_count(signatures & encoded.layers[0]).astype(np.float64)
        for layer in encoded.layers[1:]:
            shared += np.bitwise_count(signatures & layer)
        needed = self._weighted_lengths[members] + (self.above - _MARGIN) * len(encoded.codes)
        return sorted(set(members[2.0 * shared >= needed].tolist()))

    def _encode(self, text: str) -> _Encoded:
        """The text's words as characters, and (with `above`) its token occurrences and their
        bucket layers."""
        last = self._last
        if last is not None and last.text is text:
            return last
        vocabulary = self._vocabulary
        chars = []
        for word in words(text):
            char = vocabulary.get(word)
            if char is None:
                char = vocabulary[word] = _code_point(len(vocabulary))
            chars.append(char)
        codes = "".join(chars)
        keys = _occurrences(codes) if self.above is not None else []
        self._last = _Encoded(text, codes, keys, _layers(keys))
        return self._last

    def _prefix_of(self, encoded: _Encoded) -> list[str]:
        """`_prefix` of an encoded text, kept with it until the pool is re-indexed (ranks only
        change then), so `add` after `closest` does not sort the same tokens again."""
        if encoded.prefix is None or encoded.indexed_at != self._indexed_at:
            encoded.prefix = self._prefix(encoded.keys)
            encoded.indexed_at = self._indexed_at
        return encoded.prefix

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

    def _insert(self, member: int, prefix: list[str]) -> None:
        index = self._index
        for key in prefix:
            posting = index.get(key)
            if posting is None:
                index[key] = array("q", (member,))
            else:
                posting.append(member)

    def _rebuild(self) -> None:
        counts = Counter(key for keys in self._keys for key in keys)
        self._rank = {
            key: rank for rank, key in enumerate(sorted(counts, key=lambda k: (counts[k], k)))
        }
        self._index = {}
        self._indexed_at = len(self._codes)
        for member, keys in enumerate(self._keys):
            self._insert(member, self._prefix(keys))


@dataclass(slots=True)
class _Encoded:
    """A text as a pool sees it: `codes` (a character per word), `keys` (token occurrences),
    `layers` (`_layers` of the keys), and its prefix once asked for, with the re-indexing it
    was computed at."""

    text: str
    codes: str
    keys: list[str]
    layers: list[np.uint64]
    prefix: list[str] | None = None
    indexed_at: int = -1


def _layers(keys: list[str]) -> list[np.uint64]:
    """The hash buckets (of 64) of the token occurrences `keys` as bit sets: layer j holds the
    buckets more than j of them fall in."""
    layers: list[int] = []
    for key in keys:
        # A word's code point and its occurrence number pick the bucket.
        bit = 1 << ((ord(key[0]) + 37 * len(key)) & 63)
        for depth, layer in enumerate(layers):
            if not layer & bit:
                layers[depth] = layer | bit
                break
        else:
            layers.append(bit)
    return [np.uint64(layer) for layer in layers]


def _code_point(number: int) -> str:
    """The character standing for the `number`th distinct word of a pool."""
    if number >= _CODE_POINTS:
        raise ValueError(f"more than {_CODE_POINTS} distinct words in one ROUGE-L pool")
    return chr(number + len(_SURROGATES) if number >= _SURROGATES.start else number)
