"""The request and answer rules keyed on the shape of a defect rather than the words of the
set's rows: material pointed at and never given, a remark taken for a task, a reference to
what the reader never saw, an answer cut in a table or after a clause; each in every row kind
the rule reads, beside the look-alikes that share its words."""

from __future__ import annotations

import json

import pytest

from assets.filters.defects.answers import NeedlessClarification, TruncatedText
from assets.filters.defects.artifacts import AiDisclaimer, TemplateLeak
from assets.filters.defects.requests import EmptyQuestion, NotATask, UnseenReference
from assets.steps import RowFilter
from tests.unit.assets.filters import test_defect_rules as base
from tests.unit.assets.filters.test_defect_forms import with_system

pytestmark = pytest.mark.unit

conversation, instruction, preference = base.conversation, base.instruction, base.preference
flagged = base.flagged


# rule -> (defective records, sound look-alikes)
SHAPES: dict[RowFilter, tuple[list[dict], list[dict]]] = {
    # Material pointed at ("this", "the following", "my cover letter", "the poem I wrote",
    # "of the options") with nothing there, and a turn that announces and stops.
    EmptyQuestion(): (
        [
            instruction("Grade this essay out of ten.", "8/10: clear, but the ending is weak."),
            instruction("Proofread my résumé for mistakes.", "Two typos: 'manger' and 'teh'."),
            instruction("Classify the following tweet as spam or not spam.", "Spam."),
            preference(
                "Give me notes on the short story I wrote.",
                "The dialogue is sharp but the middle drags.",
                "Nice story.",
            ),
            conversation("Which of the choices is cheapest?", "The second one, at $12."),
            conversation("Does this sentence sound natural?", "Yes, it reads naturally."),
            conversation(
                "What is the capital of Kenya?", "Nairobi.", "Right, another question:", "Lima."
            ),
        ],
        [
            instruction(
                "Grade this essay out of ten.",
                "7/10.",
                input="Dogs are loyal. They guard homes and comfort people.",
            ),
            instruction("Proofread my résumé for mistakes: 'Managre at Teh Bakery'.", "Fixed."),
            instruction("Classify the following tweet as spam or not spam: 'WIN A PHONE'", "Spam."),
            preference(
                "Give me notes on this essay about tides.",
                "Explain why there are two tides a day.",
                "Fine.",
            ),
            conversation("Which of the choices is cheapest: $12, $15 or $9?", "The third, at $9."),
            conversation("Does this sentence sound natural? `Me and him went.`", "Not quite."),
            conversation(
                "What is the capital of Kenya?",
                "Nairobi.",
                "Right, another question: what is the capital of Peru?",
                "Lima.",
            ),
            conversation("I'll paste my essay below, can you mark it?", "Sure, go ahead."),
            conversation("I'll send you the file later; for now, what do you accept?", "CSV."),
            instruction("Review my essay.", "Please paste your essay and I'll review it."),
        ],
    ),
    # A remark answered as one (agreement, congratulations), a story line, an exclamation, a
    # plural subject with its verb, an opinion after "Honestly,".
    NotATask(): (
        [
            instruction("Lovely autumn colours this year.", "They really are! The maples ..."),
            instruction("Honestly, nothing beats homemade soup.", "Agreed, it's so warming."),
            instruction("Bees visit thousands of flowers every single day.", "Yes, a colony ..."),
            instruction(
                "Long ago, in a town by the sea, there lived a lonely baker.",
                "Every night he baked one loaf too many.",
            ),
            preference("What a sunset tonight!", "It was! The sky went pink.", "Sunsets are red."),
            # (As an instruction, news asks for nothing; in a conversation, celebrated, it is
            # sound talk since round 17: see the sound side.)
            instruction("Got my exam results today.", "Congratulations! That's a big day."),
            conversation("Winters here are brutal.", "They can be!", "Totally.", "Stay warm!"),
            # An instruction row's only answer asking back teaches nothing.
            instruction("I am a helpful AI, and I help with any text.", "What's on your mind?"),
        ],
        [
            instruction("Autumn colours: three places to see them in England.", "1. Westonbirt"),
            instruction(
                "Honestly, nothing beats homemade soup. Give me a lentil soup recipe.", "Fry ..."
            ),
            instruction(
                "Continue this in two or three sentences: Long ago there lived a baker.", "."
            ),
            instruction("Tips for beginners who want to keep bees in a city garden.", "Start ..."),
            preference("What a sunset! Why is it so red?", "Dust scatters blue light.", "Sun."),
            conversation(
                "Got my exam results today. What can I do with a B in maths?", "A-levels."
            ),
            conversation("Got my exam results today.", "Congratulations! That's a big day."),
            conversation(
                "Winters here are brutal.",
                "They can be! Anything I can help with?",
                "Yes, how do I stop my pipes freezing?",
                "Lag them and keep the heating on low.",
            ),
            conversation("My cat keeps scratching the sofa.", "Put a scratching post next to it."),
            conversation("Here's the situation: my landlord kept my deposit.", "What reason?"),
            # A choice, a check or a tag question is a task; quoted material is no statement.
            instruction("True or false: the Sun is a star.", "True."),
            instruction("Confirm that 7 is a prime number.", "Yes: its only divisors are 1 and 7."),
            preference("Bats are blind, right", "No, most bats see well.", "Yes."),
            conversation("Sentiment of 'I loved every minute of it'.", "Positive."),
        ],
    ),
    # Material the user says they gave, what "you forwarded" or "your results" say, an
    # earlier section or a second paragraph that never was, "the same pattern" with none.
    UnseenReference(): (
        [
            instruction("Using the table I attached, find the total cost.", "The total is $40."),
            instruction("What does the second paragraph argue?", "That cities need trams."),
            instruction("Write three more in the same format.", "1. A 2. B 3. C"),
            instruction(
                "What is recursion?",
                "As discussed in the previous chapter, functions can call other functions.",
            ),
            preference(
                "Which plan is better?",
                "Of the two plans you forwarded, the second is cheaper.",
                "The first.",
            ),
            conversation("Is my blood pressure OK?", "Looking at your results, it's a bit high."),
            conversation("What's wrong with my sink?", "From the photo, the trap is blocked."),
            conversation("Name this bird.", "A robin.", "And the one in this picture?", "A wren."),
        ],
        [
            instruction(
                "Using the table below, find the total cost.",
                "$40.",
                input="| Item | Cost |\n|---|---|\n| Pen | $10 |\n| Book | $30 |",
            ),
            instruction("Write the second paragraph of a ghost story.", "The door creaked."),
            instruction("Write three haiku in the same style as Basho.", "An old pond ..."),
            instruction("What's the first line of the Declaration of Independence?", "When ..."),
            preference(
                "Which plan is better: A at $30 a month or B at $25?",
                "Of the two plans you gave, B is cheaper.",
                "A.",
            ),
            conversation(
                "Is my blood pressure OK? It was 150 over 95.",
                "Looking at your results, it's high; see your GP.",
            ),
            conversation(
                "Is the photo in my passport still valid after ten years?",
                "From the photo alone, no: passports expire, not photos.",
            ),
            conversation(
                "What's a good book on Rome?",
                "SPQR by Mary Beard.",
                "Is it long?",
                "As I explained earlier, it's a general history of about 600 pages.",
            ),
        ],
    ),
    # Cut after a clause with a semicolon, on a number, inside a table row, inside a
    # capitalized list item.
    TruncatedText(): (
        [
            instruction(
                "How do I store basil?",
                "Keep it in a glass of water on the counter; the fridge turns the leaves black, "
                "and a sealed bag makes them go slimy within a day or so unless you",
            ),
            instruction(
                "How long do I roast a chicken?",
                "Rub the chicken with butter and salt, then roast it in a hot oven at 200 °C "
                "for about 80",
            ),
            preference(
                "Compare cats and dogs in a table.",
                "| Trait | Cats | Dogs |\n|---|---|---|\n| Walks | No | Yes |\n| Noise | Low |",
                "Dogs.",
            ),
            conversation(
                "Name the months of spring.",
                "March to May.",
                "And of summer?",
                "The summer months are June, July and Augu",
            ),
        ],
        [
            instruction(
                "How do I store basil?",
                "Keep it in a glass of water on the counter; the fridge turns the leaves black.",
            ),
            instruction("Write a loop in C.", "for (int i = 0; i < 10; i++) { sum += i; }"),
            preference(
                "Compare cats and dogs in a table.",
                "| Trait | Cats | Dogs |\n|---|---|---|\n| Walks | No | Yes |\n| Noise | | Loud |",
                "Dogs.",
            ),
            conversation(
                "Who was at the meeting?", "Anna, Ben and Carl.", "Who chaired?", "Anna, Ben"
            ),
            conversation("Sign it for me.", "Thanks again for everything.\n\nBest wishes,\nMaya"),
        ],
    ),
    # Asking back is right when the request asks nothing or orders a thing without saying
    # which one.
    NeedlessClarification(): (
        [
            instruction("Translate 'thank you' into German.", "Formal or informal German?"),
            conversation("What's 10% of 250?", "Is this for a tip or a discount?"),
            preference("Sort 3, 1, 2 from smallest to largest.", "Ascending or descending?", "3"),
        ],
        [
            preference("I want to buy a bike.", "Happy to help! What kind of riding?", "Buy one."),
            conversation("Here are my grades for the year: A, B, B, C.", "What would you like?"),
            conversation("I'd like to order a pizza.", "Of course! Which pizza would you like?"),
        ],
    ),
    # A user who asks about the assistant itself may be told what it is.
    AiDisclaimer(): (
        [
            instruction(
                "Do you have a good pancake recipe?",
                "As an AI language model, I don't have recipes of my own, but ...",
            ),
            conversation("Can you write a poem?", "As an AI language model, I can try."),
            preference("Do you have tips for sleep?", "As an AI, I don't sleep, but ...", "No."),
        ],
        [
            instruction(
                "Do you have emotions?", "No. As an AI language model, I don't feel emotions."
            ),
            conversation("Are you sentient?", "No, I'm an AI language model without awareness."),
            preference(
                "Do you have feelings?", "No. As an AI language model, I have none.", "Yes."
            ),
        ],
    ),
    # A template marker named in quotes is a mention, not a leak.
    TemplateLeak(): (
        [
            instruction("Make this question harder: what is 2+2?", "#Rewritten Prompt#: ..."),
            preference("Make it harder: what is 2+2?", "What is 17 x 23?", "#Rewritten Prompt#: x"),
        ],
        [
            conversation(
                "How does Evol-Instruct work?",
                "The model rewrites a '#Given Prompt#' into a harder '#Rewritten Prompt#'.",
            ),
            preference(
                "What does Evol-Instruct's template look like?",
                "It opens with a '#Given Prompt#' header.",
                "It has a header.",
            ),
        ],
    ),
}


