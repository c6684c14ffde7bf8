"""`first_match` finds what one search of the joined alternatives finds: the leftmost match,
the earlier alternative on a tie."""

from __future__ import annotations

import polars as pl
import pytest

from assets.filters.defects.answers import ANNOUNCEMENT, ANNOUNCEMENT_PARTS
from assets.filters.defects.artifacts import (
    _DIRECTIVE,
    _DIRECTIVE_LINE,
    _DIRECTIVE_WORDS,
    TemplateLeak,
)
from assets.filters.defects.roles import (
    _HELPER_SPEAK,
    _ME_TOO,
    _OFFER_START,
    _OWN_LIFE,
    _PRAISE,
    _USER_LABEL,
    _VERDICT,
    _WELCOME,
    ASSISTANT_SPEAK,
    USER_SPEAK,
    RoleFlip,
)
from assets.filters.defects.spans import first_match
from tests.defect_set import defect_rows

pytestmark = pytest.mark.unit

TEXTS = [
    "Sure! Here is a recipe:",
    "Here are a few podcasts:\n\nEnjoy!",
    "I'll walk you through it step by step.",
    "Please find the summary below.",
    "The answer is 4. Here is why:   \n",
    "Ingredients are as follows",
    "ab: cd",
    "No announcement here at all.",
    "",
]


def test_first_match_is_the_joined_search() -> None:
    rows = defect_rows(split=None)
    texts = pl.concat(
        [
            pl.Series("text", TEXTS, dtype=pl.String),
            *(rows[c].drop_nulls().alias("text") for c in ("instruction", "response", "text")),
        ]
    ).to_frame()
    found = texts.select(
        pl.col("text").str.extract(ANNOUNCEMENT, 0).alias("joined"),
        first_match(pl.col("text"), ANNOUNCEMENT_PARTS).alias("parts"),
    )
    assert found["joined"].null_count() < found.height
    assert found["joined"].to_list() == found["parts"].to_list()


def test_ties_go_to_the_earlier_alternative() -> None:
    frame = pl.DataFrame({"text": ["say abc now", "say ab now", "nothing"]})
    found = frame.select(first_match(pl.col("text"), ("ab", "abc", "b"))).to_series()
    assert found.to_list() == ["ab", "ab", None]
    found = frame.select(first_match(pl.col("text"), ("abc", "ab"))).to_series()
    assert found.to_list() == ["abc", "ab", None]


def test_role_flip_candidates_are_the_unsplit_search() -> None:
    """The split, merged searches of `RoleFlip.parts` find the rows the one pattern finds
    (with an offer of help read in user turns, a life of its own in assistant turns)."""
    texts = [
        "user: Is there anything else I can help you with?",
        "user: Great question! Rayleigh scattering ...",
        "assistant: Sure.\nuser:   thanks so much for your help",
        "user: Could you write a haiku about rain?",
        "user: I'm having trouble with my code",
        "user: what should I do?",
        "assistant: anything else I can do",
        "assistant: There is nothing here.",
        "user: Sure! Here's a simple plan for a picnic: sandwiches.",
        "user: Certainly! Would you like a few more storage ideas?",
        "assistant: My daughter wakes at 3 a.m. Do you have any tips?",
        "user: My daughter wakes at 3 a.m. Do you have any tips?",
        "assistant: Would you like a few more storage ideas?",
        "user: Correct! Next: what is the capital of Peru?",
        "assistant: Correct! Next: what is the capital of Peru?",
        "user: You're welcome! Enjoy your trip.",
        "assistant: You're welcome! Enjoy your trip.",
        "assistant: I've always wondered that too. Which do you eat?",
        "user: I've always wondered that too. Which is healthier?",
        "assistant: User: I'd love to try kaiseki. Any ideas?",
    ]
    rows = defect_rows(split=None).filter(pl.col("kind") == "conversation")
    frame = pl.concat(
        [pl.Series("text", texts, dtype=pl.String), rows["text"].drop_nulls()]
    ).to_frame()
    # An offer of help, a verdict and a "you're welcome" are searched in user turns only, a
    # life of its own in assistant turns only: each is the other role's ordinary talk.
    assistant = ASSISTANT_SPEAK.removeprefix("(?i)").removesuffix("|" + _HELPER_SPEAK)
    user = USER_SPEAK.removeprefix("(?i)").removesuffix(f"|{_OWN_LIFE}|{_ME_TOO}")
    verdict, welcome = _VERDICT.removeprefix(r"^\s*"), _WELCOME.removeprefix(r"(?i)^\s*")
    label = _USER_LABEL.removeprefix(r"(?i)^\s*")
    # (In a transcript an offer that opens its turn follows "user: ", not a line start: the
    # candidate search reads the offer wherever it is, the turn's own search where it starts.)
    helper = _HELPER_SPEAK.replace(_OFFER_START, "")
    whole = (
        f"(?i:{assistant})|(?im:^user: [^\n]*?{helper})"
        rf"|(?im:^(?:user: )?\s*{_PRAISE})|(?im:{user})"
        rf"|(?im:^assistant: [^\n]*?(?:{_OWN_LIFE}|{_ME_TOO}))"
        rf"|(?im:^user: {verdict})|(?im:^user: {welcome})|(?im:^assistant: {label})"
    )
    found = frame.select(
        RoleFlip().candidates(pl.col("text")).alias("parts"),
        pl.col("text").str.contains(whole).alias("whole"),
    )
    expected = [True, True, False, False, True, True, True, False, True, True, True, False, False]
    expected += [True, False, True, False, True, False, True]
    assert found["whole"].head(len(texts)).to_list() == expected
    assert found["parts"].to_list() == found["whole"].to_list()


def test_template_leak_candidates_are_the_unsplit_search() -> None:
    """`TemplateLeak.candidates` with the directive's alternatives searched one by one finds
    the rows the joined directive finds."""
    texts = [
        "Respond with the tip only.",
        "Answer with your guess only",
        "Do not mention these instructions.",
        "Return only the code.",
        "Sure.\n  Your answer must contain exactly 3 sentences.",
        "Your answer must be short, she said",
        "Nothing of the kind.",
    ]
    rows = defect_rows(split=None)
    frame = pl.concat(
        [
            pl.Series("text", texts, dtype=pl.String),
            *(rows[c].drop_nulls().alias("text") for c in ("instruction", "response", "text")),
        ]
    ).to_frame()
    found = frame.select(
        TemplateLeak().candidates(pl.col("text")).alias("split"),
        pl.col("text").str.contains(_DIRECTIVE).alias("directive"),
        pl.any_horizontal(
            pl.col("text").str.contains(part)
            for part in (*(f"(?i:{w})" for w in _DIRECTIVE_WORDS), _DIRECTIVE_LINE)
        ).alias("parts"),
    )
    assert found["directive"].sum() >= len(texts) - 2
    assert found["directive"].to_list() == found["parts"].to_list()
    assert found.filter(pl.col("directive") & ~pl.col("split")).is_empty()
