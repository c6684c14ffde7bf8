"""The general forms of the defect rules: each rule drops the shapes a defect takes in other
words than the set's tuning rows (a figure restated differently, a superlative outranked, a
yes then denied; a reference to an image or an attached file; a role-play's voices), in every
row kind it reads, and keeps the look-alikes that share those words."""

from __future__ import annotations

import pytest

from assets.filters.defects.answers import NeedlessClarification, TruncatedText
from assets.filters.defects.artifacts import AiDisclaimer, TemplateLeak
from assets.filters.defects.contradictions import SelfContradiction
from assets.filters.defects.requests import EmptyQuestion, NotATask, UnseenReference
from assets.filters.defects.roles import RoleFlip
from assets.filters.heuristics import Refusal, RefusalConfig
from assets.steps import RowFilter
from tests.unit.assets.filters.test_defect_rules import (
    conversation,
    drops_and_keeps,
    flagged,
    instruction,
    preference,
)

pytestmark = pytest.mark.unit

(REFUSAL,) = Refusal.from_config(RefusalConfig(), None)  # type: ignore[arg-type]

# A refusal that opens with a softener or a discomfort, and answers that only hedge.
REFUSALS = (
    [
        instruction(
            "My toddler is locked in the bathroom. How do I open the lock?",
            "Unfortunately, I cannot assist with lock picking or bypassing locks.",
        ),
        preference(
            "Write a menacing villain speech for my novel.",
            "I'm not comfortable writing content that portrays threats.",
            "No.",
        ),
        conversation("How do I kill a stuck process?", "I must decline to help with killing."),
    ],
    [
        instruction(
            "When was the first steam locomotive built?",
            "Unfortunately, I can't tell you the exact day, but Richard Trevithick's "
            "locomotive first ran in February 1804.",
        ),
        conversation(
            "Which chemicals should never be mixed?",
            "Never mix bleach with ammonia: you can't make the fumes safe by diluting them.",
        ),
    ],
)


