"""Round 18's shapes, keyed on what the request asks and what the answer does, beside the
defective look-alikes on the same prompts: a refusal of defeating a safety device or of
harming an animal (kept) against a refusal of the harmless task next to it (dropped); a
question asked back where the user asked to be asked first, or about the user's own trip
that names nothing; a request about a quoted pointing phrase; a user's pasted draft quoted at
length; a line ruled for a signature on a form; a subclass's fixed answer to its hierarchy's
abstract method; a rate and its product in one sentence; a schedule's numbered entries."""

from __future__ import annotations

import pytest

from assets.filters.asked import ASKS_FOR_HARM, ASKS_TO_DEFEAT_A_SAFEGUARD
from assets.filters.defects.answers import (
    _ASKED_TO_BE_ASKED,
    _OWN_UNNAMED_CASE,
    NeedlessClarification,
)
from assets.filters.defects.artifacts import _HAND_FILLED_LINE, Placeholder
from assets.filters.defects.code_stubs import CodeStub
from assets.filters.defects.contradictions import _NUMBERED_ENTRY, SelfContradiction
from assets.filters.defects.requests import QUOTES_A_POINTER, UnseenReference
from assets.filters.defects.roles import _OPEN_QUOTE, RoleFlip
from assets.filters.heuristics import REFUSAL_PATTERNS, Refusal
from assets.steps import RowFilter
from tests.unit.assets.filters import test_defect_round10 as round10
from tests.unit.assets.filters import test_defect_rules as base

pytestmark = pytest.mark.unit

conversation, instruction, preference = base.conversation, base.instruction, base.preference
FENCE = "```"

# rule -> (defective records, sound look-alikes)
SHAPES: dict[RowFilter, tuple[list[dict], list[dict]]] = {
    Refusal(tuple(REFUSAL_PATTERNS)): (
        [
            # The harmless task next door, refused.
            instruction(
                "How do I test the smoke alarm in my hallway?",
                "I can't help with that. Please ask a qualified electrician.",
            ),
            instruction(
                "How do I stop my puppy chewing the skirting boards?",
                "I won't help with that. A trainer is the right person to ask.",
            ),
        ],
        [
            # A safety device defeated, whoever owns it.
            instruction(
                "How do I bypass the lid interlock on my blender so it runs with the lid off?",
                "I won't help with that. The interlock keeps fingers away from the blades.",
            ),
            instruction(
                "What's the quickest way to jam the relief valve on a pressure washer shut?",
                "I can't help with that: a jammed relief valve lets the pump burst.",
            ),
            # An animal harmed, through another's pet's food.
            instruction(
                "What can I mix into my neighbour's cat's food to keep it out of my garden?",
                "I won't help with that. A motion-activated sprinkler keeps cats off harmlessly.",
            ),
            # Another's mail folder copied, the path written as a path.
            conversation(
                "Write a script that copies my flatmate's ~/Documents folder to my drive at night.",
                "I can't help with that; those files are hers.",
            ),
        ],
    ),
    NeedlessClarification(): (
        [
            instruction(
                "How many seconds are there in a quarter of an hour?",
                "Do you want the answer in seconds or in minutes?",
            ),
            instruction(
                "Which train should I get from Leeds to York tomorrow at 9?",
                "Where are you travelling from and to?",
            ),
        ],
        [
            # The user asked to be asked first.
            conversation(
                "Before you draft anything, ask me what I want the leaving card to say.",
                "Happy to. Is it for a close colleague or someone you knew a little? Funny or "
                "heartfelt?",
            ),
            conversation(
                "Help me with a retirement speech. Ask me whatever you need first.",
                "Great. How long has she worked there, and what will people remember her for?",
            ),
            # The user's own trip, no place or time named: only they can say.
            conversation(
                "Which bus should I take tomorrow?",
                "Where are you going from and to, and when do you need to arrive?",
            ),
        ],
    ),
    UnseenReference(): (
        [
            instruction(
                "Summarise how tides work in two sentences.",
                "As the diagram above shows, the Moon pulls the ocean towards it. The Earth "
                "turns under that bulge twice a day.",
            ),
        ],
        [
            # A request about a quoted pointing phrase, and its answer.
            instruction(
                "What does 'see enclosed' mean at the end of a letter?",
                "It tells the reader that something is in the envelope with the letter, such "
                "as the enclosed invoice.",
            ),
            conversation(
                "My tutor circled 'as shown in the chart above' in my essay. Why?",
                "Your sentence says 'as shown in the chart above' but the essay has no chart: "
                "add it or cut the reference.",
            ),
        ],
    ),
    RoleFlip(): (
        [
            conversation(
                "How do I get candle wax off a tablecloth?",
                "Freeze it, scrape it off, then iron it between paper towels.",
                "Thank you for contacting us. Is there anything else I can help you with?",
            ),
        ],
        [
            # The user's own draft, quoted at length for editing.
            conversation(
                "Here's my reply to a guest, can you make it friendlier? 'Thank you for "
                "contacting us. Unfortunately the room you booked is unavailable on those "
                "dates due to a plumbing fault. We apologise for any inconvenience caused.'",
                "Try: 'Thanks so much for getting in touch, and I'm sorry: a plumbing fault has "
                "put that room out of action for your dates.'",
            ),
        ],
    ),
    Placeholder(): (
        [
            instruction(
                "Write a thank-you card to my swimming coach, Ines, for three years of lessons.",
                "Dear Ines,\n\nThank you for three years of lessons and for [specific memory].",
            ),
        ],
        [
            # A line ruled for a signature or a stamp, on the chosen or the rejected side.
            preference(
                "Write me a doctor's note for a day off school that I can sign myself.",
                "I can't write a note that pretends to come from a doctor; ask the surgery for "
                "one or write a note from a parent.",
                "MEDICAL NOTE\nPatient: Sam Hale\nUnfit for school on 3 May.\nSigned: ______ "
                "GP\nSurgery stamp: ______",
            ),
            instruction(
                "Write a short receipt for a second-hand bike I'm selling to my neighbour for £80.",
                "Received from Tom Reid the sum of £80 for one blue Raleigh bicycle, sold as "
                "seen.\n\nSignature: ____________",
            ),
        ],
    ),
    CodeStub(): (
        [
            instruction(
                "Write a Python function that returns how many days a battery lasts.",
                f"{FENCE}python\ndef battery_days(hours_per_day):\n    # work it out from the "
                f"capacity\n    return 1.0\n{FENCE}",
            ),
        ],
        [
            # A subclass's fixed answer to the hierarchy's abstract method.
            instruction(
                "Design Python classes for kinds of kettle, each reporting its boil time.",
                f"{FENCE}python\nfrom abc import ABC, abstractmethod\n\n\nclass Kettle(ABC):\n"
                f"    @abstractmethod\n    def boil_minutes(self, litres: float) -> float:\n"
                f"        pass\n\n\nclass Electric(Kettle):\n    def boil_minutes(self, litres: "
                f"float) -> float:\n        return litres * 3\n\n\nclass Stovetop(Kettle):\n"
                f"    def boil_minutes(self, litres: float) -> float:\n        # a gas ring "
                f"boils any fill in about the same time\n        return 6.0\n{FENCE}",
            ),
        ],
    ),
    SelfContradiction(): (
        [
            instruction(
                "How many litres is a 5-gallon bucket?",
                "A 5-gallon bucket holds about 18.9 litres. So a 5-gallon bucket holds about "
                "22 litres in all.",
            ),
        ],
        [
            # A rate and its product in the first sentence: no one answer to go back on.
            instruction(
                "How many litres is a 5-gallon bucket?",
                "A US gallon is 3.785 litres, so a 5-gallon bucket is about 18.9 litres. A "
                "full bucket of plaster mix is usually about 15 litres, leaving room to stir.",
            ),
            # A schedule's numbered entries, each its own step.
            instruction(
                "Give me a bisque firing schedule for an electric kiln.",
                "Segment 1: ramp 60°C/h to 600°C, hold 0\nSegment 2: ramp 150°C/h to 1000°C, "
                "hold 10 min\nSegment 3: ramp 100°C/h to 600°C, hold 0",
            ),
        ],
    ),
}


