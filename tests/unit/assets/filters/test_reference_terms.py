"""garbled_term: an answer that garbles a named term of its row's reference text is dropped;
the term quoted, expanded, replaced by another correct term or qualified is kept."""

from __future__ import annotations

import json

import polars as pl
import pytest

from assets.filters.reference_terms import GarbledTerm, GarbledTermConfig
from assets.run_context import RunContext
from warehouse.conversations import encode
from warehouse.rows import conform, with_row_ids

# The demo's seed: its reference answer names the term the self_chat row garbled.
SKY = "Why is the sky blue during the day?"
SKY_REFERENCE = (
    "Sunlight contains all visible colors, and as it passes through the atmosphere it is "
    "scattered by gas molecules. Shorter wavelengths are scattered much more strongly than "
    "longer ones, an effect called Rayleigh scattering, so blue light is spread across the "
    "whole sky. Violet is scattered even more, but sunlight contains less of it and our eyes "
    "are less sensitive to it, so the sky looks blue."
)
KREBS = "How do cells get energy from glucose?"
KREBS_REFERENCE = (
    "Glucose is split by glycolysis, and its products are oxidized in the Krebs cycle inside "
    "the mitochondria, which feeds the electron transport chain that makes most of the ATP."
)
MOON = "Who was the first person to walk on the Moon?"
MOON_REFERENCE = "The first person to walk on the Moon was Neil Armstrong, in July 1969."

# The demo's self_chat answer, word for word.
SCRUBBER = (
    "The sky appears blue during the day because of a process called Rayleigh Scrubber "
    "scattering, which occurs when light encounters tiny molecules of air. When sunlight "
    "reaches our atmosphere, it encounters molecules of air that are composed of a mix of "
    "nitrogen and oxygen. These molecules scatter light in all directions, but some of them, "
    "including the blue light, are scattered in a specific pattern that we perceive as blue. "
    "This process is known as Rayleigh Scrubber scattering."
)


def instruction(question: str, reference: str | None, response: str) -> dict:
    return {
        "kind": "instruction",
        "instruction": question,
        "answer": reference,
        "response": response,
    }


def conversation(reference: str | None, *turns: str) -> dict:
    roles = ("user", "assistant")
    messages = [{"role": roles[i % 2], "content": t} for i, t in enumerate(turns)]
    return {"kind": "conversation", "answer": reference, "messages": encode(messages)}


def flagged(*records: dict) -> dict[str, dict]:
    """Evidence of each dropped row, by the row's last answer (response or last turn)."""
    frame = with_row_ids(conform(pl.DataFrame(list(records))))
    flags = GarbledTerm().flag(frame)
    keys = {}
    for record, row_id in zip(records, frame["row_id"], strict=True):
        keys[row_id] = record.get("response") or json.loads(record["messages"])[-1]["content"]
    return {keys[r]: json.loads(e) for r, e in flags.select("row_id", "evidence").iter_rows()}


def test_the_demo_self_chat_row_is_dropped_naming_turn_span_and_term():
    dropped = flagged(conversation(SKY_REFERENCE, SKY, SCRUBBER))
    assert dropped == {
        SCRUBBER: {
            "rule": "garbled_term",
            "field": "messages",
            "turn": "turn 2 (assistant)",
            "span": "Rayleigh Scrubber scattering",
            "reference_term": "Rayleigh scattering",
            "change": "inserted 'Scrubber'",
        }
    }


