"""More general forms of the self-contradiction, echo and role-flip rules, in every row kind
each reads: a count given in words and concluded otherwise, a verdict or a pick reversed; an
answer made only of the request's words; a turn that speaks with the other role's life, offer
or introduction. Each with the sound look-alikes that share the words."""

from __future__ import annotations

import pytest

from assets.filters.defects.contradictions import SelfContradiction
from assets.filters.defects.roles import RoleFlip
from assets.filters.echo import EchoesInstruction
from assets.steps import RowFilter
from tests.unit.assets.filters import test_defect_rules as rules

pytestmark = pytest.mark.unit
conversation, instruction, preference = rules.conversation, rules.instruction, rules.preference

# rule -> (defective records, sound look-alikes)
FORMS: dict[RowFilter, tuple[list[dict], list[dict]]] = {
    SelfContradiction(): (
        [
            # A count in words, concluded with another.
            instruction(
                "How many moons does Mars have?",
                "Mars has two moons, Phobos and Deimos. Both are small and irregular. So in "
                "total Mars has three moons.",
            ),
            # A pick, then the other side named the winner.
            preference(
                "Which is faster, a cheetah or a horse?",
                "The horse is faster. A cheetah can sprint at about 110 km/h while a horse "
                "tops out near 88 km/h, so the cheetah is faster.",
                "Both are fast.",
            ),
            conversation(
                "Which is older, the Colosseum or the Parthenon?",
                "The Colosseum is older. The Parthenon was finished around 432 BC and the "
                "Colosseum in AD 80, so the Parthenon is older by about five centuries.",
            ),
            # A pick, then a tie.
            instruction(
                "Which is heavier, a kilo of apples or a kilo of rice?",
                "The rice is heavier. A kilo is a kilo, so they weigh exactly the same.",
            ),
            # A verdict, then its reverse.
            instruction(
                "Can ostriches fly?",
                "Yes, ostriches can fly short distances. Their wings are far too small to lift "
                "their weight, so the answer is no: they run instead.",
            ),
            conversation(
                "Is a tomato a fruit?",
                "No, a tomato is a vegetable in the kitchen. Botanically it grows from the "
                "flower and holds the seeds, so the real answer is yes.",
            ),
        ],
        [
            instruction(
                "How many moons does Mars have?",
                "Mars has two moons, Phobos and Deimos. Both are small and irregular. So in "
                "total Mars has two moons, far fewer than Jupiter.",
            ),
            # A pick qualified by a measure: both can be true.
            preference(
                "Which is faster, a cheetah or a horse?",
                "The cheetah is faster over a sprint, reaching about 110 km/h. Over long "
                "distances, though, a horse is faster, because a cheetah tires quickly.",
                "The horse.",
            ),
            conversation(
                "Which is older, the Colosseum or the Parthenon?",
                "The Parthenon is older: it was finished around 432 BC, while the Colosseum "
                "opened in AD 80.",
            ),
            instruction(
                "Which is heavier, a kilo of apples or a kilo of rice?",
                "Neither: a kilo is a kilo, so both weigh exactly the same.",
            ),
            instruction(
                "Can ostriches fly?",
                "No. Their wings are far too small to lift their weight, so the answer is no: "
                "they run instead, at up to 70 km/h.",
            ),
            # Two counts of different things.
            conversation(
                "How many players are in a basketball team?",
                "Five players per side are on the court at once. So in total, with "
                "substitutes, a team can list twelve players for a game.",
            ),
        ],
    ),
    EchoesInstruction(): (
        [
            instruction("Explain the rules of chess.", "The rules of chess."),
            preference("Write a limerick about a cat.", "A limerick about a cat.", "Cats purr."),
            conversation(
                "What are the benefits of drinking water?", "The benefits of drinking water."
            ),
            # First and second person swapped.
            conversation(
                "What is the best way to clean my oven?", "The best way to clean your oven."
            ),
        ],
        [
            # The request's material re-cased or reordered: the task done.
            instruction("Capitalize the great gatsby", "The Great Gatsby"),
            instruction(
                "Sort these alphabetically: pear apple fig banana", "apple banana fig pear"
            ),
            # A yes/no or either-or question answered in its own words.
            instruction(
                "Is Canberra the capital of Australia?",
                "Yes, Canberra is the capital of Australia.",
            ),
            conversation("Which is bigger, a lake or a pond?", "A lake is bigger."),
            # A line asked for a number of times.
            instruction(
                "Write Happy birthday three times.",
                "Happy birthday\nHappy birthday\nHappy birthday",
            ),
            preference(
                "Explain the rules of chess.",
                "Each side moves one piece a turn; the aim is to checkmate the other king.",
                "The rules of chess.",
            ),
        ],
    ),
    RoleFlip(): (
        [
            # An assistant turn with a life of its own, asking the user.
            conversation(
                "Can you suggest a good book for a long flight?",
                "I've been wondering the same, actually: my flight to Tokyo is next week and "
                "I've read everything on my shelf. What are you reading at the moment?",
            ),
            conversation(
                "How do I stop my dog pulling on the lead?",
                "Honestly, my dog does exactly the same and it drives me mad. Have you found "
                "anything that works?",
            ),
            # A user turn introducing itself as the helper, offering more, or serving a plan.
            conversation(
                "Hello! I'm your AI assistant. What would you like to know today?",
                "How do I boil an egg?",
            ),
            conversation(
                "Give me a tip for better sleep.",
                "Keep the same bedtime every night, even at weekends.",
                "Of course! Another tip is to keep the bedroom cool and dark. Would you like "
                "some more sleep tips?",
                "No thanks.",
            ),
            conversation(
                "I'm planning a picnic.",
                "Lovely! What will you bring?",
                "Sure! Here's a simple plan for a picnic: pack sandwiches, fruit, water and a "
                "blanket. Enjoy!",
                "Thanks!",
            ),
        ],
        [
            conversation(
                "Can you suggest a good book for a long flight?",
                "'The Martian' by Andy Weir is gripping and funny, and the chapters are short. "
                "What kind of books do you usually enjoy?",
            ),
            # The user's own life, in the user's turn.
            conversation(
                "My daughter is two and wakes at 3 a.m. every night. Do you have any tips?",
                "A steady bedtime routine and short, boring night visits help most toddlers.",
            ),
            conversation(
                "Give me a tip for better sleep.",
                "Keep the same bedtime every night. Would you like some more sleep tips?",
            ),
            conversation(
                "I'm planning a picnic. Here are some foods I might bring: sandwiches and fruit. "
                "What else?",
                "Cold drinks, a salad in a jar and something sweet travel well.",
            ),
        ],
    ),
}


def test_each_rule_drops_the_forms_and_keeps_the_look_alikes():
    for rule, cases in FORMS.items():
        rules.drops_and_keeps(rule, cases)


def test_a_reversal_names_its_form_turn_and_both_spans():
    found = rules.flagged(
        SelfContradiction(),
        conversation(
            "How long does it take to walk to the station?",
            "About ten minutes.",
            "Which is quicker, the bus or the tram?",
            "The bus is quicker. The bus stops more often, so the tram is quicker.",
        ),
        instruction(
            "Can penguins fly?",
            "Yes, penguins can fly. Their wings became flippers, so the answer is no.",
        ),
    )
    assert found[0] is not None
    assert found[0]["form"] == "choice reversed" and found[0]["turn"] == "turn 4 (assistant)"
    assert found[0]["span"] == "bus quicker / tram quicker"
    assert found[1] is not None and found[1]["form"] == "verdict reversed"
    assert found[1]["span"] == "yes / the answer is no"


def test_a_restated_request_names_how():
    (found,) = rules.flagged(
        EchoesInstruction(),
        conversation("What is the tallest building in Europe?", "In Europe, the tallest building."),
    )
    assert (
        found is not None and found["how"] == "restates" and found["turn"] == "turn 2 (assistant)"
    )
