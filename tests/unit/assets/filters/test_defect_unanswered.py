"""Answers that talk about what they were asked instead of giving it, keyed on the request:
a question between two things answered naming neither, a numbered thing answered about its
neighbour, an answer announced mid-paragraph and never shown, an echo closed by "Let's
explore." (and no echo in a word game's one-word turn answered first with that word), a quiz
the user asked to take turned round, a conclusion that restates a worked result with another
figure. Each in every row kind its rule reads, beside the look-alikes that share its words."""

from __future__ import annotations

import pytest

from assets.filters.defects.answers import AnnouncedMissing
from assets.filters.defects.contradictions import SelfContradiction
from assets.filters.defects.relevance import OffTopic
from assets.filters.defects.roles import RoleFlip
from assets.filters.echo import EchoesInstruction
from assets.steps import RowFilter
from tests.unit.assets.filters import test_defect_rules as base
from tests.unit.assets.filters.test_defect_forms import with_system

pytestmark = pytest.mark.unit

conversation, instruction, preference = base.conversation, base.instruction, base.preference
flagged = base.flagged

# The off_topic rule's word checks alone: no answer shares few enough words to be embedded
# (the cosine cascade is a flow test's, with the model).
WORDS_ONLY = OffTopic(max_overlap=-1.0)

