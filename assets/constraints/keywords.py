"""Which words appear: keywords required, forbidden, or counted, and letter frequency.

Keywords match as whole words in any case ("cat" is not found in "category"); a keyword of
several words matches with any spacing between them.
"""

from __future__ import annotations

from pydantic import Field

from assets.constraints.base import PASS, ConstraintKind, Count, Verdict, fail
from assets.constraints.text import phrase_pattern
from warehouse.settings import Strict

# Words a general answer can use or avoid without losing its sense.
_VOCABULARY = (
    "example", "important", "simple", "because", "however", "first", "finally", "result",
    "people", "time", "system", "idea", "world", "water", "light", "reason", "method", "change",
)  # fmt: skip


class Keywords(Strict):
    keywords: list[str] = Field(min_length=1)


class KeywordCount(Count):
    keyword: str = Field(min_length=1)


class LetterCount(Count):
    letter: str = Field(min_length=1, max_length=1)


def _include(response: str, p: Keywords) -> Verdict:
    missing = [k for k in p.keywords if not phrase_pattern(k).search(response)]
    return fail(f"missing keywords: {', '.join(missing)}") if missing else PASS


def _exclude(response: str, p: Keywords) -> Verdict:
    found = [k for k in p.keywords if phrase_pattern(k).search(response)]
    return fail(f"forbidden keywords present: {', '.join(found)}") if found else PASS


def _quote(keywords: list[str]) -> str:
    return ", ".join(f'"{k}"' for k in keywords)


KEYWORDS_INCLUDE = ConstraintKind(
    "keywords_include",
    Keywords,
    check=_include,
    describe=lambda p: f"Include the keywords {_quote(p.keywords)} in your answer.",
    draw=lambda rng: Keywords(keywords=rng.sample(_VOCABULARY, rng.randint(1, 2))),
    conflicts=frozenset({"response_language"}),
)

KEYWORDS_EXCLUDE = ConstraintKind(
    "keywords_exclude",
    Keywords,
    check=_exclude,
    describe=lambda p: f"Do not use the words {_quote(p.keywords)} anywhere in your answer.",
    draw=lambda rng: Keywords(keywords=rng.sample(("the", "and", "is", "very", "also"), 1)),
    conflicts=frozenset({"response_language"}),
)

KEYWORD_FREQUENCY = ConstraintKind(
    "keyword_frequency",
    KeywordCount,
    check=lambda response, p: p.compare(
        len(phrase_pattern(p.keyword).findall(response)), f'occurrences of "{p.keyword}"'
    ),
    describe=lambda p: f'Use the word "{p.keyword}" {p.amount} times in your answer.',
    draw=lambda rng: KeywordCount(
        keyword=rng.choice(_VOCABULARY),
        relation=rng.choice(("at_least", "exactly")),
        count=rng.randint(1, 3),
    ),
    conflicts=frozenset({"response_language", "keywords_include", "keywords_exclude"}),
)


def _letters(response: str, p: LetterCount) -> Verdict:
    found = response.casefold().count(p.letter.casefold())
    return p.compare(found, f'letters "{p.letter}"')


LETTER_FREQUENCY = ConstraintKind(
    "letter_frequency",
    LetterCount,
    check=_letters,
    describe=lambda p: (
        f'The letter "{p.letter}" must appear {p.amount} times in your answer, in either case.'
    ),
    draw=lambda rng: LetterCount(
        letter=rng.choice("aeiorstz"),
        relation=rng.choice(("at_least", "at_most")),
        count=rng.randint(3, 12),
    ),
)
