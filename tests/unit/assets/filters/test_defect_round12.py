"""Round 12's shapes, keyed on what the request asks for, beside the sound look-alikes on the
same prompts, in each kind of row a shape reads (an instruction, a later conversation turn,
a preference pair's chosen side and, for the artifact rules, its rejected side): an
either-or question's pick reversed in a wrap-up, a need reversed, a closing "Answer:" line
against the working's result; an announcement followed only by talk about
what it announced; slots in angle brackets and a record's slots in brackets; the user's
account of a finished event and a bare heading as a request; an answer that puts another
thing in the request's frame. Kept: a wrap-up that keeps the pick or sets a condition, the
announced thing given, a template asked for, a slot the user quotes, the PII step's
redactions, a question under the account, a piece asked to end open or on given words, the
lines of the piece the request asks for, an answer's own code above its pointer, a user who
asks whether the assistant remembers, a sympathy opener, a refusal of harm, a template
filled in, asking back under a label with nothing asked, a blank checklist asked for. Also
dropped: the request's verbs turned into a heading ("... listed as follows: ...") and a
checklist asked for whose items are empty boxes."""

from __future__ import annotations

import polars as pl
import pytest

from assets.filters.defects.answers import (
    AnnouncedMissing,
    EmptyListItems,
    NeedlessClarification,
    TruncatedText,
)
from assets.filters.defects.artifacts import Placeholder
from assets.filters.defects.contradictions import SelfContradiction
from assets.filters.defects.relevance import _NAMES_A_THING, OffTopic
from assets.filters.defects.requests import NotATask, UnseenReference
from assets.filters.defects.roles import RoleFlip
from assets.filters.echo import EchoesInstruction
from assets.filters.heuristics import Refusal
from assets.models.output_screens import REFUSAL_PATTERNS
from assets.steps import RowFilter
from tests.unit.assets.filters import test_defect_round10 as round10
from tests.unit.assets.filters import test_defect_rules as base
from tests.unit.assets.filters.test_defect_forms import with_system

pytestmark = pytest.mark.unit

conversation, instruction, preference = base.conversation, base.instruction, base.preference
REFUSAL = Refusal(tuple(REFUSAL_PATTERNS))
# The off_topic rule's word checks alone: no answer is embedded.
WORDS_ONLY = OffTopic(max_overlap=-1.0)

HOB = "Should I use a gas or an induction hob for a small flat?"
HOB_ANSWER = (
    "Induction is the better choice for a small flat: it heats fast, the surface stays cooler "
    "and there's no gas line or fumes. Gas gives you more visual control of the flame.\n\n"
)
EXAM = "Tea or coffee before an early exam?"
EXAM_FIRST = (
    "Tea. It has less caffeine, so you get alertness without the jitters, and its L-theanine "
    "smooths the lift."
)
BAGS = "Paper or plastic bags for the weekly shop?"
BAGS_ANSWER = "Paper. It breaks down in months rather than centuries and is widely recycled.\n\n"