# rule -> (defective records, sound look-alikes)
SHAPES: dict[RowFilter, tuple[list[dict], list[dict]]] = {
    WORDS_ONLY: (
        [
            instruction(
                "Should I learn to ski or snowboard first as an adult?",
                "Winter resorts in the Alps open in early December and close in April.",
            ),
            conversation(
                "How do I open a brokerage account?",
                "Pick a broker, fill in the form online and verify your ID.",
                "OK. What's the difference between a stock and a bond?",
                "For example, $1,000 at 5% compounded monthly grows to about $1,647.",
            ),
            preference(
                "What's the difference between latitude and longitude?",
                "The equator is about 40,075 km long and the axis is tilted by 23.4 degrees.",
                "Latitude is north-south, longitude east-west.",
            ),
            instruction(
                "What are the symptoms of type 2 diabetes?",
                "Type 1 diabetes is an autoimmune disease that usually starts in childhood.",
            ),
            conversation(
                "How do I install Python 3 on a Mac?",
                "Python 2 reached its end of life in 2020 and gets no security fixes.",
            ),
        ],
        [
            instruction(
                "Should I use tabs or spaces for indentation in Python?",
                "Four per level is the convention, and editors insert them when you press Tab.",
            ),
            conversation(
                "Is it safe to give my dog grapes or raisins?",
                "No, they can cause sudden kidney failure, even in small amounts.",
            ),
            instruction(
                "Is it better to rent or buy in my thirties?",
                "It depends on how long you stay: five years or more usually favours owning.",
            ),
            instruction(
                "Should I learn to ski or snowboard first as an adult?",
                "Skiing is easier for the first few days; snowboarding gets easier later.",
            ),
            preference(
                "What's the difference between latitude and longitude?",
                "Latitude measures north-south position; longitude measures east-west.",
                "The equator is long.",
            ),
            conversation(
                "How do I install Python 3 on a Mac?",
                "Run `brew install python`, then check `python3 --version`; Python 2 is gone.",
            ),
            instruction(
                "What were the main causes of World War 1?",
                "Militarism, rival alliances, imperial rivalry and nationalism; the 1914 "
                "assassination set it off.",
            ),
            instruction(
                "How long until I reach 60 words per minute?",
                "Most people reach 40 wpm in a month and 60 in about three months.",
            ),
        ],
    ),
    AnnouncedMissing(): (
        [
            instruction(
                "Write a SQL query for the ten biggest customers.",
                "Sure, here is the query you need. It joins the two tables and keeps the top ten.",
            ),
            instruction(
                "List the planets in order from the Sun.",
                "The planets in order are listed below. Remember them with a mnemonic.",
            ),
            conversation(
                "How do I reset a root password on Ubuntu?",
                "Here are the steps you need to follow. Once you have done them, reboot.",
            ),
            preference(
                "Write a Python function that reverses a string.",
                "Below is a function that does this. It slices the string backwards.",
                "def f(s): return s[::-1]",
            ),
        ],
        [
            instruction(
                "Write a SQL query for the ten biggest customers.",
                "Here is the query you need.\n\n```sql\nSELECT name FROM customers LIMIT 10;\n```",
            ),
            instruction(
                "List the planets in order from the Sun.",
                "The planets in order are listed below.\n\n1. Mercury\n2. Venus\n3. Earth",
            ),
            conversation(
                "How do I reset a root password on Ubuntu?",
                "Here are the steps. First, boot into recovery mode. Then run passwd root.",
            ),
            conversation(
                "Translate 'good night' into French.",
                "Here is the translation: 'bonne nuit'. It is what you say before bed.",
            ),
            instruction(
                "Why does my sourdough smell sour?",
                "Here's the thing. Lactic and acetic acid bacteria make it; that is normal.",
            ),
            preference(
                "Write a Python function that reverses a string.",
                "Below is a function that does this.\n\ndef reverse(s):\n    return s[::-1]",
                "It slices.",
            ),
        ],
    ),
    EchoesInstruction(): (
        [
            instruction(
                "What are three benefits of strength training for people over 60?",
                "Great question! What are three benefits of strength training for people over "
                "60? Let's explore.",
            ),
            conversation(
                "Why do onions make you cry?",
                "Why do onions make you cry? Let me break it down.",
            ),
            preference(
                "How does a heat pump work?",
                "Good question! How does a heat pump work? Let's dive in!",
                "It moves heat.",
            ),
        ],
        [
            instruction(
                "What are three benefits of strength training for people over 60?",
                "Stronger bones, better balance and steadier blood sugar. Let's look at each.",
            ),
            conversation(
                "Why do onions make you cry?",
                "Cutting them releases a sulphur gas that irritates your eyes. Let's fix that: "
                "chill the onion first.",
            ),
            instruction("Repeat after me: 'Let's explore.'", "Let's explore."),
            # A one-word request is the first word of its answer in a word game.
            conversation(
                "Let's play: I say a word and you say it backwards. 'stressed'",
                "desserts",
                "level",
                "level - it's a palindrome, so it reads the same backwards.",
            ),
            preference("Kayak", "Kayak is a palindrome: it reads the same backwards.", "Kayak"),
        ],
    ),
    RoleFlip(): (
        [
            conversation(
                "Can you quiz me on European capitals?",
                "Paris.",
                "Correct! Next: what's the capital of Portugal?",
                "Lisbon.",
            ),
            conversation(
                "Test me on my times tables, please.",
                "56?",
                "That's right! Now, what is 9 × 6?",
                "54.",
            ),
            conversation(
                "Could you recommend a novel for a flight?",
                "Project Hail Mary by Andy Weir.",
                "You're welcome! Enjoy your flight and happy reading!",
            ),
        ],
        [
            conversation(
                "Can you quiz me on European capitals?",
                "Sure! What's the capital of France?",
                "Paris.",
                "Correct! Next: what's the capital of Portugal?",
            ),
            conversation(
                "Let me quiz you on French words. What does 'chien' mean?",
                "Dog.",
                "Correct! Next: what does 'maison' mean?",
                "House.",
            ),
            conversation(
                "I'll think of an animal and you guess it. Quiz me with yes/no questions.",
                "Is it a mammal?",
                "Yes.",
                "Is it a dog?",
                "Correct! Well guessed.",
            ),
            conversation(
                "Thanks for the recommendation!",
                "You're welcome! Enjoy the book.",
            ),
            with_system(
                "Role-play: you are the student and I am the teacher quizzing you.",
                "Quiz me? No, I'll quiz you. Capital of Peru?",
                "Lima.",
            ),
        ],
    ),
    SelfContradiction(): (
        [
            instruction(
                "A shirt costs $40 and is 25% off. What is the sale price?",
                "25% of $40 is $10. The sale price is $40 - $10 = $30. So the shirt costs $35.",
            ),
            conversation(
                "What's 15% of 80?",
                "10% of 80 is 8 and 5% is 4, so 15% is 8 + 4 = 12. The answer is 14.",
            ),
            preference(
                "A train covers 240 km in 3 hours. Average speed?",
                "240 km ÷ 3 h = 80 km/h. Therefore the average speed is 60 km/h.",
                "80 km/h.",
            ),
            instruction(
                "How many hours of sleep do adults need?",
                "Most adults need 7 to 9 hours of sleep a night. In summary, 5 to 6 hours is "
                "enough for most adults.",
            ),
        ],
        [
            instruction(
                "A shirt costs $40 and is 25% off. What is the sale price?",
                "The sale price is $40 - $10 = $30. So you save $10.",
            ),
            instruction(
                "A jacket costs $80 and is 20% off. How much do I pay?",
                "20% of $80 is $16, so you pay $80 - $16 = $64. So you pay $69.12 with 8% tax.",
            ),
            conversation(
                "What's 15% of 80?",
                "10% of 80 is 8 and 5% is 4, so 15% is 8 + 4 = 12. The answer is 12.",
            ),
            instruction(
                "How many minutes are in a day?",
                "A day has 24 hours of 60 minutes, so 24 × 60 = 1,440 minutes. So a day has "
                "1,440 minutes.",
            ),
            instruction(
                "How many hours of sleep do adults need?",
                "Most adults need 7 to 9 hours a night. In summary, 7 to 9 hours, more when ill.",
            ),
        ],
    ),
}