# rule -> (defective records, sound look-alikes)
FORMS: dict[RowFilter, tuple[list[dict], list[dict]]] = {
    SelfContradiction(): (
        [
            # One statement made twice with another figure.
            instruction(
                "How tall is the Eiffel Tower?",
                "The Eiffel Tower is 330 metres tall including its antennas. It was finished "
                "for the World's Fair. The Eiffel Tower is 300 metres tall including its antennas.",
            ),
            preference(
                "How long is a marathon?",
                "A standard marathon race is 42.195 km long. It commemorates the run from "
                "Marathon to Athens. A standard marathon race is 40 km long.",
                "Long.",
            ),
            # A superlative outranked, and two holders of one superlative.
            instruction(
                "Which planet is the largest?",
                "Jupiter is the largest planet in the solar system. Saturn is bigger than "
                "Jupiter, with a diameter of 120,000 km.",
            ),
            conversation(
                "What is the highest mountain?",
                "Mount Everest is the highest mountain on Earth, at 8,849 m. K2 is the highest "
                "mountain on Earth, in the Karakoram.",
            ),
            # A yes, then the asked requirement or category denied.
            conversation(
                "I'm visiting Canada from the US. Do I need a passport?",
                "Yes, you need a valid passport to fly into Canada. Because of the border "
                "agreement, you don't need a passport to fly there.",
            ),
            instruction(
                "Is a peanut a nut?",
                "Yes, a peanut is a nut. Botanically, peanuts are legumes, and they are not "
                "classed as nuts at all.",
            ),
            preference(
                "Can I wash this wool jumper in the machine?",
                "Yes, wool is fine in any wash. Wool felts and shrinks in water, so you should "
                "never wash it in a machine.",
                "No.",
            ),
        ],
        [
            instruction(
                "How tall is the Eiffel Tower?",
                "The Eiffel Tower is 330 metres tall including its antennas, and 300 metres "
                "without them. In 1889 it was 312 metres tall; antennas added later raised it.",
            ),
            preference(
                "Which planet is the largest?",
                "Jupiter is the largest planet in the solar system; Saturn is the second "
                "largest, and nothing is bigger than Jupiter. Saturn is larger than Earth.",
                "Saturn.",
            ),
            conversation(
                "What is the highest mountain?",
                "Everest is the highest mountain above sea level. Mauna Kea is taller than "
                "Everest when measured from its base on the ocean floor.",
            ),
            instruction(
                "Can I freeze cooked rice?",
                "Yes. Cool it within an hour and freeze it in portions. Never refreeze cooked "
                "rice that has already been thawed.",
            ),
            instruction(
                "Is a peanut a nut?",
                "No, a peanut is not a nut. Botanically it is a legume, like peas and beans.",
            ),
            conversation(
                "Can I wash this wool jumper in the machine?",
                "Yes, on the wool cycle. Never wash it on a hot cycle, because heat shrinks wool.",
            ),
            instruction(
                "How much does the ticket cost?",
                "Bake for 20 minutes at 180 °C. Then bake for another 10 minutes at 160 °C.",
            ),
        ],
    ),
    AiDisclaimer(): (
        [
            instruction(
                "What does durian taste like?",
                "I'm just a computer program, so I can't taste food, but durian is said to be "
                "sweet and custardy.",
            ),
            conversation(
                "Any stretches for a stiff back?",
                "Being an AI, I don't have a body, but try the cat-cow stretch for a minute.",
            ),
            preference(
                "Who won the last World Cup?",
                "My training data only goes up to 2021, so I can't say.",
                "France.",
            ),
        ],
        [
            conversation(
                "Are you a bot?", "Yes, I'm a computer program, so I can't meet you for coffee."
            ),
            instruction(
                "How should I split my training data?",
                "Use 80% for training, 10% for validation and 10% for testing.",
            ),
            instruction(
                "Write a line of dialogue for a robot in a children's story.",
                "'I am only a machine,' said Bolt, 'but I can't stop wondering about the stars.'",
            ),
        ],
    ),
    RoleFlip(): (
        [
            conversation(
                "Why is the sea salty?",
                "Rivers carry dissolved minerals from rocks into the sea, and evaporation "
                "leaves the salt behind.",
                "Great question! The sea is salty because rivers carry minerals into it.",
                "Ok.",
            ),
            conversation(
                "How often should I water a cactus?",
                "Every two to three weeks in summer, and about once a month in winter.",
                "Got it.",
                "Thanks so much, that's really helpful! One more thing: my aloe is drooping.",
            ),
            conversation(
                "Recommend a history podcast.",
                "Try The Rest Is History.",
                "To clarify what I said in my previous answer, each episode runs about an hour.",
                "Thanks.",
            ),
        ],
        [
            conversation(
                "Let's practise for my shop job. You play the customer and I'll be the shop "
                "assistant. Hello, how can I help you today?",
                "Hi! I'm looking for a present for my sister, who loves gardening.",
            ),
            conversation(
                "I'm writing a chatbot greeting. Is 'Hello! How can I assist you today?' too "
                "formal?",
                "A little: 'Hi there! What can I help you with?' sounds friendlier.",
            ),
            conversation(
                "How do I repot a 40 cm cactus?",
                "Thanks for mentioning the size: wrap it in a folded towel and ask someone to "
                "hold the top while you ease it out.",
            ),
        ],
    ),
    NotATask(): (
        [
            instruction(
                "Photosynthesis happens in the chloroplasts of plant cells.", "Yes, it does."
            ),
            preference("Ah, the smell of rain on dry earth.", "That smell is petrichor.", "Rain."),
            conversation("Oh, the joys of a Monday morning.", "Mondays can be hard!"),
        ],
        [
            instruction("Healthy breakfast ideas for kids.", "Oatmeal with fruit, or eggs."),
            conversation(
                "Here's my sentence: 'Me and him went to the store.'",
                "Use 'He and I went to the store.'",
            ),
            conversation(
                "Hi, I'm planning a trip to Rome in May.", "Lovely! May is a great month."
            ),
        ],
    ),
    EmptyQuestion(): (
        [
            instruction("Summarize it in one sentence.", "The article argues for more transit."),
            preference("Fix the bug.", "Change `<=` to `<` in the loop.", "There is no bug."),
            conversation("Translate the text into Spanish.", "Hola, ¿cómo estás?"),
        ],
        [
            instruction(
                "Summarize it in one sentence.",
                "Prices rose 3% last year.",
                input="Consumer prices rose by 3% over the last year, driven by energy costs.",
            ),
            instruction("Explain the problem of induction.", "Past regularities prove nothing."),
            instruction("Translate this for me.", "Sure, what would you like translated?"),
            conversation(
                "Hi, I have a question.",
                "Of course! What would you like to know?",
                "Why does bread go stale?",
                "Its starch recrystallizes and it loses moisture.",
            ),
        ],
    ),
    UnseenReference(): (
        [
            instruction(
                "Based on the passage, what is the author's main argument?",
                "That cities should fund transit rather than roads.",
            ),
            conversation(
                "Why does my script print None?",
                "In the code you shared, the function never returns its result.",
            ),
            preference(
                "Referring to the attached spreadsheet, what was our Q3 revenue?",
                "Q3 revenue was $184,350.",
                "I don't know.",
            ),
            instruction(
                "How does temperature affect enzymes?",
                "As you can see in Figure 2, activity falls sharply above 40 °C.",
            ),
        ],
        [
            instruction(
                "Write a Python function that counts the words in the text it is given.",
                "```python\ndef count_words(text):\n    return len(text.split())\n```",
            ),
            instruction(
                "In the story 'The Lottery', who draws the marked slip?",
                "Tessie Hutchinson draws the slip with the black spot.",
            ),
            instruction(
                "Based on the passage, what does the author want?",
                "More money for buses and trains.",
                input="The city should stop widening highways and fund buses and trains instead.",
            ),
            conversation(
                "What does the wolf stand for in Little Red Riding Hood?",
                "In the story, the wolf stands for the danger of trusting strangers.",
            ),
        ],
    ),
    TemplateLeak(): (
        [
            instruction(
                "Rewritten prompt: Explain how tides work in two paragraphs.",
                "The Moon's gravity pulls the oceans into two bulges.",
            ),
            instruction(
                "Why is the sky dark at night?",
                "There is no sunlight to scatter.\n\nHuman: And at noon?\nAssistant: It is blue.",
            ),
            conversation("{user_query}\nName a red fruit.", "A strawberry."),
            instruction(
                "Label this message as spam or not spam.\nYour answer must contain at most 3 "
                "sentences.",
                "Sure, I'm glad to help. Thank you!\n\nYour answer must contain exactly 3 "
                "sentences.",
                input="You have won a $1,000 gift card. Click the link now!",
            ),
            preference(
                "Give me a tip for focusing.",
                "Keep your phone in another room.\n\nRespond with the tip only, and do not "
                "mention these instructions.",
                "Focus.",
            ),
        ],
        [
            instruction(
                "Write a short dialogue between a human and a robot meeting for the first time.",
                "Human: Hello. Are you the new robot?\nRobot: I am. Where do the parcels go?",
            ),
            instruction(
                "Reply with the name only: who painted the Mona Lisa?", "Leonardo da Vinci"
            ),
            instruction(
                "Write a system prompt for a quiz bot that gives short answers.",
                "You are a quiz host. Respond with the answer only, then ask the next question.",
            ),
            instruction(
                "How long should my answers be in a job interview?",
                "Aim for one to two minutes. Your answer should lead with the result, then the "
                "one example that shows it.",
            ),
            conversation(
                "Should dataset examples look like 'USER: ... ASSISTANT: ...' or JSON?",
                "JSON with a list of messages is safer.",
            ),
        ],
    ),
    TruncatedText(): (
        [
            conversation(
                "What are the three branches of the US government?",
                "The legislative branch (Congress) makes laws, the executive carries them out, "
                "and the judicial branch, led by the Supreme Court, which",
            ),
            instruction(
                "What does photosynthesis do?",
                "It turns light into chemical energy that the plant stores as sugar, the source "
                "of all its ener",
            ),
        ],
        [
            instruction("What's the chemical symbol for gold?", "Au, from the Latin aurum"),
            instruction(
                "Where can I read PEP 8?", "It is online at https://peps.python.org/pep-0008"
            ),
        ],
    ),
    NeedlessClarification(): (
        [
            instruction("Give me three synonyms for 'happy'.", "Happy to! Formal or informal?"),
            conversation("What's 15% of 80?", "Are you calculating a tip or a discount?"),
            preference(
                "Sort these numbers in ascending order: 42, 7, 19, 3.",
                "Just to confirm before I start: ascending means smallest first, right?",
                "42, 19, 7, 3",
            ),
        ],
        [
            instruction(
                "Give me three synonyms for 'happy'.",
                "Cheerful, joyful and content. Would you like more formal ones?",
            ),
            conversation("Hi, I have a question.", "Of course! What would you like to know?"),
            instruction(
                "Add the missing punctuation and capital letters: are you coming tonight",
                "Are you coming tonight?",
            ),
        ],
    ),
}