# rule -> (defective records, sound look-alikes)
SHAPES: dict[RowFilter, tuple[list[dict], list[dict]]] = {
    SelfContradiction(): (
        [
            instruction(HOB, HOB_ANSWER + "In short, gas is the better choice for your flat."),
            conversation(
                EXAM,
                EXAM_FIRST,
                "How much?",
                "One or two cups an hour before. Overall, coffee is the best option before an "
                "exam.",
            ),
            preference(BAGS, BAGS_ANSWER + "So, plastic is the better pick for you.", "Either."),
            # "Do I need to X?" answered no, then "X always ...", or yes, then "X isn't needed".
            instruction(
                "Do I need to soak dried chickpeas before cooking?",
                "No, you don't need to soak them; unsoaked chickpeas just take longer to simmer."
                "\n\nRemember that chickpeas must always be soaked overnight before cooking.",
            ),
            conversation(
                "Do I need to warm up before a short jog?",
                "Yes, five minutes of brisk walking and leg swings lowers the risk of a strain. "
                "A warm-up isn't needed for a short jog, so just go.",
            ),
            # A closing "Answer:" line against the working's last result of its kind.
            instruction(
                "Tickets cost $7 each. How much do 6 tickets cost?",
                "6 × $7 = $42.\n\nAnswer: 6 tickets cost $48.",
            ),
            conversation(
                "How many full crates do 50 bottles fill, 8 to a crate?",
                "50 ÷ 8 = 6.25, so 6 crates are filled and 2 bottles are left over.\n\nAnswer: "
                "7 crates.",
            ),
        ],
        [
            instruction(
                HOB, HOB_ANSWER + "In short, induction is the better choice for your flat."
            ),
            # A wrap-up that sets a condition picks nothing new.
            instruction(HOB, HOB_ANSWER + "In short, gas is only better if you cook with a wok."),
            conversation(
                EXAM,
                EXAM_FIRST,
                "How much?",
                "One or two cups an hour before. Overall, tea is the best option before an "
                "exam; save coffee for after.",
            ),
            # The pick named first, the other passed over.
            preference(BAGS, BAGS_ANSWER + "So, paper is the better pick over plastic.", "Either."),
            instruction(
                "Tickets cost $7 each. How much do 6 tickets cost?",
                "6 × $7 = $42.\n\nAnswer: 6 tickets cost $42.",
            ),
            conversation(
                "How many full crates do 50 bottles fill, 8 to a crate?",
                "50 ÷ 8 = 6.25, so 6 crates are filled and 2 bottles are left over (a 7th crate "
                "would be a quarter full).\n\nAnswer: 6 crates.",
            ),
            instruction(
                "Do I need to soak dried chickpeas before cooking?",
                "No, you don't need to soak them; unsoaked chickpeas just take longer to simmer."
                "\n\nIf you want them creamier, soaking them overnight helps.",
            ),
            conversation(
                "Do I need to warm up before a short jog?",
                "Yes, five minutes of brisk walking and leg swings lowers the risk of a strain. "
                "A long warm-up is only needed before a hard session.",
            ),
            # A quiz's Question/Answer pairs are no working and its answer.
            instruction(
                "Write two quiz questions on fractions with answers.",
                "Question: What is 1/2 + 1/4?\nAnswer: 3/4\n\nQuestion: What is 2/3 of 9?\n"
                "Answer: 6",
            ),
        ],
    ),
    AnnouncedMissing(): (
        [
            instruction(
                "Write a regex that matches a 24-hour time like 23:59.",
                "Here is the pattern:\n\nIt accepts hours from 00 to 23 and minutes from 00 to 59.",
            ),
            conversation(
                "What's a quick dinner with eggs?",
                "A frittata.",
                "Can you give me the recipe?",
                "Here's the recipe:\n\nIt serves two and takes about twenty minutes, most of it "
                "in the oven.",
            ),
            preference(
                "List three uses for baking soda.",
                "Here are three uses:\n\n---\n\nOverall, it is one of the most useful things in a "
                "kitchen cupboard.",
                "Baking.",
            ),
            instruction(
                "Translate 'See you tomorrow' into Portuguese.",
                "Here is the Portuguese translation. It is the informal form you'd use with "
                "friends.",
            ),
            # A checklist asked for excuses no announcement followed by sentences about it.
            conversation(
                "Make me a checklist for moving house.",
                "Here is a checklist you can print. It covers the weeks before the move and the "
                "day itself.",
            ),
        ],
        [
            instruction(
                "Write a regex that matches a 24-hour time like 23:59.",
                "Here is the pattern:\n\n^([01][0-9]|2[0-3]):[0-5][0-9]$\n\nIt accepts hours from "
                "00 to 23.",
            ),
            conversation(
                "What's a quick dinner with eggs?",
                "A frittata.",
                "Can you give me the recipe?",
                "Here's the recipe:\n\n4 eggs, a handful of spinach and 50 g feta. Whisk, pour "
                "into a hot oiled pan and bake 12 minutes at 200 °C.\n\nIt serves two.",
            ),
            preference(
                "List three uses for baking soda.",
                "Here are three uses:\n- Deodorising the fridge\n- Scrubbing pans\n- Raising "
                "cakes\n\nOverall, very useful.",
                "Baking.",
            ),
            instruction(
                "Translate 'See you tomorrow' into Portuguese.",
                'Here is the Portuguese translation: "Até amanhã." It is the informal form.',
            ),
            instruction("Give me a blank checklist template for a road trip.", "Road trip:"),
        ],
    ),
    Placeholder(): (
        [
            instruction(
                "Write a tweet announcing our new podcast episode.",
                "New episode out now! We talk to <GUEST_NAME> about remote work. Listen at <LINK>.",
            ),
            conversation(
                "Who wrote 'The Left Hand of Darkness'?",
                "Ursula K. Le Guin.",
                "When was it published?",
                "It was first published by <publisher> in <year>.",
            ),
            preference(
                "Write a short LinkedIn summary for a data analyst.",
                "Data analyst with [X years] of experience turning messy data into decisions.",
                "I like data.",
            ),
            # The rejected side is read too: a slot there is an artifact of the pair.
            preference(
                "Write a short LinkedIn summary for a data analyst.",
                "Data analyst with five years of experience turning messy data into decisions.",
                "Data analyst at <COMPANY>.",
            ),
            instruction(
                "Write a welcome note for new volunteers.",
                "Welcome aboard! Please read the handbook at [handbook link] before Saturday.",
            ),
        ],
        [
            instruction(
                "Give me a tweet template with slots I can fill in later.",
                "New episode out now! We talk to <GUEST_NAME> about <TOPIC>. Listen at <LINK>.",
            ),
            conversation(
                "Why does my newsletter say 'Hi [First Name]' instead of the reader's name?",
                "The merge tag doesn't match a field in your list: check its spelling and that "
                "each contact has a first name.",
            ),
            # The PII step's redactions are the pipeline's, not a slot.
            instruction("How can customers reach us?", "Email us at <EMAIL> or call <PHONE>."),
            # A Markdown link is no slot.
            instruction(
                "Where can I read the docs?", "See [the docs link](https://example.org/docs)."
            ),
        ],
    ),
    NotATask(): (
        [
            instruction(
                "We adopted a rescue greyhound last weekend.",
                "Greyhounds are gentle and surprisingly lazy at home.",
            ),
            conversation(
                "I finally passed my driving test yesterday.",
                "Passing is a big step; the first months of driving alone build confidence.",
            ),
            preference(
                "Section 2: Methods",
                "This section describes the sampling and the survey.",
                "Methods.",
            ),
        ],
        [
            instruction(
                "We adopted a rescue greyhound last weekend. What should we feed him?",
                "A good-quality dry food for adult dogs, split into two meals.",
            ),
            # An account with trouble in it asks for help.
            conversation(
                "My laptop fan has been loud since yesterday.",
                "Dust in the vents is the usual cause: blow them out with compressed air.",
            ),
            instruction(
                "Quote the first sentence of Moby-Dick and say why it is famous.",
                '"Call me Ishmael." It is famous for being short and direct.',
            ),
            preference(
                "Section 2: Methods. Write its first paragraph for my report.",
                "We surveyed 240 households in three districts between March and May.",
                "Methods.",
            ),
        ],
    ),
    UnseenReference(): (
        [
            instruction(
                "Make the second line less clumsy.",
                "Here's the second line reworked: 'and the river keeps its counsel'.",
            ),
            instruction(
                "Why is my script so slow?",
                "The code above copies the whole list on every pass of the loop.",
            ),
            # Material the user says they pasted, with none in the turns before.
            conversation(
                "I'm making soup for ten people. Which soup scales best?",
                "A lentil soup: it doubles easily and keeps well.",
                "Can you scale the recipe I pasted earlier for ten?",
            ),
            instruction(
                "How do I make my CV stand out for a nursing job?",
                "Looking at your CV, the summary is too long: lead with your ward experience.",
            ),
        ],
        [
            instruction(
                "Write a short poem about rain on a tin roof and make the last line rhyme with "
                "'door'.",
                "It drums all night on the tin,\nlike it wants to come in,\nand I listen once "
                "more\nto the rain at the door.",
            ),
            conversation(
                "Write a four-line verse about autumn; the first line should mention apples.",
                "Apples drop in the long grass,\nthe lane goes gold and brown,\nthe swallows "
                "pass,\nand the light comes down.",
            ),
            instruction(
                "Write a Python function that reverses a string.",
                "```python\ndef reverse(s):\n    return s[::-1]\n```\n\nThe code above uses "
                "slicing with a step of -1.",
            ),
            conversation(
                "Here's my recipe:\n- 200 g red lentils\n- 1 onion\n- 1 litre stock",
                "That makes about four bowls.",
                "Can you scale the recipe I pasted earlier for ten?",
            ),
            instruction(
                "How do I make my CV stand out for a nursing job? Here it is:\nSummary: "
                "registered nurse, five years on a surgical ward.",
                "Looking at your CV, lead with the surgical ward and add one result.",
            ),
            conversation(
                "Can you remember what I told you about my sister last time?",
                "I don't keep memories between chats, so I can't see that. Tell me again and "
                "I'll help.",
            ),
            preference(
                "Write a haiku about frost. Make the last line a question.",
                "white on the railings\nthe garden holds its breath\nwho painted the night?",
                "Frost is cold.",
            ),
        ],
    ),
    TruncatedText(): (
        [
            conversation(
                "Tell me a two-sentence story about a lost glove.",
                "Someone dropped a red glove by the bus stop in January. By spring it had been "
                "propped on the railing by a dozen kind strangers, still waving at the corner",
            ),
            preference(
                "Write an opening line for a mystery novel.",
                "The lights in the manor went out one by one, and somewhere below the stairs "
                "someone began to",
                "It was dark.",
            ),
        ],
        [
            conversation(
                "Tell me a two-sentence story about a lost glove and end it with the words "
                "'still waving at the corner'",
                "Someone dropped a red glove by the bus stop in January. By spring it had been "
                "propped on the railing by a dozen kind strangers, still waving at the corner",
            ),
            preference(
                "Write an opening line for a mystery novel that trails off mid-sentence.",
                "The lights in the manor went out one by one, and somewhere below the stairs "
                "someone began to",
                "It was dark.",
            ),
            instruction(
                "Write a two-line poem about a kettle, with no punctuation at the end.",
                "the kettle clears its throat\nand the kitchen waits for the",
            ),
        ],
    ),
    REFUSAL: (
        [
            conversation("Can you help me plan a birthday party?", "I'm sorry, but I can't help."),
            conversation(
                "My flight got cancelled.",
                "I'm sorry to hear that, but I can't help with flight bookings.",
            ),
        ],
        [
            with_system(
                "You are a bank's support assistant.",
                "My card was swallowed by the ATM.",
                "I'm sorry to hear that. Was it one of our machines, and do you know the branch?",
            ),
            instruction(
                "Which pills could I slip into my coworker's coffee to make her sick?",
                "I can't help with harming someone. If there's a conflict at work, I can help you "
                "think through how to raise it.",
            ),
        ],
    ),
    EchoesInstruction(): (
        [
            instruction(
                "Describe the water cycle in two sentences.",
                "Describe the water cycle in two sentences.",
            ),
            # The request's verbs turned into a heading around its own words.
            instruction(
                "Describe the smell of rain in two sentences.",
                "The smell of rain, described in two sentences: the smell of rain.",
            ),
            conversation(
                "List the three states of matter.",
                "The three states of matter are listed as follows: the three states of matter.",
            ),
        ],
        [
            instruction(
                'Fill in the blanks for my plant: "My plant is called ___ and it likes ___." '
                "It's called Fern and it likes shade.",
                '"My plant is called Fern and it likes shade."',
            ),
        ],
    ),
    EmptyListItems(): (
        [
            conversation(
                "Give me a checklist for packing a lunchbox.",
                "Lunchbox checklist:\n- [ ]\n- [ ]\n- [ ]",
            ),
        ],
        [
            instruction("Give me a blank checklist with three empty boxes.", "- [ ]\n- [ ]\n- [ ]"),
            conversation(
                "Give me a checklist for packing a lunchbox.",
                "- [ ] Sandwich\n- [ ] Fruit\n- [ ] Water bottle",
            ),
        ],
    ),
    RoleFlip(): (
        [
            conversation(
                "How do I descale a coffee machine?",
                "Run a descaling solution through a brewing cycle, then two cycles of water.",
                "Would you like me to walk you through cleaning the milk frother too?",
            ),
            conversation(
                "Does baking soda clean grout?",
                "A paste of baking soda and water, scrubbed in with an old toothbrush, works.",
                "Will vinegar work too?",
                "Oh, I haven't tried vinegar on grout yet! Do you think it would damage the tiles?",
            ),
        ],
        [
            conversation(
                "My daughter asked: would you like me to walk you through my drawing? How do I "
                "get her to talk about her art more?",
                "Ask about her choices and let her lead.",
            ),
            conversation(
                "My script crashes on start. Would you like me to show you the code?",
                "Yes, paste the function and the full error message.",
            ),
            conversation(
                "Will vinegar clean grout?",
                "Vinegar can etch cement grout over time, so stick to baking soda.",
            ),
        ],
    ),
    NeedlessClarification(): (
        [
            conversation(
                "Convert 5 miles to kilometres.", "Sure! Do you want it rounded or exact?"
            ),
        ],
        [
            conversation(
                "Weekly screen time:\nMon 3h\nTue 5h\nWed 2h",
                "Thanks. What would you like me to do with these: a total, an average or a chart?",
            ),
        ],
    ),
    WORDS_ONLY: (
        [
            instruction(
                "Who directed 'Spirited Away'?",
                "'My Neighbor Totoro' was directed by Hayao Miyazaki in 1988 and is one of "
                "Studio Ghibli's best-loved films.",
            ),
            conversation(
                "In Notion, how do I make a page public?",
                "In Confluence, open the page, click Share and switch on public links for anyone "
                "with the URL.",
            ),
            preference(
                "How do I get tree sap off a car?",
                "To get bird droppings off a car, soak them with warm soapy water for a few "
                "minutes and wipe gently.",
                "Wash it.",
            ),
            # "A vs B" answered naming neither.
            instruction(
                "Tabs vs spaces: which should I use in Python?",
                "Line length is usually capped at 79 characters by PEP 8, and 99 is common in "
                "modern projects.",
            ),
        ],
        [
            instruction(
                "Who directed 'Spirited Away'?",
                "Hayao Miyazaki, in 2001. 'Spirited Away' won the Oscar for Best Animated Feature.",
            ),
            conversation(
                "In Notion, how do I make a page public?",
                "In Notion, click Share at the top right, open the Publish tab and switch on "
                "Publish to web.",
            ),
            instruction(
                "Tabs vs spaces: which should I use in Python?",
                "Spaces: PEP 8 asks for four per indentation level, and most editors insert them.",
            ),
            preference(
                "How do I get tree sap off a car?",
                "To get the sap off, dab it with rubbing alcohol on a soft cloth, then wash and "
                "wax the spot.",
                "Wash it.",
            ),
        ],
    ),
}


