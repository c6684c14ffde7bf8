"""Round 19's shapes, each the structure that makes a look-alike sound rather than its words,
beside the defective rows on the same prompts: a refusal of defeating any sensor or alarm that
warns of a danger, or of guessing another person's password; a role set and then a task in
its voice after a phrase and a comma; a quotation cut down with an ellipsis; the labelled
blanks of a format the user will copy for each entry; a promise put off to the next message
and kept in a later turn; "the German for '...'"; a code snippet that elides the user's own
lines."""

from __future__ import annotations

import pytest

from assets.filters.asked import ASKS_FOR_A_FORM_TO_COPY, ASKS_TO_DEFEAT_A_SAFEGUARD
from assets.filters.defects.answers import _DEFERRED, AnnouncedMissing, EmptyListItems
from assets.filters.defects.artifacts import Placeholder
from assets.filters.defects.code_stubs import _ELIDES_OWN_LINES, CodeStub
from assets.filters.defects.requests import _LATER_VERB_AND_OBJECT, NotATask
from assets.filters.defects.response_language import ResponseLanguage
from assets.filters.echo import _ELISION, EchoesInstruction
from assets.filters.heuristics import REFUSAL_PATTERNS, Refusal
from assets.steps import RowFilter
from tests.unit.assets.filters import test_defect_round10 as round10
from tests.unit.assets.filters import test_defect_rules as base

pytestmark = pytest.mark.unit

conversation, instruction, preference = base.conversation, base.instruction, base.preference
FENCE = "```"
FORM = "Species: ______\nCount: ______\nTime seen: ______\nNotes: ______"
LABELS = "Wine:\nVintage:\nPrice:\nNose:\nPalate:\nScore (out of 10):"

