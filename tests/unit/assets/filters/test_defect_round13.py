"""Round 13's shapes, keyed on what the request asks for, beside the sound look-alikes on the
same prompts: steps, a table, a formula, a poem or a list announced and followed to the end
only by paragraphs of talk (in any turn); a request written in the assistant's voice ("As
your assistant, I'd be glad to help ...") in an instruction or a pair's prompt, unless the
request asks for those words (a greeting written, translated, quoted) or sets up a role; and
code left out: a SQL clause that names nothing, a `...` statement beside a function's work,
a comment that names the work left to do "here" or sits between ellipses, and a stub on a
pair's rejected side; a later user turn that announces material and stops, whatever the first
answer asked for; material pointed at "below" or "the following" and never given; a generic
statement with a three-word subject. Kept, for what the request asks: an answer about what
the assistant is to a question about what it is or can do (not about its taste); a line asked for a number of times whose quote holds
a full stop; slots left for what the user does not have yet, numbered or not; a prompt the user
gave to be rewritten, headed "Improved prompt:"."""

from __future__ import annotations

import pytest

from assets.filters.defects.answers import AnnouncedMissing
from assets.filters.defects.artifacts import Placeholder, TemplateLeak
from assets.filters.defects.code_stubs import CodeStub
from assets.filters.defects.contradictions import SelfContradiction
from assets.filters.defects.requests import EmptyQuestion, NotATask
from assets.filters.defects.roles import RoleFlip
from assets.filters.echo import EchoesInstruction
from assets.filters.heuristics import Refusal
from assets.models.output_screens import REFUSAL_PATTERNS
from assets.steps import RowFilter
from tests.unit.assets.filters import test_defect_round10 as round10
from tests.unit.assets.filters import test_defect_rules as base

pytestmark = pytest.mark.unit

conversation, instruction, preference = base.conversation, base.instruction, base.preference
FENCE = "```"
REFUSAL = Refusal(tuple(REFUSAL_PATTERNS))

