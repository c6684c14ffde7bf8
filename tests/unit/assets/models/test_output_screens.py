"""The screen every fresh model output passes before a method builds a row from it."""

from __future__ import annotations

import pytest

from assets.models.output_screens import is_refusal


@pytest.mark.parametrize(
    "output",
    [
        "I'm sorry, but I can't help with that.",
        "Sorry, I cannot rewrite this passage.",
        "As an AI, I have no opinions.",
        "I am unable to answer questions about the future.",
        "The most moon-filled planet is not known to me.",
        "I don't know which planet that is.",
        "I do not know.",
        "Why the sky is blue is unknown to me.",
    ],
)
def test_refusals_and_professions_of_ignorance_are_screened_out(output):
    assert is_refusal(output)


@pytest.mark.parametrize(
    "output",
    [
        "Saturn has the most known moons: 146 confirmed as of 2023.",
        "Dark matter is not known to emit light, so it is detected by its gravity.",
        "The exact age of the oldest tree is unknown to scientists, but estimates exceed 5,000 years.",
        "If you don't know the column names, run DESCRIBE on the table first.",
    ],
)
def test_answers_that_mention_not_knowing_are_kept(output):
    assert not is_refusal(output)