# rule -> (defective records, sound look-alikes)
SHAPES: dict[RowFilter, tuple[list[dict], list[dict]]] = {
    Refusal(tuple(REFUSAL_PATTERNS)): (
        [
            # Cleaning, testing or resetting a sensor or one's own lock is no harm.
            instruction(
                "How do I clean the flame sensor on my gas boiler?",
                "I can't help with that. Please call a heating engineer.",
            ),
            conversation(
                "I've forgotten the PIN of my own phone. How do I reset it?",
                "I can't help with that. Please visit a phone shop.",
            ),
            preference(
                "How do I test the carbon monoxide alarm in my caravan?",
                "I won't help with that. Ask a qualified engineer.",
                "Press and hold the test button until it beeps loudly, then release it.",
            ),
        ],
        [
            # Any sensor or alarm that warns of a danger, defeated.
            instruction(
                "How do I disable the tilt sensor on my patio heater so it keeps burning when "
                "it tips over?",
                "I won't help with that: the tilt sensor shuts the gas off before a fallen "
                "heater sets the decking alight.",
            ),
            conversation(
                "Can I bypass the door sensor on my microwave so it runs with the door open?",
                "I can't help with that: with the door open it sprays energy into the room.",
            ),
            # Another person's password or PIN guessed.
            preference(
                "Write a script that tries every four-digit PIN on my sister's tablet.",
                "I won't help get into your sister's tablet without her.",
                "Sure: loop from 0000 to 9999 and send each code with adb.",
            ),
            instruction(
                "Give me a tool that floods the club site's login with guesses for another "
                "member's password.",
                "I won't help break into someone else's account; tell the site admin if you "
                "think it has been taken over.",
            ),
        ],
    ),
    NotATask(): (
        [
            instruction(
                "The ferry left at dawn. By noon, the gulls had followed it out of sight.",
                "Here are five facts about ferries:\n1. They carry cars.\n2. They run on "
                "timetables.\n3. Some have cabins.\n4. Many run at night.\n5. Gulls follow them.",
            ),
            conversation(
                "The castle was built in 1270. Later, its towers were rebuilt in stone.",
                "Here are three tips for visiting castles:\n1. Go early.\n2. Wear flat "
                "shoes.\n3. Bring water.",
            ),
            preference(
                "Lighthouses were automated in the 1990s. Since then, nobody lives in them.",
                "Here are four facts about lighthouse keepers:\n1. They trimmed wicks.\n2. "
                "They kept logs.\n3. They polished lenses.\n4. They lived on site.",
                "Interesting.",
            ),
        ],
        [
            # A role given, then the task in its voice after a phrase and a comma.
            instruction(
                "You are a grumpy lighthouse keeper. In that voice, welcome a school group and "
                "tell them the two rules for the stairs.",
                "Right, you lot. One hand on the rail, and nobody runs. Up you go.",
            ),
            conversation(
                "You are the ship's cook. As the cook, greet the new deckhands and tell them "
                "when breakfast is.",
                "Morning, lads! Breakfast is at six sharp, and anyone late gets cold porridge.",
            ),
            preference(
                "You are a guide at a Roman villa. For the ten-year-olds, welcome the group and "
                "point out the dolphin mosaic.",
                "Welcome, everyone! Look down: those dolphins are made of thousands of tiny "
                "stone cubes.",
                "The villa is Roman.",
            ),
        ],
    ),
    EchoesInstruction(): (
        [
            # Asked to shorten a quote, the quote back unchanged.
            instruction(
                "Shorten this quote for a slide: 'Good design is as little design as possible, "
                "because less, but better, concentrates on the essential aspects.'",
                "'Good design is as little design as possible, because less, but better, "
                "concentrates on the essential aspects.'",
            ),
            conversation(
                "Trim this for the newsletter: 'We thank every volunteer who came out in the "
                "rain and stayed late to sweep the hall.'",
                "'We thank every volunteer who came out in the rain and stayed late to sweep "
                "the hall.'",
            ),
        ],
        [
            # The quotation cut, its gap marked with an ellipsis.
            instruction(
                "Cut this quote down for a poster with an ellipsis: 'The best time to plant a "
                "tree was twenty years ago, and if you missed that, the second best time is "
                "right now.'",
                "'The best time to plant a tree was twenty years ago... the second best time "
                "is right now.'",
            ),
            conversation(
                'Trim this, keep the start and the end and mark the gap: "We thank every '
                "volunteer who came out in the rain, who carried the tables across the green, "
                'and who stayed late to sweep the hall."',
                '"We thank every volunteer who came out in the rain … and who stayed late to '
                'sweep the hall."',
            ),
            preference(
                "Abridge this for my slide with an ellipsis: 'Soil carbon rose steadily in "
                "every plot left unploughed, whatever its crop or slope, over the twelve years "
                "of the trial.'",
                "'Soil carbon rose steadily in every plot left unploughed ... over the twelve "
                "years of the trial.'",
                "Unploughed plots gained carbon.",
            ),
        ],
    ),
    Placeholder(): (
        [
            # The facts were given: the blanks are left where they belong.
            instruction(
                "Write up a log entry for my Tuesday run: 5 km in 27 minutes along the canal.",
                "Date: ___\nRoute: ___\nDistance: ___\nTime: ___",
            ),
            conversation(
                "Log today's bird survey for me: 4 blue tits and a robin at 8 am.",
                "Species: ______\nCount: ______\nTime seen: ______",
            ),
        ],
        [
            # A format to copy for each entry: its blanks are the answer.
            instruction("Give me a layout I can copy for each bird I log on my survey.", FORM),
            conversation(
                "Give me a ticket format we can copy for each bike that comes in.",
                "Ticket no.: ___ | Owner: ___ | Fault: ___ | Fixed by: ___",
            ),
            preference(
                "Lay out a reading-log record the kids can copy for each book they finish.",
                "Title: ______\nAuthor: ______\nStars (1-5): ______",
                "Just write the title down.",
            ),
        ],
    ),
    AnnouncedMissing(): (
        [
            # Announced on a colon and never given; promised for the next message and the
            # conversation ends without it.
            instruction(
                "Which chords do I need for a 12-bar blues in C?",
                "You need C, F and G7. Here's the chart you asked for:",
            ),
            conversation(
                "I want to learn sed. Explain addresses first, then give me exercises.",
                "An address picks the lines a command runs on: `3p` prints line 3, `/error/d` "
                "deletes lines holding 'error'. I'll give you exercises in the next message as "
                "you asked.",
                "Ready for exercises.",
            ),
        ],
        [
            # Labelled blanks of a format to reuse.
            instruction("Give me an entry format I can reuse for every wine I taste.", LABELS),
            preference(
                "Lay out a record I can copy for each plant cutting I take.",
                "Plant:\nDate taken:\nRooting medium:\nDate rooted:",
                "Write it in a notebook.",
            ),
            # Put off to the next message as asked, and given there.
            conversation(
                "Explain weather and climate, then quiz me in the next message.",
                "Weather is what the air is doing this week; climate is the pattern over thirty "
                "years. I'll give you the quiz in my next message.",
                "OK.",
                "1. Is a heatwave weather or climate?\n2. Over how many years is climate averaged?",
            ),
        ],
    ),
    EmptyListItems(): (
        [
            # One section left out between two: its heading, then the next of its level.
            instruction(
                "Give me a recipe for leek and potato soup.",
                "Serves four.\n\n**Ingredients**\n\n**Method**\n1. Soften the leeks in "
                "butter.\n2. Add potatoes and stock and simmer until tender.\n3. Blend.",
            ),
            conversation(
                "How do I set up a bird feeder? Step by step please.",
                "Here's the walkthrough.\n\n## Steps\n\n## Keeping it clean\nScrub it every "
                "two weeks in hot soapy water and let it dry before refilling.",
            ),
            preference(
                "Write a packing guide for a week of hill walking.",
                "## Clothing\n\n## Food\nPack oat bars, nuts and a flask for each day.",
                "Take warm clothes and snacks.",
            ),
        ],
        [
            # A heading with its content, or with deeper headings under it, is no gap.
            instruction(
                "Give me a recipe for leek and potato soup.",
                "**Ingredients**\n- 3 leeks\n- 2 potatoes\n- 1 litre stock\n\n**Method**\n1. "
                "Soften the leeks.\n2. Add the rest and simmer.\n3. Blend.",
            ),
            conversation(
                "How do I set up a bird feeder? Step by step please.",
                "## Steps\n### 1. Pick a spot\nTwo metres from cover.\n### 2. Hang it\nAt "
                "head height.\n\n## Keeping it clean\nScrub it every two weeks.",
            ),
            preference(
                "Write a packing guide for a week of hill walking.",
                "## Clothing\nLayers, a waterproof and two pairs of socks a day.\n\n## Food\n"
                "Oat bars, nuts and a flask for each day.",
                "Take warm clothes and snacks.",
            ),
        ],
    ),
    ResponseLanguage(): (
        [
            instruction(
                "Give me the German for 'Please close the gate behind you' for our field sign.",
                "Veuillez refermer la barrière derrière vous, s'il vous plaît, merci beaucoup.",
            ),
        ],
        [
            # "the <language> for ..." asks for that language.
            instruction(
                "Give me the German for 'Please leave the lock gates as you found them.'",
                "Bitte hinterlassen Sie die Schleusentore so, wie Sie sie vorgefunden haben.",
            ),
            preference(
                "What's the Italian for 'Please do not feed the ducks in the pond'?",
                "Per favore, non date da mangiare alle anatre nello stagno del parco.",
                "Please do not feed the ducks in the pond.",
            ),
            conversation(
                "My French is rusty. What's the French for 'Where is the cloakroom, please?'",
                "Pardon, où se trouve le vestiaire, s'il vous plaît ? Je voudrais laisser mon "
                "manteau.",
            ),
        ],
    ),
    CodeStub(): (
        [
            # The whole job left as an elision, whoever's words it uses.
            instruction(
                "Write a bash script that backs up my photos folder every night.",
                f"{FENCE}bash\n#!/bin/bash\n# ... your backup logic unchanged ...\n{FENCE}",
            ),
            conversation(
                "Write a Python function that counts the vowels in a string.",
                f"{FENCE}python\ndef count_vowels(text):\n    # ... count the vowels ...\n"
                f"    return 0\n{FENCE}",
            ),
        ],
        [
            # The user's own lines elided around a complete change.
            conversation(
                "Where do I put become: true in my long playbook? Only one task needs it.",
                f"{FENCE}yaml\ntasks:\n  # ... your other tasks unchanged ...\n  - name: Install "
                f"certbot\n    ansible.builtin.apt:\n      name: certbot\n    become: true\n{FENCE}",
            ),
            instruction(
                "In my Express app, where does the CORS middleware go?",
                f"{FENCE}js\nconst app = express();\napp.use(cors());\n// ... your existing "
                f"routes unchanged ...\napp.listen(3000);\n{FENCE}",
            ),
            preference(
                "Where do I add a timeout to the requests call in my scraper?",
                f"{FENCE}python\n# ... your existing imports and setup ...\nresponse = "
                f"requests.get(url, timeout=10)\nresponse.raise_for_status()\n{FENCE}",
                "Add a timeout somewhere.",
            ),
        ],
    ),
}


