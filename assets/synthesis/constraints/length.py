"""How long the response is: words, sentences, paragraphs, characters."""

from __future__ import annotations

import random

from assets.synthesis.constraints.base import ConstraintKind, Count, compare, relation_words
from assets.synthesis.constraints.text import paragraphs, sentences, words


def _draw(low: int, high: int, relations: tuple[str, ...]):
    def draw(rng: random.Random) -> Count:
        return Count(relation=rng.choice(relations), count=rng.randint(low, high))

    return draw


WORD_COUNT = ConstraintKind(
    "word_count",
    Count,
    check=lambda response, p: compare(len(words(response)), p, "words"),
    describe=lambda p: f"Answer with {relation_words(p)} {p.count} words.",
    # Small models write 30-150 words: bounds there are sometimes met, sometimes not.
    draw=_draw(20, 120, ("at_least", "at_most")),
    conflicts=frozenset({"char_count"}),
)

SENTENCE_COUNT = ConstraintKind(
    "sentence_count",
    Count,
    check=lambda response, p: compare(len(sentences(response)), p, "sentences"),
    describe=lambda p: f"Your answer must contain {relation_words(p)} {p.count} sentences.",
    draw=_draw(2, 6, ("at_least", "at_most")),
    conflicts=frozenset({"paragraph_count", "bullet_count"}),
)

PARAGRAPH_COUNT = ConstraintKind(
    "paragraph_count",
    Count,
    check=lambda response, p: compare(len(paragraphs(response)), p, "paragraphs"),
    describe=lambda p: (
        f"Write {relation_words(p)} {p.count} paragraphs, separated from each other by a "
        "blank line."
    ),
    draw=_draw(2, 4, ("exactly", "at_least")),
    conflicts=frozenset({"section_count", "two_responses"}),
)

CHAR_COUNT = ConstraintKind(
    "char_count",
    Count,
    # Characters are code points of the trimmed response: "é" is one, as a reader counts.
    check=lambda response, p: compare(len(response.strip()), p, "characters"),
    describe=lambda p: f"Your answer must be {relation_words(p)} {p.count} characters long.",
    draw=_draw(100, 600, ("at_least", "at_most")),
)
