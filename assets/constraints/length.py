"""How long the response is: words, sentences, paragraphs, characters."""

from __future__ import annotations

import random

from assets.constraints.base import ConstraintKind, Count
from assets.constraints.text import paragraphs, sentences, words


def _draw(low: int, high: int, relations: tuple[str, ...]):
    def draw(rng: random.Random) -> Count:
        return Count(relation=rng.choice(relations), count=rng.randint(low, high))

    return draw


WORD_COUNT = ConstraintKind(
    "word_count",
    Count,
    check=lambda response, p: p.compare(len(words(response)), "words"),
    describe=lambda p: f"Answer with {p.amount} words.",
    # Small models write 30-150 words: bounds there are sometimes met, sometimes not.
    draw=_draw(20, 120, ("at_least", "at_most")),
    conflicts=frozenset({"char_count"}),
)

SENTENCE_COUNT = ConstraintKind(
    "sentence_count",
    Count,
    check=lambda response, p: p.compare(len(sentences(response)), "sentences"),
    describe=lambda p: f"Your answer must contain {p.amount} sentences.",
    draw=_draw(2, 6, ("at_least", "at_most")),
    conflicts=frozenset({"paragraph_count", "bullet_count"}),
)

PARAGRAPH_COUNT = ConstraintKind(
    "paragraph_count",
    Count,
    check=lambda response, p: p.compare(len(paragraphs(response)), "paragraphs"),
    describe=lambda p: f"Write {p.amount} paragraphs, separated from each other by a blank line.",
    draw=_draw(2, 4, ("exactly", "at_least")),
    conflicts=frozenset({"section_count", "two_responses"}),
)

CHAR_COUNT = ConstraintKind(
    "char_count",
    Count,
    # Characters are code points of the trimmed response: "é" is one, as a reader counts.
    check=lambda response, p: p.compare(len(response.strip()), "characters"),
    describe=lambda p: f"Your answer must be {p.amount} characters long.",
    draw=_draw(100, 600, ("at_least", "at_most")),
)