@pytest.mark.parametrize(
    ("question", "reference", "response", "span", "change"),
    [
        (SKY, SKY_REFERENCE, SCRUBBER, "Rayleigh Scrubber scattering", "inserted 'Scrubber'"),
        (
            KREBS,
            KREBS_REFERENCE,
            "After glycolysis the products enter the Krebs Cyclone cycle, which makes ATP.",
            "Krebs Cyclone cycle",
            "inserted 'Cyclone'",
        ),
        (
            KREBS,
            KREBS_REFERENCE,
            "Glucose is broken down and then burned in the Krebs Cyclone, a loop of reactions.",
            "Krebs Cyclone",
            "swapped 'cycle' for 'Cyclone'",
        ),
        (
            SKY,
            SKY_REFERENCE,
            "Blue light is spread by a process called Rayleigh Scrubbing in the air.",
            "Rayleigh Scrubbing",
            "swapped 'scattering' for 'Scrubbing'",
        ),
    ],
)
def test_a_garbled_term_in_a_response_is_dropped(question, reference, response, span, change):
    (evidence,) = flagged(instruction(question, reference, response)).values()
    assert evidence["field"] == "response" and evidence["turn"] is None
    assert (evidence["span"], evidence["change"]) == (span, change)


def test_a_pythagorean_merge_is_an_insertion():
    reference = (
        "Since the legs are sine and cosine, the Pythagorean identity holds for every angle."
    )
    response = "By the Pythagorean Theorem Identity, sin^2 x + cos^2 x = 1."
    (evidence,) = flagged(instruction("Why is sin^2 + cos^2 = 1?", reference, response)).values()
    assert evidence["span"] == "Pythagorean Theorem Identity"
    assert evidence["reference_term"] == "Pythagorean identity"


@pytest.mark.parametrize(
    "response",
    [
        # quoted exactly, and in other case
        "An effect called Rayleigh scattering spreads blue light across the sky.",
        "Blue light is scattered most: RAYLEIGH SCATTERING.",
        # expanded legitimately
        "Rayleigh's scattering law says short wavelengths scatter far more strongly.",
        "It is the scattering Rayleigh described in 1871: blue scatters more than red.",
        # a lowercase adjective inside: an adjective, not a garble (kept, see the module)
        "Rayleigh elastic scattering of sunlight by air molecules makes the sky blue.",
        # a different correct term, and a term-head word capitalized
        "Small particles scatter blue light; larger droplets cause Mie scattering instead.",
        "Scattering by molecules makes it blue (compare the Tyndall effect in colloids).",
        "Short wavelengths scatter more; the Rayleigh Criterion is about telescopes instead.",
        # the term exactly stated, with a garble-shaped mention beside it
        "It is Rayleigh scattering, which some call Rayleigh Sky scattering.",
    ],
)
def test_sound_look_alikes_are_kept(response):
    assert flagged(instruction(SKY, SKY_REFERENCE, response)) == {}


def test_a_name_with_a_middle_name_and_a_qualified_law_are_kept():
    # "Neil Armstrong" is two names, not a name and a term word: no term to garble.
    moon = "The first man on the Moon was Neil Alden Armstrong, on July 20, 1969."
    newton = instruction(
        "Why does an apple fall?",
        "Gravity pulls it down, as described by Newton's law of universal gravitation.",
        "Newton's Universal law of gravitation says every mass attracts every other mass.",
    )
    assert flagged(instruction(MOON, MOON_REFERENCE, moon), newton) == {}


def test_a_longer_term_named_after_the_same_person_is_kept():
    # "as Einstein showed": a verb after the name, not a term's word; "Einstein Field
    # equations" names another term (a content word follows), not a swap of "ring".
    reference = "Light bends near a mass, as Einstein showed; a full circle is the Einstein ring."
    response = "The Einstein Field equations say mass curves spacetime, so light bends."
    assert flagged(instruction("Why does light bend near the Sun?", reference, response)) == {}


def test_a_person_named_in_the_reference_is_no_term():
    # Found by bench/garbled_term: "named Tom loved" is a pet and a verb, and "Tom Holland's"
    # in another answer a person's full name.
    reference = "A tabby named Tom loved cardboard boxes more than any toy."
    response = "Try Tom Holland's 'Rubicon', which tells the fall of the Roman Republic."
    assert flagged(instruction("Recommend a history book.", reference, response)) == {}