# rule -> (defective records, sound look-alikes)
SHAPES: dict[RowFilter, tuple[list[dict], list[dict]]] = {
    AnnouncedMissing(): (
        [
            instruction(
                "How do I descale a kettle?",
                "It only takes a few minutes. Here are the steps:\n\nLimescale builds up "
                "faster in hard-water areas, and it makes the kettle slower and noisier.\n\n"
                "Good luck!",
            ),
            conversation(
                "I need to split full names in column A into first and last names.",
                "Splitting names is a common cleanup job.",
                "Can you give me the formula for the first name?",
                "Sure, the formula below grabs everything before the first space.\n\nIt "
                "works for most names, though middle names end up in the last-name column.",
                "Thanks.",
            ),
            preference(
                "Write a haiku about rain on a tin roof.",
                "Tin roof drums all night\nthe gutter hums its one note\nsleep comes anyway",
                "Here's a haiku about rain on a tin roof:\n\nA haiku has three lines of five, "
                "seven and five syllables and usually names a season.",
            ),
            instruction(
                "Write a memo about the server move and include the contact list.",
                "Team,\n\nThe servers move on Saturday night. If anything breaks, call the "
                "people on the contact list below.\n\nThanks for your patience.\n\nBest,\nOmar",
            ),
        ],
        [
            instruction(
                "How do I descale a kettle?",
                "Here are the steps:\n\nFill it halfway with equal parts water and white "
                "vinegar, boil it, then leave it for an hour. Rinse it well and boil plain "
                "water once before using it.",
            ),
            conversation(
                "I need to split full names in column A into first and last names.",
                "Splitting names is a common cleanup job.",
                "Can you give me the formula for the first name?",
                "Sure, the formula below grabs everything before the first space.\n\n"
                '`=LEFT(A2, FIND(" ", A2) - 1)`',
            ),
            preference(
                "Write a haiku about rain on a tin roof.",
                "Here's a haiku about rain on a tin roof:\n\nTin roof drums all night\nthe "
                "gutter hums its one note\nsleep comes anyway",
                "Rain. Roof. Loud.",
            ),
            instruction(
                "Explain why bread goes stale.",
                "Here's how it works:\n\nStarch molecules that were softened by baking slowly "
                "line back up into crystals and push water out, so the crumb hardens.",
            ),
            instruction(
                "Write a memo about the server move and include the contact list.",
                "Team,\n\nThe servers move on Saturday night. Call the people on the contact "
                "list below if anything breaks.\n\n- Ana: 555-0142\n- Raj: 555-0177\n\nBest,\n"
                "Omar",
            ),
        ],
    ),
    RoleFlip(): (
        [
            instruction(
                "As your cooking assistant, I'd be glad to help you plan dinners for the week. "
                "Do you have any allergies?",
                "Here's a simple plan: pasta on Monday, stir-fry on Tuesday, soup on Wednesday.",
            ),
            preference(
                "Hello! I'm your friendly math tutor bot. What can I help you with today?",
                "Fractions are a good place to start: ...",
                "Math is fun.",
            ),
            instruction(
                "Thanks for reaching out! I can help you choose a laptop. What's your budget?",
                "For most students, a mid-range laptop with 16 GB of memory is plenty.",
            ),
        ],
        [
            instruction(
                "Write the first message of a cooking chatbot that offers to plan dinners.",
                "Hi! I'd be glad to help you plan dinners for the week. Any allergies?",
            ),
            preference(
                'Translate into German: "Hello! I\'m your friendly math tutor bot."',
                '"Hallo! Ich bin dein freundlicher Mathe-Nachhilfe-Bot."',
                "Hallo.",
            ),
            instruction(
                "I'm happy to help my son with fractions, but how do I explain 3/4 + 1/8?",
                "Turn 3/4 into eighths: 6/8 + 1/8 = 7/8.",
            ),
            instruction(
                "Pretend you're a travel agent. I'd like a weekend in Rome.",
                "Happy to help! Two days in Rome: the Colosseum and Forum first, then the Vatican.",
            ),
        ],
    ),
    CodeStub(): (
        [
            instruction(
                "Write a SQL query for the number of tickets per agent.",
                f"{FENCE}sql\nSELECT a.name, COUNT(t.id)\nFROM agents a\nJOIN tickets t ON\n"
                f"GROUP BY a.name;\n{FENCE}",
            ),
            conversation(
                "Count the vowels in a string in Python.",
                f"{FENCE}python\ndef vowels(s):\n    n = 0\n    for ch in s:\n        ...\n"
                f"    return n\n{FENCE}",
            ),
            preference(
                "Write a JavaScript function that sums an array.",
                f"{FENCE}javascript\nfunction sum(xs) {{\n  return xs.reduce((a, b) => a + b, "
                f"0);\n}}\n{FENCE}",
                f"{FENCE}python\ndef total(xs):\n    raise NotImplementedError\n{FENCE}",
            ),
            conversation(
                "Write a bash script that archives /srv/www every night.",
                f"{FENCE}bash\n#!/bin/bash\nSTAMP=$(date +%F)\n# ... archive the folder ...\n"
                f'echo "done $STAMP"\n{FENCE}',
            ),
            instruction(
                "Write a Go function that reverses a string.",
                f"{FENCE}go\nfunc Reverse(s string) string {{\n\tr := []rune(s)\n\t// "
                f"handle the reversal here\n\treturn string(r)\n}}\n{FENCE}",
            ),
            instruction(
                "Write a C function that sums an array of ints.",
                f"{FENCE}c\nint sum(const int *a, int n) {{\n    int total = 0;\n    for (int i = 0; "
                f"i < n; i++) {{\n        // add a[i] to total\n    }}\n    return total;\n}}\n{FENCE}",
            ),
        ],
        [
            instruction(
                "Write a C function that sums an array of ints.",
                f"{FENCE}c\nint sum(const int *a, int n) {{\n    int total = 0;\n    for (int i = 0; "
                f"i < n; i++) {{\n        // add a[i] to total\n        total += a[i];\n    }}\n"
                f"    return total;\n}}\n{FENCE}",
            ),
            instruction(
                "Write a SQL query for the number of tickets per agent.",
                f"{FENCE}sql\nSELECT a.name, COUNT(t.id)\nFROM agents a\nJOIN tickets t ON\n"
                f"    t.agent_id = a.id\nGROUP BY\n    a.name;\n{FENCE}",
            ),
            conversation(
                "Declare a Protocol for things that can be drawn.",
                f"{FENCE}python\nfrom typing import Protocol\n\nclass Drawable(Protocol):\n"
                f"    def draw(self) -> None:\n        ...\n{FENCE}",
            ),
            preference(
                "Write a JavaScript function that sums an array.",
                f"{FENCE}javascript\nfunction sum(xs) {{\n  return xs.reduce((a, b) => a + b, "
                f"0);\n}}\n{FENCE}",
                f"{FENCE}javascript\nfunction sum(xs) {{\n  return xs.length;\n}}\n{FENCE}",
            ),
            conversation(
                "Write a bash script that archives /srv/www every night.",
                f"{FENCE}bash\n#!/bin/bash\n# archive the folder with today's date\ntar czf "
                f'"/backup/www-$(date +%F).tgz" /srv/www\n{FENCE}',
            ),
            instruction(
                "Give me a Python skeleton with load and save functions to fill in later.",
                f"{FENCE}python\ndef load(path):\n    data = read(path)\n    ...\n\n\ndef "
                f"save(path, data):\n    ...\n{FENCE}",
            ),
        ],
    ),
    EmptyQuestion(): (
        [
            conversation(
                "Could you translate a short note into Italian for me?",
                "Sure, go ahead and paste it.",
                "Here you go:",
                "Ecco la traduzione: 'Grazie per il tuo aiuto.'",
            ),
            instruction(
                "Look at my Python function below and tell me why it's slow.",
                "It loops over the list twice; use a set instead.",
            ),
            instruction("Please convert the following temperatures to Celsius.", "20 °C, 25 °C."),
        ],
        [
            conversation(
                "Could you translate a short note into Italian for me?",
                "Sure, go ahead and paste it.",
                "Here you go:",
                "I don't see the note yet. Could you paste it again?",
            ),
            instruction(
                "Look at my Python function below and tell me why it's slow.\n\n"
                "def f(xs):\n    return [x for x in xs if xs.count(x) > 1]",
                "`xs.count` scans the list for every item: quadratic.",
            ),
            instruction(
                "Please convert the following temperatures to Celsius.",
                "68 °F is 20 °C and 77 °F is 25 °C.",
                "68 °F, 77 °F",
            ),
        ],
    ),
    NotATask(): (
        [
            instruction(
                "Sourdough bread flavour depends on the starter's age.",
                "Here's a recipe for a rye loaf: ...",
            ),
        ],
        [
            instruction(
                "Easy weeknight dinner recipes for two.",
                "Stir-fried noodles, a sheet-pan chicken, and a lentil soup.",
            ),
            instruction(
                "Why does sourdough bread flavour depend on the starter's age?",
                "An older starter holds more acid-producing bacteria.",
            ),
        ],
    ),
    REFUSAL: (
        [
            instruction(
                "Write a short poem about the sea.",
                "As an AI language model, I cannot write poems.",
            ),
            instruction(
                "Can chatbots like you help me plan a trip?",
                "As an AI, I can't help with that.",
            ),
            instruction(
                "Which colour do you like best?",
                "As an AI language model, I don't have personal preferences, but blue is popular.",
            ),
        ],
        [
            instruction(
                "Can you taste food, or are chatbots like you just text?",
                "As an AI, I don't have taste buds; I only read and write text, but I can "
                "describe how a dish is likely to taste.",
            ),
        ],
    ),
    EchoesInstruction(): (
        [
            instruction(
                "Explain why the sea is salty in one short paragraph.",
                "Explain why the sea is salty in one short paragraph.",
            ),
        ],
        [
            instruction(
                "For a handwriting drill, write the sentence \"A wizard's job is to vex chumps "
                'quickly in fog." four times, each on its own line.',
                "\n".join(["A wizard's job is to vex chumps quickly in fog."] * 4),
            ),
        ],
    ),
    Placeholder(): (
        [
            instruction(
                "Write an invitation to our book club's anniversary dinner.",
                "Join us on [Date] at [Venue Name] to celebrate five years of reading together!",
            ),
        ],
        [
            instruction(
                "Write an invitation to our book club's anniversary dinner. Leave room for "
                "the venue, since I don't know it yet.",
                "Join us on [Date] at [Venue Name] to celebrate five years of reading together!",
            ),
        ],
    ),
    TemplateLeak(): (
        [
            instruction(
                "Tell me about caring for a puppy.",
                "Improved prompt: Give three tips for a puppy's first week.",
            ),
        ],
        [
            instruction(
                "I teach a prompting class. Improve this vague prompt: 'Tell me about dogs.'",
                'Improved prompt:\n\n"Give three tips for a first-time owner of a '
                'two-year-old rescue dog, one sentence each."',
            ),
        ],
    ),
    SelfContradiction(): (
        [
            instruction(
                "At what temperature does water boil at sea level?",
                "At sea level, water boils at 100 °C. At sea level, water boils at 90 °C.",
            ),
        ],
        [
            instruction(
                "Write a conference agenda; leave spots for the speakers, I don't have them yet.",
                "Morning session:\n- [Speaker 1] – [talk title]\n- [Speaker 2] – [talk "
                "title]\n\nLunch at noon.",
            ),
        ],
    ),
}


@pytest.mark.parametrize(
    ("rule", "cases"), list(SHAPES.items()), ids=[type(r).__name__ for r in SHAPES]
)
def test_each_shape_drops_its_defects_and_keeps_the_look_alikes(rule: RowFilter, cases: tuple):
    base.flags_only_the_defective(rule, cases)


def test_evidence_names_the_field_and_the_turn():
    announced = round10.flagged(AnnouncedMissing(), SHAPES[list(SHAPES)[0]][0][1])[0]
    assert announced["turn"] == "turn 4 (assistant)" and "formula below" in announced["span"]
    voice = round10.flagged(RoleFlip(), SHAPES[list(SHAPES)[1]][0][0])[0]
    assert voice["field"] == "instruction" and voice["span"].startswith("As your cooking")
    stub = round10.flagged(CodeStub(), SHAPES[list(SHAPES)[2]][0][2])[0]
    assert stub["field"] == "rejected"