@pytest.mark.parametrize("rule,cases", SHAPES.items(), ids=lambda v: getattr(v, "name", ""))
def test_each_rule_drops_the_shape_and_keeps_the_look_alikes(rule: RowFilter, cases: tuple):
    base.drops_and_keeps(rule, cases)


def test_an_announcement_with_nothing_after_it_names_its_turn():
    chat = conversation(
        "What is the capital of Kenya?", "Nairobi.", "Thanks! One more thing:", "Lima."
    )
    (evidence,) = flagged(EmptyQuestion(), chat)
    assert evidence["turn"] == "turn 3 (user)" and evidence["span"] == "Thanks! One more thing:"


def test_a_request_after_a_system_prompt_is_read_as_the_opening():
    found = flagged(
        UnseenReference(),
        with_system("You are a tutor.", "What is the main idea of the second paragraph?", "X."),
        with_system(
            "You are a tutor.",
            "What is the main idea of the second paragraph?\n\nTowns grew.\n\nRailways came.",
            "Railways.",
        ),
    )
    assert found[0]["turn"] == "turn 2 (user)" and found[1] is None


def test_a_table_cut_mid_row_names_the_last_row():
    (evidence,) = flagged(
        TruncatedText(),
        conversation(
            "Capitals?", "| Country | Capital |\n|---|---|\n| Kenya | Nairobi |\n| Ghana |"
        ),
    )
    assert evidence["turn"] == "turn 2 (assistant)"
    assert json.dumps(evidence["span"]).endswith('| Ghana |"')