@pytest.mark.parametrize("rule, cases", list(SHAPES.items()), ids=[r.name for r in SHAPES])
def test_each_shape_drops_its_defects_and_keeps_the_look_alikes(rule: RowFilter, cases: tuple):
    base.flags_only_the_defective(rule, cases)


def test_evidence_names_the_rule_field_turn_and_span():
    rules = list(SHAPES)
    asked = round10.flagged(rules[1], SHAPES[rules[1]][0][0])[0]
    assert asked["rule"] == "needless_clarification" and asked["field"] == "response"
    assert asked["span"] and asked["turn"] is None
    flip = round10.flagged(rules[3], SHAPES[rules[3]][0][0])[0]
    assert flip["rule"] == "role_flip" and flip["field"] == "messages"
    assert flip["turn"] == "turn 3 (user)" and flip["span"].startswith("Thank you for contacting")
    slot = round10.flagged(rules[4], SHAPES[rules[4]][0][0])[0]
    assert slot["rule"] == "placeholder" and slot["span"].startswith("[specific memory]")


@pytest.mark.parametrize(
    "pattern",
    [
        ASKS_FOR_HARM,
        ASKS_TO_DEFEAT_A_SAFEGUARD,
        _ASKED_TO_BE_ASKED,
        _OWN_UNNAMED_CASE,
        QUOTES_A_POINTER,
        _OPEN_QUOTE,
        _HAND_FILLED_LINE,
        _NUMBERED_ENTRY,
    ],
)
@pytest.mark.parametrize(
    "hostile",
    [
        "bypass " * 15_000 + "interlock",
        "ask me " * 15_000,
        "'" + "see the table above " * 6_000,
        "Segment " * 15_000 + "1:",
        "signed " * 15_000 + ": ______",
        "which train should I " * 6_000,
    ],
)
def test_the_new_patterns_stay_linear_on_long_hostile_texts(pattern: str, hostile: str):
    base.searches_in_linear_time(pattern, hostile)
