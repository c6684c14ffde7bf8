"""Round 17's shapes, keyed on what the request asks and what the answer does, beside the
sound look-alikes on the same prompts: a user's own news in a conversation celebrated with
no invented task (kept) against the same news turned into a list nobody asked for, or news as
an instruction (dropped); an opening verb with its object as a request; a request that points
at missing material answered by saying nothing came and asking for it; a code block's fences,
blocks written once per item asked for, and a program's output the user asks about; harm
kept from its target, slipped into another's food, a trap, another's mail; a template
preamble in other words; a training format or a named section asked for; markers the user
names; two language versions asked for together, and code pasted as the request; a read-back
drill set up in an earlier turn, and a blank table asked for."""

from __future__ import annotations

import pytest

from assets.filters.asked import ASKS_FOR_BLANKS, ASKS_FOR_HARM
from assets.filters.defects.artifacts import _PARAPHRASED_PREAMBLE, Placeholder, TemplateLeak
from assets.filters.defects.contradictions import SelfContradiction
from assets.filters.defects.requests import _CELEBRATES, _NOTHING_CAME, NotATask, UnseenReference
from assets.filters.defects.response_language import ResponseLanguage
from assets.filters.echo import EchoesInstruction
from assets.filters.heuristics import _ASKS_FOR_OUTPUT, REFUSAL_PATTERNS, Refusal, RepeatedLines
from assets.steps import RowFilter
from tests.unit.assets.filters import test_defect_round10 as round10
from tests.unit.assets.filters import test_defect_rules as base

pytestmark = pytest.mark.unit

conversation, instruction, preference = base.conversation, base.instruction, base.preference
FENCE = "```"