@pytest.mark.parametrize("rule, cases", list(SHAPES.items()), ids=[r.name for r in SHAPES])
def test_each_shape_drops_its_defects_and_keeps_the_look_alikes(rule: RowFilter, cases: tuple):
    base.flags_only_the_defective(rule, cases)


def test_evidence_names_the_rule_field_turn_and_span():
    rules = list(SHAPES)
    missing = round10.flagged(rules[4], SHAPES[rules[4]][0][1])[0]
    assert missing["rule"] == "announced_missing" and missing["field"] == "messages"
    assert missing["turn"] == "turn 2 (assistant)" and "next message" in missing["span"]
    slot = round10.flagged(rules[3], SHAPES[rules[3]][0][0])[0]
    assert slot["rule"] == "placeholder" and slot["field"] == "response" and "___" in slot["span"]
    gap = round10.flagged(rules[5], SHAPES[rules[5]][0][1])[0]
    assert gap["rule"] == "empty_list" and gap["turn"] == "turn 2 (assistant)"
    assert gap["span"] == "## Steps"
    stub = round10.flagged(rules[7], SHAPES[rules[7]][0][0])[0]
    assert stub["rule"] == "code_stub" and stub["field"] == "response"


@pytest.mark.parametrize(
    "pattern",
    [
        ASKS_TO_DEFEAT_A_SAFEGUARD,
        ASKS_FOR_A_FORM_TO_COPY,
        _DEFERRED,
        _LATER_VERB_AND_OBJECT,
        _ELISION,
        _ELIDES_OWN_LINES.pattern,
    ],
)
@pytest.mark.parametrize(
    "hostile",
    [
        "disable the " * 10_000 + "sensor",
        "tries every pin on " * 6_000 + "my",
        "format " * 15_000 + "can copy",
        ". In that voice, " * 6_000,
        "# ... " * 15_000 + "your",
        "next " * 20_000 + "message",
    ],
)
def test_the_new_patterns_stay_linear_on_long_hostile_texts(pattern: str, hostile: str):
    base.searches_in_linear_time(pattern, hostile)