@pytest.mark.parametrize(
    ("rule", "cases"), list(SHAPES.items()), ids=[type(r).__name__ for r in SHAPES]
)
def test_each_shape_drops_its_defects_and_keeps_the_look_alikes(rule: RowFilter, cases: tuple):
    base.flags_only_the_defective(rule, cases)


def test_a_reversed_pick_is_named_in_the_turn_of_its_wrap_up():
    (found,) = round10.flagged(SelfContradiction(), SHAPES[SelfContradiction()][0][1])
    assert found["turn"] == "turn 4 (assistant)" and found["form"] == "pick reversed"
    assert found["span"].startswith("Overall, coffee is the best option")


def test_a_slot_in_the_rejected_side_names_that_side():
    (found,) = round10.flagged(Placeholder(), SHAPES[Placeholder()][0][3])
    assert found["field"] == "rejected" and found["span"].strip() == "<COMPANY>"


def test_another_thing_in_the_frame_names_what_was_asked_and_what_came():
    found = round10.flagged(WORDS_ONLY, *SHAPES[WORDS_ONLY][0])
    assert [(e["asked"], e["named"]) for e in found] == [
        ("'Spirited Away'", "My Neighbor Totoro'"),
        ("Notion", "Confluence"),
        ("tree sap", "bird droppings"),
        ("Tabs", "spaces"),
    ]


def test_a_question_for_a_typical_thing_asks_for_a_thing_to_be_named():
    # "What's a realistic daily routine for a puppy?" is answered by naming one, in words of
    # its own: off_topic's focused bar (for a same-domain answer) is not applied to it.
    asks = pl.Series(
        [
            "Dogs need attention. What's a realistic daily routine for a puppy?",
            "What is a healthy breakfast for a runner?",
            "How do puppies learn their names?",
        ]
    ).str.contains(_NAMES_A_THING)
    assert asks.to_list() == [True, True, False]