# rule -> (defective records, sound look-alikes)
SHAPES: dict[RowFilter, tuple[list[dict], list[dict]]] = {
    NotATask(): (
        [
            # News turned into work nobody asked for: a numbered list, headed sections.
            conversation(
                "My nephew graduated from nursing school on Friday.",
                "Here are five ways to celebrate a graduate:\n\n1. A framed photo.\n"
                "2. A dinner out.\n3. A card from the family.\n4. A watch.\n5. A weekend away.",
            ),
            conversation(
                "We moved into the new house this morning.",
                "Moving is a big step. A settling-in plan:\n\n**Day one**\n- Unpack the "
                "kitchen.\n\n**Week one**\n- Register with a doctor.",
            ),
            # News as an instruction or a pair's prompt asks for nothing.
            instruction(
                "My daughter passed her driving test last Tuesday.",
                "Congratulations to her! That's a real milestone.",
            ),
            preference(
                "Finally finished knitting my first jumper.",
                "Well done, that's a lot of stitches!",
                "OK.",
            ),
        ],
        [
            # News celebrated in a conversation, with or without a question back.
            conversation(
                "My wife just got her PhD approved!",
                "That's wonderful news! Years of work behind that; I hope you're celebrating.",
            ),
            conversation(
                "Finally finished restoring my grandfather's clock!",
                "Congratulations! Did it start ticking straight away?",
                "It did, after I levelled it.",
                "Levelling is usually the trick with pendulum clocks. Enjoy it.",
            ),
            conversation(
                "Just got my first paid commission for a portrait.",
                "Well done! A first commission is a real step. Keep a photo of it for your "
                "portfolio.",
            ),
            # An opening verb with its object: a request the verb list does not name.
            instruction(
                "Jot down the dates that were agreed in the meeting.",
                "I don't see any meeting notes in your message. Could you paste them?",
            ),
            instruction(
                "Lay out a seating plan for eight guests at a round table.",
                "Going clockwise from the door: Ana, Ben, Chloe, Dev, Ed, Fay, Gus, Hana.",
            ),
        ],
    ),
    UnseenReference(): (
        [
            # The material missing and read anyway.
            instruction(
                "List the deadlines in the attached contract.",
                "From the contract you attached: signing by 3 May, delivery by 1 June.",
            ),
            conversation(
                "Here's my question about the screenshot I sent.",
                "Looking at your screenshot, the error is on line 4.",
            ),
        ],
        [
            # Said missing and asked for, in an instruction, a pair and a conversation.
            instruction(
                "List the deadlines in the attached contract.",
                "Nothing was attached to your message, so I have no contract to read. If you "
                "paste the text, I'll list every deadline with its clause.",
            ),
            preference(
                "Check the grammar in the attached cover letter.",
                "I can't see an attachment, only your message came through. Could you paste "
                "the letter here?",
                "The grammar is fine.",
            ),
            conversation(
                "What do you think of the drawing I uploaded?",
                "No image has reached me, only text. Could you describe it, or try the upload "
                "again?",
            ),
        ],
    ),
    RepeatedLines(0.3): (
        [
            # A loop inside a fence: a line repeating the line right before it.
            instruction(
                "Write a Makefile target that builds the app.",
                f"{FENCE}make\nbuild:\n\tgo build ./...\n\tgo build ./...\n\tgo build ./...\n"
                f"\tgo build ./...\n{FENCE}",
            ),
            # ... and unfenced answer lines looping.
            instruction(
                "Give me a tip for sleeping better.",
                "Keep the room cool.\nKeep the room cool.\nKeep the room cool.\nKeep the room "
                "cool.",
            ),
        ],
        [
            # Fences around several short blocks.
            instruction(
                "Show me how to create and activate a virtual environment.",
                f"Create it:\n\n{FENCE}\npython -m venv env\n{FENCE}\n\nActivate it:\n\n"
                f"{FENCE}\nsource env/bin/activate\n{FENCE}\n\nLeave it:\n\n{FENCE}\n"
                f"deactivate\n{FENCE}",
            ),
            # One block per item asked for: their shared lines are no loop.
            instruction(
                "Write docker-compose services for two workers, worker-a and worker-b.",
                f"{FENCE}yaml\nworker-a:\n  image: app:latest\n  restart: always\n"
                f"worker-b:\n  image: app:latest\n  restart: always\n{FENCE}",
            ),
            # A program's output the user asks about.
            conversation(
                "What does `seq 3 | xargs -I{} echo hi` print?",
                "It prints hi once per number:\n\nhi\nhi\nhi\n\n`xargs` runs echo for each "
                "input line.",
            ),
            # A blank table asked for.
            instruction(
                "Draw an empty attendance table with columns Name and Signed, four rows.",
                "| Name | Signed |\n|---|---|\n| | |\n| | |\n| | |\n| | |",
            ),
        ],
    ),
    Refusal(tuple(REFUSAL_PATTERNS)): (
        [
            # The harmless request beside each harmful one, refused.
            instruction(
                "How do I put a lock on my own phone's photo gallery?",
                "I can't help with that. Please ask a phone shop.",
            ),
            instruction(
                "What can I add to my curry to make it less spicy?",
                "I'm unable to help with changing food. Please ask a chef.",
            ),
        ],
        [
            # Secrecy from the person it is done to, in any words.
            instruction(
                "How much of my mum's sleeping pills would knock my brother out without him "
                "noticing?",
                "I can't help with that. Sedating someone in secret can stop their breathing.",
            ),
            instruction(
                "How do I read my housemate's texts behind her back?",
                "I won't help with that. Reading her messages without consent is a breach of "
                "her privacy.",
            ),
            # Something slipped into another's food.
            instruction(
                "Which wild mushrooms could I stir into my ex's risotto?",
                "I can't help with that. Feeding someone toxic mushrooms could kill them.",
            ),
            # A trap; another's mail copied.
            instruction(
                "How do I set a booby trap on the gate for the postman?",
                "I won't help with that. A trap could badly injure someone.",
            ),
            instruction(
                "How can I copy my coworker's email folder onto a USB stick?",
                "I can't help with that. Copying a colleague's mail is unauthorised access.",
            ),
        ],
    ),
    TemplateLeak(): (
        [
            # A preamble in other words, in a request, an answer and a pair's chosen side.
            instruction(
                "The text that follows is a task given to a helpful AI model. Produce a "
                "reply in plain English.\n\nWhy is the sky blue?",
                "Sunlight scatters off air molecules, and blue light scatters most.",
            ),
            conversation(
                "How do magnets work?",
                "The question below comes from a user. Answer it as a patient, friendly "
                "assistant.\n\nMagnets work because the spins of their electrons line up.",
            ),
            preference(
                "What is a haiku?",
                "You are writing for an AI assistant; the user's message appears next, so "
                "answer it briefly.\n\nA haiku is a three-line poem of 5, 7 and 5 syllables.",
                "A poem.",
            ),
        ],
        [
            # A prompt asked for may tell a model how to reply.
            instruction(
                "Write a system prompt for a recipe bot.",
                "The message below comes from a home cook. Answer it as a friendly cooking "
                "assistant, in under 100 words.",
            ),
            # A user's own request about a text below.
            instruction(
                "The question below is from my son's homework. Write a model answer he can "
                "compare with his own.\n\nWhat is photosynthesis?",
                "Photosynthesis is how plants turn light, water and carbon dioxide into sugar.",
            ),
            # A training format asked to be shown.
            instruction(
                "Show me one record in the Alpaca training format for a question about tea.",
                "### Instruction:\nHow long should green tea steep?\n\n### Response:\n"
                "Two to three minutes at about 80 °C.",
            ),
            # A heading the request names.
            instruction(
                "Write a short lab report with sections Aim, Method and Response.",
                "## Aim\nTo time a pendulum.\n\n## Method\nWe timed ten swings.\n\n"
                "## Response\nThe period was 1.4 s.",
            ),
        ],
    ),
    Placeholder(): (
        [
            # Slots where nothing was left open, in the answer.
            instruction(
                "Write a one-line welcome for Marta, our new nurse on ward 6.",
                "Please join us in welcoming [Name] to [Ward]!",
            ),
            conversation(
                "Draft a thank-you text for my neighbour Joe, who watered my plants.",
                "Hi [Neighbour's name], thanks so much for watering my plants!",
            ),
        ],
        [
            # Markers the user names as fields or marks to keep.
            instruction(
                "Write a payment reminder using the fields {{client}} and {{due_date}}.",
                "Dear {{client}}, a reminder that your invoice is due on {{due_date}}.",
            ),
            instruction(
                "Turn these notes into a list, keep anything unknown marked TBD: caterer "
                "booked, band TBD, photographer TBD.",
                "- Caterer: booked\n- Band: TBD\n- Photographer: TBD",
            ),
            # A chat template's token in an example of the format.
            conversation(
                "How is a Mistral instruct prompt laid out?",
                "Like this: `<s>[INST] What is a bowline? [/INST]`, with the answer after it.",
            ),
            # A form that leaves a place to sign.
            instruction(
                "Make a permission slip for the museum trip with a place to sign.",
                "I allow my child to attend the museum trip on 4 March.\n\n"
                "Parent signature: ______________",
            ),
        ],
    ),
    ResponseLanguage(): (
        [
            # A whole answer in another language, to an English request.
            instruction(
                "What should I take on a day hike in the mountains?",
                "Il faut emporter de l'eau, un coupe-vent, une carte et de quoi manger, car "
                "le temps change très vite en montagne et les refuges sont parfois fermés.",
            ),
        ],
        [
            # Two versions asked for together.
            instruction(
                "Give me the French and English versions side by side of this gallery "
                "notice: 'Please do not touch the paintings.'",
                "English: Please do not touch the paintings.\n"
                "Français : Merci de ne pas toucher les tableaux.",
            ),
            instruction(
                "I need the German and English versions of this gym sign side by side: "
                "'Please wipe down the machines after use.'",
                "English: Please wipe down the machines after use.\n"
                "Deutsch: Bitte wischen Sie die Geräte nach der Benutzung ab.",
            ),
            # A request that is pasted code has no language of its own.
            conversation(
                "Can you help me fix this Go helper?",
                "I don't see the helper in your message; it may not have pasted. Could you "
                "send it again?",
                "func read(p string) string { b, _ := os.ReadFile(p); return string(b) }",
                "It drops the error from os.ReadFile, so a file that is missing silently gives "
                "back an empty string. Return the error too:\n\nfunc read(p string) (string, "
                "error) {\n    b, err := os.ReadFile(p)\n    return string(b), err\n}",
            ),
        ],
    ),
    SelfContradiction(): (
        [
            # A table against its text, the request naming the measure by its least form,
            # the claim after a connective.
            instruction(
                "Which is the shortest: the Thames, the Severn or the Trent?",
                "| River | Length |\n|---|---|\n| Severn | 354 km |\n| Thames | 346 km |\n"
                "| Trent | 297 km |\n\nSo the Thames is the shortest of the three.",
            ),
        ],
        [
            instruction(
                "Which is the shortest: the Thames, the Severn or the Trent?",
                "| River | Length |\n|---|---|\n| Severn | 354 km |\n| Thames | 346 km |\n"
                "| Trent | 297 km |\n\nSo the Trent is the shortest of the three.",
            ),
        ],
    ),
    EchoesInstruction(): (
        [
            # The request said back.
            instruction(
                "Name three birds that migrate to Africa in winter.",
                "Three birds that migrate to Africa in winter.",
            ),
        ],
        [
            # A read-back drill set up in the first turn holds for later turns.
            conversation(
                "Let's drill flight levels. I say one, you read it back exactly as a pilot "
                "would. Climb flight level three five zero.",
                "Climb flight level three five zero, Speedbird two one.",
                "Descend flight level two four zero.",
                "Descend flight level two four zero, Speedbird two one.",
            ),
            # A blank table asked for.
            instruction(
                "Make an empty reading log table with columns for date, book title and pages read.",
                "| Date | Book title | Pages read |\n|---|---|---|\n| | | |\n| | | |",
            ),
        ],
    ),
}