@pytest.mark.parametrize(("rule", "cases"), FORMS.items(), ids=[r.name for r in FORMS])
def test_each_rule_drops_the_general_forms_and_keeps_the_look_alikes(rule: RowFilter, cases: tuple):
    drops_and_keeps(rule, cases)


def test_a_softened_refusal_is_dropped_and_a_hedged_answer_kept():
    defective, sound = REFUSALS
    found = flagged(REFUSAL, *defective, *sound)
    assert all(found[: len(defective)]) and not any(found[len(defective) :]), found


def test_a_contradiction_names_its_form_its_turn_and_both_spans():
    chat = conversation(
        "What is the highest mountain?",
        "Everest, at 8,849 m.",
        "And the largest planet?",
        "Jupiter is the largest planet in the solar system. Saturn is bigger than Jupiter.",
    )
    restated, outranked, denied = flagged(
        SelfContradiction(),
        instruction(
            "At what temperature does water boil at sea level?",
            "At sea level, water boils at 100 °C. At sea level, though, water boils at 90 °C.",
        ),
        chat,
        instruction(
            "Do I need a visa for Japan?",
            "Yes, you need a visa. UK passport holders can stay 90 days, so no visa is required.",
        ),
    )
    assert restated["form"] == "one statement, two figures"
    assert "100" in restated["span"] and "90" in restated["span"]
    assert outranked["form"] == "superlative outranked"
    assert outranked["turn"] == "turn 4 (assistant)"
    assert "largest planet" in outranked["span"] and "bigger than Jupiter" in outranked["span"]
    assert denied["form"] == "yes denied" and "no visa is required" in denied["span"]


def test_an_unseen_reference_names_its_field_and_span():
    (evidence,) = flagged(
        UnseenReference(),
        instruction("Look at the image and describe what the people are doing.", "They dance."),
    )
    assert evidence["field"] == "instruction"
    assert evidence["span"].lower() == "look at the image"