def test_rows_without_a_reference_text_are_left_alone():
    assert (
        flagged(
            instruction(SKY, None, SCRUBBER),
            instruction("What is 6 * 7?", "42", "It is 41."),
            conversation(None, SKY, SCRUBBER),
        )
        == {}
    )


def test_a_garble_in_a_later_turn_names_that_turn():
    later = "Yes: it is the Krebs Cyclone cycle, inside the mitochondria."
    dropped = flagged(
        conversation(
            KREBS_REFERENCE,
            KREBS,
            "Cells break glucose down in several stages and store the energy as ATP.",
            "Which stage makes the most carriers?",
            later,
        )
    )
    assert dropped[later]["turn"] == "turn 4 (assistant)"
    assert dropped[later]["span"] == "Krebs Cyclone cycle"


def test_the_term_stated_right_in_a_later_turn_keeps_the_conversation():
    assert (
        flagged(
            conversation(
                SKY_REFERENCE,
                SKY,
                "Sunlight is scattered by the air, blue light most of all.",
                "What is that called?",
                "It is called Rayleigh scattering, after Lord Rayleigh.",
            )
        )
        == {}
    )


def test_a_user_turn_is_not_judged():
    # The simulated user may misspell a term; only answers are held to the reference.
    assert (
        flagged(
            conversation(
                SKY_REFERENCE,
                "Is it the Rayleigh Scrubber scattering my teacher mentioned?",
                "No: it is Rayleigh scattering, the scattering of light by molecules.",
            )
        )
        == {}
    )


def test_a_preference_pair_is_judged_by_its_chosen_side():
    def pair(chosen: str, rejected: str) -> dict:
        return {
            **instruction(SKY, SKY_REFERENCE, chosen),
            "kind": "preference",
            "attributes": json.dumps({"rejected": rejected}),
        }

    good = "An effect called Rayleigh scattering."
    assert set(flagged(pair(SCRUBBER, good), pair(good, SCRUBBER))) == {SCRUBBER}


def test_disabled_it_builds_no_step():
    assert GarbledTerm.from_config(GarbledTermConfig(enabled=False), RunContext()) == []
    assert GarbledTerm.from_config(GarbledTermConfig(), RunContext()) == [GarbledTerm()]


def test_a_possessive_name_and_a_word_of_the_reference_itself():
    reference = "A cup of tea cools as Newton's law of cooling says: in proportion to the gap."
    question = "Why does tea cool fast at first?"
    reordered = "Newton's Cooling law: the bigger the gap, the faster it cools."
    garbled = "Newton's Frosty law: the bigger the gap, the faster it cools."
    dropped = flagged(
        instruction(question, reference, reordered), instruction(question, reference, garbled)
    )
    assert set(dropped) == {garbled}
    assert dropped[garbled]["span"] == "Newton's Frosty law"
    assert dropped[garbled]["reference_term"] == "Newton's law"


def test_hostile_reference_and_answer_texts_are_read_as_text():
    # The reference and the answer come from seed files and models: regex metacharacters, a
    # catastrophic-backtracking shape, NULs and a quarter-million characters are judged
    # without error, and only the real garble is dropped.
    tricky = "an effect called Rayleigh (a+)+$ scattering, or the Krebs .* cycle"
    dropped = flagged(
        instruction("Explain.", tricky, "It is Rayleigh (a+)+$ scattering and the Krebs .* cycle."),
        instruction("Explain.", "called Rayleigh scattering\x00", "Rayleigh\x00 Big scattering"),
        instruction("Explain.", "the Krebs cycle " * 20_000, "the Krebs Cyclone " * 20_000),
        instruction("Explain.", SKY_REFERENCE, SCRUBBER.replace("Rayleigh", "Rayleigh.*")),
        instruction("Explain.", SKY_REFERENCE, SCRUBBER),
    )
    assert [e["reference_term"] for e in dropped.values()].count("Rayleigh scattering") >= 1
    assert SCRUBBER in dropped
    assert "It is Rayleigh (a+)+$ scattering and the Krebs .* cycle." not in dropped