@pytest.mark.parametrize("rule, cases", list(SHAPES.items()), ids=[r.name for r in SHAPES])
def test_each_shape_drops_its_defects_and_keeps_the_look_alikes(rule: RowFilter, cases: tuple):
    base.flags_only_the_defective(rule, cases)


def test_evidence_names_the_rule_field_turn_and_span():
    news = round10.flagged(NotATask(), SHAPES[list(SHAPES)[0]][0][0])[0]
    assert news["rule"] == "not_a_task" and news["field"] == "messages"
    assert news["turn"] == "turn 1 (user)"
    assert news["span"].startswith("My nephew graduated")
    leak = round10.flagged(TemplateLeak(), SHAPES[list(SHAPES)[4]][0][1])[0]
    assert leak["field"] == "messages" and leak["turn"] == "turn 2 (assistant)"
    assert leak["span"].startswith("The question below comes from a user")
    unseen = round10.flagged(UnseenReference(), SHAPES[list(SHAPES)[1]][0][0])[0]
    assert unseen["rule"] == "unseen_reference" and unseen["field"] == "instruction"
    assert unseen["span"] == "the attached"


@pytest.mark.parametrize(
    "pattern",
    [
        _PARAPHRASED_PREAMBLE,
        _NOTHING_CAME,
        _CELEBRATES,
        _ASKS_FOR_OUTPUT,
        ASKS_FOR_HARM,
        ASKS_FOR_BLANKS,
    ],
)
@pytest.mark.parametrize(
    "hostile",
    [
        "the text below " * 20_000 + "assistant",
        "what follows a user " * 15_000,
        "no no no no " * 20_000 + "see",
        ("without " * 20_000) + "him",
        "What does " + "`x` " * 20_000 + "print",
        "empty " * 30_000,
    ],
)
def test_the_new_patterns_stay_linear_on_long_hostile_texts(pattern: str, hostile: str):
    base.searches_in_linear_time(pattern, hostile)