@pytest.mark.parametrize("rule", list(SHAPES), ids=lambda rule: rule.name)
def test_the_rule_drops_each_unanswered_request_and_keeps_its_look_alikes(rule: RowFilter):
    base.drops_and_keeps(rule, SHAPES[rule])


def test_a_question_between_two_things_names_the_options_and_the_turn():
    (evidence,) = flagged(
        WORDS_ONLY,
        conversation(
            "What's a good way to learn touch typing?",
            "Use a free trainer for 15 minutes a day and keep your fingers on the home row.",
            "Which layout should I learn, QWERTY or Dvorak?",
            "Mechanical keyboards use switches such as Cherry MX Red, Brown or Blue.",
        ),
    )
    assert evidence["turn"] == "turn 4 (assistant)"
    assert (evidence["how"], evidence["asked"], evidence["named"]) == (
        "names neither option",
        "QWERTY",
        "Dvorak",
    )
    assert evidence["span"].startswith("Mechanical keyboards")


def test_a_neighbour_names_the_number_asked_and_the_one_answered():
    (evidence,) = flagged(
        WORDS_ONLY,
        instruction(
            "What are the symptoms of type 2 diabetes?",
            "Type 1 diabetes is an autoimmune disease that usually starts in childhood.",
        ),
    )
    assert (evidence["how"], evidence["asked"], evidence["named"]) == (
        "names another number",
        "type 2",
        "Type 1",
    )


def test_an_announcement_in_mid_paragraph_names_its_turn_and_span():
    (evidence,) = flagged(
        AnnouncedMissing(),
        conversation(
            "What are TCP and UDP?",
            "Two transport protocols: TCP is reliable, UDP is fast.",
            "Show me a minimal UDP client.",
            "Sure! Here is the script you need. It sends one message and prints the reply.",
        ),
    )
    assert evidence["turn"] == "turn 4 (assistant)"
    # The announcement and the talk about it that stands where the script should be.
    assert evidence["span"] == (
        "Here is the script you need. It sends one message and prints the reply."
    )


def test_a_quiz_turned_round_names_the_user_turn():
    (evidence,) = flagged(
        RoleFlip(),
        conversation("Quiz me on capitals.", "Paris.", "Well done! Next: Portugal?", "Lisbon."),
    )
    assert evidence["turn"] == "turn 3 (user)" and evidence["span"] == "Well done!"


def test_a_restated_result_names_both_figures():
    (evidence,) = flagged(
        SelfContradiction(),
        conversation(
            "A shirt costs $40 and is 25% off. What is the sale price?",
            "The sale price is $40 - $10 = $30. So the shirt costs $35 after the discount.",
        ),
    )
    assert evidence["form"] == "result restated" and evidence["turn"] == "turn 2 (assistant)"
    assert evidence["span"].startswith("$30 / $35")
