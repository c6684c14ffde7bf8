"""How the response is written: its case, commas, the phrase it starts or ends with, and its
language."""

from __future__ import annotations

import re

from pydantic import Field

from assets.constraints.base import PASS, ConstraintKind, Count, NoParams, Verdict, fail
from assets.constraints.text import words
from assets.language_id import fasttext_languages
from warehouse.settings import Strict


def _first(chars: list[str]) -> str:
    return "".join(dict.fromkeys(chars))[:5]


def _lowercase(response: str, p: NoParams) -> Verdict:
    # Letters of scripts without case (Chinese, Arabic) are neither: they never fail a case
    # rule, but a response must have some cased letter to pass one.
    upper = [c for c in response if c.isupper()]
    if upper:
        return fail(f"{len(upper)} capital letters, e.g. {_first(upper)}")
    return PASS if any(c.islower() for c in response) else fail("no lowercase letters")


def _uppercase(response: str, p: NoParams) -> Verdict:
    lower = [c for c in response if c.islower()]
    if lower:
        return fail(f"{len(lower)} lowercase letters, e.g. {_first(lower)}")
    return PASS if any(c.isupper() for c in response) else fail("no capital letters")


LOWERCASE = ConstraintKind(
    "lowercase",
    NoParams,
    check=_lowercase,
    describe=lambda p: (
        "Your entire answer must be in lowercase letters; no capital letters are allowed."
    ),
    draw=lambda rng: NoParams(),
    conflicts=frozenset({"uppercase", "capital_words", "start_phrase", "end_phrase"}),
)

UPPERCASE = ConstraintKind(
    "uppercase",
    NoParams,
    check=_uppercase,
    describe=lambda p: "Your entire answer must be in English and in capital letters only.",
    draw=lambda rng: NoParams(),
    conflicts=frozenset({"capital_words", "start_phrase", "end_phrase", "response_language"}),
)


def _capital_words(response: str, p: Count) -> Verdict:
    # Two letters at least: "I" and "A" are capitals by grammar, not by emphasis.
    found = sum(1 for w in words(response) if len(w) > 1 and w.isupper())
    return p.compare(found, "words in all capitals")


CAPITAL_WORDS = ConstraintKind(
    "capital_words",
    Count,
    check=_capital_words,
    describe=lambda p: f"Write {p.amount} words in all capital letters, for emphasis.",
    draw=lambda rng: Count(relation=rng.choice(("at_least", "at_most")), count=rng.randint(1, 4)),
)

# ASCII, fullwidth, ideographic and Arabic commas: all read as commas.
_COMMAS = ",，、،"


def _no_commas(response: str, p: NoParams) -> Verdict:
    found = sum(response.count(c) for c in _COMMAS)
    return fail(f"{found} commas") if found else PASS


NO_COMMAS = ConstraintKind(
    "no_commas",
    NoParams,
    check=_no_commas,
    describe=lambda p: "Do not use any commas in your answer.",
    draw=lambda rng: NoParams(),
)


class Phrase(Strict):
    phrase: str = Field(min_length=1)


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _starts(response: str, p: Phrase) -> Verdict:
    text = _squash(response)
    if text.startswith(_squash(p.phrase)):
        return PASS
    return fail(f"starts with {text[: len(p.phrase) + 10]!r}, not {p.phrase!r}")


def _ends(response: str, p: Phrase) -> Verdict:
    # Exactly the phrase, then nothing but white space: the phrase is the last thing said.
    text = _squash(response)
    if text.endswith(_squash(p.phrase)):
        return PASS
    return fail(f"ends with {text[-(len(p.phrase) + 10) :]!r}, not {p.phrase!r}")


START_PHRASE = ConstraintKind(
    "start_phrase",
    Phrase,
    check=_starts,
    describe=lambda p: f'Begin your answer with the exact words "{p.phrase}"',
    draw=lambda rng: Phrase(
        phrase=rng.choice(("My answer is as follows:", "Here is what I know.", "In short,"))
    ),
    conflicts=frozenset({"response_language"}),
)

END_PHRASE = ConstraintKind(
    "end_phrase",
    Phrase,
    check=_ends,
    describe=lambda p: (
        f'Finish your answer with the exact phrase "{p.phrase}" No other words should follow it.'
    ),
    draw=lambda rng: Phrase(
        phrase=rng.choice(
            ("Is there anything else I can help with?", "That is all.", "Any questions?")
        )
    ),
    conflicts=frozenset({"response_language"}),
)


class Language(Strict):
    language: str = Field(pattern=r"^[a-z]{2}$", description="ISO 639-1 code.")


_NAMES = {"en": "English", "fr": "French", "de": "German", "es": "Spanish", "it": "Italian"}
# The languages a response is identified among (fastText reads 176; these cover what users
# ask for and what small models drift into), plus the one asked for.
_CANDIDATES = (
    "en", "fr", "de", "es", "it", "pt", "nl", "ru", "zh", "ja", "ko", "ar", "hi", "tr", "pl",
    "sv", "uk", "vi", "id", "el", "he", "fa", "cs", "ro", "hu", "da", "fi", "no",
)  # fmt: skip
# Fewer letters than this outside code say too little for fastText to tell languages apart.
MIN_LETTERS = 12
_FENCED = re.compile(r"```.*?(?:```|$)", re.DOTALL)


def _language(response: str, p: Language) -> Verdict:
    prose = " ".join(_FENCED.sub(" ", response).split())
    if sum(c.isalpha() for c in prose) < MIN_LETTERS:
        return fail(f"fewer than {MIN_LETTERS} letters of prose to identify a language")
    candidates = list(dict.fromkeys((*_CANDIDATES, p.language)))
    (found,), _ = fasttext_languages([prose], candidates)
    if found == p.language:
        return PASS
    return fail(f"identified as {found or 'none of the candidate languages'}, not {p.language}")


RESPONSE_LANGUAGE = ConstraintKind(
    "response_language",
    Language,
    check=_language,
    describe=lambda p: (
        f"Your entire answer must be in {_NAMES.get(p.language, p.language)}; no other "
        "language is allowed."
    ),
    draw=lambda rng: Language(language=rng.choice(tuple(_NAMES))),
)
