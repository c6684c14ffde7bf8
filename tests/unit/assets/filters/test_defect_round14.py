"""Round 14's shapes, keyed on what the request asks and what the answer does, beside the
sound look-alikes on the same prompts: a table whose text names another row as the extreme
of the request's own measure; a stub whose one act is a to-do panic or a constant its comment
calls a stand-in; a worked calculation announced and never shown; things only pointed at to
be ranked, grouped or compared. Kept, for what the request asks: an answer that asks for the
user's own material (it asks back, it does not talk of something else); asking back when the
user only tells a goal of theirs; an image of a work the request names; a language named as
the only one the reader of the asked-for note speaks."""

from __future__ import annotations

import time

import pytest

from assets.filters.defects.answers import AnnouncedMissing, NeedlessClarification
from assets.filters.defects.asked_figure import figure_restated
from assets.filters.defects.code_stubs import CodeStub, _stand_in
from assets.filters.defects.contradictions import SelfContradiction
from assets.filters.defects.relevance import OffTopic
from assets.filters.defects.requests import EmptyQuestion, UnseenReference
from assets.filters.defects.response_language import ResponseLanguage
from assets.filters.defects.table_claims import table_against_text
from assets.steps import RowFilter
from tests.unit.assets.filters import test_defect_round10 as round10
from tests.unit.assets.filters import test_defect_rules as base

pytestmark = pytest.mark.unit

conversation, instruction, preference = base.conversation, base.instruction, base.preference
FENCE = "```"
SPEEDS = "| Router | Download speed |\n|---|---|\n| Alpha | 310 Mbps |\n| Beta | 540 Mbps |"
PEAKS = (
    "| Peak | Height |\n|---|---|\n| Ben Nevis | 1,345 m |\n| Snowdon | 1,085 m |\n"
    "| Scafell Pike | 978 m |"
)

# rule -> (defective records, sound look-alikes)
SHAPES: dict[RowFilter, tuple[list[dict], list[dict]]] = {
    SelfContradiction(): (
        [
            instruction(
                "Which of these two routers has the higher download speed? Show them in a table.",
                f"{SPEEDS}\n\nAlpha has the higher download speed, so it is the one to buy "
                "for streaming.",
            ),
            instruction(
                "Tabulate the three highest peaks in Great Britain.",
                f"{PEAKS}\n\nSnowdon is the highest of the three, and the busiest too.",
            ),
            conversation(
                "I'm planning a hiking holiday in Britain.",
                "Lovely. Scotland, Wales and the Lake District all have big hills.",
                "Can you put the three highest peaks in a table with their heights?",
                f"Sure:\n\n{PEAKS}\n\nScafell Pike is the highest, so save it for your last day.",
            ),
            # The quantity asked for, given a second figure.
            instruction(
                "How many strings does a standard violin have?",
                "A standard violin has 4 strings, tuned G, D, A and E from the lowest. They are "
                "usually steel or synthetic. So a violin is strung with 5 strings in all.",
            ),
            conversation(
                "How far is the Moon from Earth?",
                "The Moon is about 384,400 km from Earth. Light covers that in just over a "
                "second. So the Moon is roughly 300,000 km from Earth.",
            ),
        ],
        [
            instruction(
                "Which of these two routers has the higher download speed? Show them in a table.",
                f"{SPEEDS}\n\nBeta has the higher download speed, so it is the one to buy "
                "for streaming.",
            ),
            # Another measure than the request's: the table holds heights, not crowds.
            instruction(
                "Tabulate the three highest peaks in Great Britain.",
                f"{PEAKS}\n\nBen Nevis is the highest. Snowdon is the busiest, with a railway "
                "to the top.",
            ),
            instruction(
                "Tabulate the three highest peaks in Great Britain.",
                f"{PEAKS}\n\nSnowdon is not the highest, but it is the most climbed.",
            ),
            instruction(
                "How many strings does a standard violin have?",
                "A standard violin has 4 strings, tuned G, D, A and E from the lowest. A viola "
                "also has 4, and a five-string violin is sold for fiddlers who want 5 strings.",
            ),
            conversation(
                "How far is the Moon from Earth?",
                "The Moon is about 384,400 km from Earth. So at its closest, the Moon is about "
                "363,000 km from Earth.",
            ),
        ],
    ),
    CodeStub(): (
        [
            instruction(
                "Write a Go function that reverses a string.",
                f'{FENCE}go\nfunc Reverse(s string) string {{\n\tpanic("TODO")\n}}\n{FENCE}',
            ),
            instruction(
                "Write a JavaScript function that sums an array.",
                f"{FENCE}js\nfunction sum(xs) {{\n  throw new Error('todo: sum');\n}}\n{FENCE}",
            ),
            preference(
                "Write a Python function that says whether a year is a leap year.",
                f"{FENCE}python\ndef is_leap(y):\n    return y % 4 == 0 and (y % 100 != 0 or "
                f"y % 400 == 0)\n{FENCE}",
                f"{FENCE}python\ndef is_leap(y):\n    return False  # dummy value for now\n{FENCE}",
            ),
        ],
        [
            instruction(
                "Write a Go function that reverses a string.",
                f"{FENCE}go\nfunc Reverse(s string) string {{\n\tr := []rune(s)\n\tif len(r) "
                f'> 1<<20 {{\n\t\tpanic("string too long")\n\t}}\n\tfor i, j := 0, len(r)-1; '
                f"i < j; i, j = i+1, j-1 {{\n\t\tr[i], r[j] = r[j], r[i]\n\t}}\n\treturn "
                f"string(r)\n}}\n{FENCE}",
            ),
            instruction(
                "Write a Python function that returns the default HTTP alternate port.",
                f"{FENCE}python\ndef default_port():\n    return 8080  # the usual alternate "
                f"HTTP port\n{FENCE}",
            ),
        ],
    ),
    AnnouncedMissing(): (
        [
            instruction(
                "How much will $500 grow to at 4% a year over two years? Show the working.",
                "Interest is added to the balance each year.\n\nThe calculation below starts "
                "from $500.\n\nThe second year earns a little more than the first, because the "
                "first year's interest earns interest too.",
            ),
        ],
        [
            instruction(
                "How much will $500 grow to at 4% a year over two years? Show the working.",
                "Interest is added to the balance each year.\n\nThe calculation below starts "
                "from $500.\n\nYear 1: 500 × 1.04 = 520.00\nYear 2: 520 × 1.04 = 540.80\n\n"
                "So it grows to $540.80.",
            ),
        ],
    ),
    EmptyQuestion(): (
        [
            instruction("Rank these by how healthy they are.", "Vegetables come first."),
            instruction("Group these into fruits and vegetables.", "Apples are fruits."),
            conversation(
                "Could you look over my wedding speech?",
                "Happy to! Paste it here and tell me how long you have to speak.",
                "Great, now fix the jokes so they land better.",
                "Here's a punchier version of your jokes: 'Sam and I met at a bus stop.'",
            ),
        ],
        [
            instruction(
                "Rank these by how healthy they are: crisps, an apple, a muffin.",
                "The apple, then the muffin, then the crisps.",
            ),
            instruction(
                "Group these into fruits and vegetables.",
                "Fruits: tomato, pear. Vegetables: carrot, leek.",
                input="tomato, carrot, pear, leek",
            ),
            conversation(
                "Could you look over my wedding speech?",
                "Happy to! Paste it here and tell me how long you have to speak.",
                "Great, now fix the jokes so they land better: 'I met Sam at a bus stop, which "
                "explains a lot about our timing.'",
                "Try: 'I met Sam at a bus stop. We've been running late together ever since.'",
            ),
            conversation(
                "Could you look over my wedding speech?",
                "Happy to! Paste it here and tell me how long you have to speak.",
                "Great, now fix the jokes so they land better.",
                "I don't see the speech yet. Could you paste it?",
            ),
        ],
    ),
    NeedlessClarification(): (
        [
            conversation(
                "I want to learn an instrument this year. Which is easier, piano or violin?",
                "Do you mean easier to start or easier to master?",
            ),
            instruction(
                "I'd like to start running. Give me a three-week plan for a beginner.",
                "How fit would you say you are right now?",
            ),
            instruction(
                "What is 20% of 150?",
                "Is that 20% a discount, a markup or a tip? Let me know and I'll calculate it.",
            ),
            conversation(
                "Alphabetize these names: Zoe, Adam, Maya.",
                "Do you want them sorted from A to Z or from Z to A?",
            ),
        ],
        [
            conversation(
                "I want to take up running this spring.",
                "Great idea! What kind of running are you hoping to do?",
            ),
            instruction(
                "We're planning to learn Italian before our trip.",
                "Lovely! What level are you starting from?",
            ),
            instruction(
                "What is 20% of 150?",
                "20% of 150 is 30. Is that for a discount or a tip? I can work out the final "
                "price too.",
            ),
            conversation("Alphabetize these names: Zoe, Adam, Maya.", "Adam, Maya, Zoe."),
        ],
    ),
    # Without the model: another thing in the request's own frame, the asked one never named.
    OffTopic(max_overlap=-1.0): (
        [
            instruction(
                "What's the population of Canada?",
                "The population of Australia is about 27 million, most of it along the coasts.",
            ),
            instruction(
                "When was the Golden Gate Bridge opened?",
                "The Brooklyn Bridge was opened in 1883 after fourteen years of work.",
            ),
        ],
        [
            instruction(
                "What's the population of Canada?",
                "The population of Canada is about 40 million, and Australia's about 27 million.",
            ),
            instruction(
                "When was the Golden Gate Bridge opened?",
                "It was opened in May 1937, after four years of construction.",
            ),
            instruction(
                "What's the boiling point of water in Denver?",
                "The boiling point of water at sea level is 100 °C; in Denver, at 1,600 m, it is "
                "about 95 °C.",
            ),
        ],
    ),
    UnseenReference(): (
        [
            instruction(
                "What colour is the car in the image?",
                "It looks red.",
            ),
            instruction(
                "I'm studying the painting for class. Who is the woman in the picture I sent?",
                "She is the artist's wife.",
            ),
        ],
        [
            instruction(
                "In Vermeer's painting Girl with a Pearl Earring, what is she wearing on her "
                "head in the picture?",
                "A blue and yellow turban.",
            ),
            instruction(
                "In the photograph 'Migrant Mother' by Dorothea Lange, how many children are "
                "in the photo?",
                "Three: two lean on her shoulders and a baby sits in her lap.",
            ),
        ],
    ),
    ResponseLanguage(): (
        [
            conversation(
                "My landlord only speaks German.",
                "Understood. What would you like to tell him?",
                "Write a short note saying the heating is broken again.",
                "Hola, la calefacción no funciona otra vez. ¿Puede venir a revisarla mañana? "
                "Gracias.",
            ),
        ],
        [
            conversation(
                "My landlord only speaks German.",
                "Understood. What would you like to tell him?",
                "Write a short note saying the heating is broken again.",
                "Guten Tag, die Heizung ist leider wieder kaputt. Könnten Sie morgen "
                "vorbeikommen und sie prüfen? Vielen Dank.",
            ),
            instruction(
                "Write a birthday card for my grandfather, who reads only Italian.",
                "Caro nonno, tanti auguri di buon compleanno! Ti vogliamo tanto bene e non "
                "vediamo l'ora di festeggiare con te.",
            ),
        ],
    ),
}


@pytest.mark.parametrize(
    ("rule", "cases"), list(SHAPES.items()), ids=[type(r).__name__ for r in SHAPES]
)
def test_each_shape_drops_its_defects_and_keeps_the_look_alikes(rule: RowFilter, cases: tuple):
    base.flags_only_the_defective(rule, cases)


def test_an_answer_asking_for_the_users_own_material_is_not_off_topic(monkeypatch):
    # Every answer scored far from its request: the words decide.
    monkeypatch.setattr(OffTopic, "_cosines", lambda self, asked, said: [0.05] * len(asked))
    found = round10.flagged(
        OffTopic(),
        instruction(
            "Can you help me tighten up my personal statement?",
            "Tightening a bathroom tap usually means replacing the washer inside it.",
        ),
        conversation(
            "Can you help me tighten up my personal statement?",
            "Of course! Paste it in and tell me the word limit you're aiming for.",
        ),
        instruction(
            "Could you shorten our team's mission statement?",
            "Sure, share it here and I'll trim it to a single sentence.",
        ),
    )
    assert [e is not None for e in found] == [True, False, False]


def test_evidence_names_the_rule_field_turn_and_span():
    table = round10.flagged(SelfContradiction(), SHAPES[list(SHAPES)[0]][0][2])[0]
    assert table["turn"] == "turn 4 (assistant)" and table["form"] == "table against text"
    assert table["span"].startswith("Scafell Pike is the highest") and "Ben" not in table["span"]
    assert "| Scafell Pike | 978 m |" in table["span"]
    stub = round10.flagged(CodeStub(), SHAPES[list(SHAPES)[1]][0][2])[0]
    assert stub["rule"] == "code_stub" and stub["field"] == "rejected"
    pointed = round10.flagged(EmptyQuestion(), SHAPES[list(SHAPES)[3]][0][0])[0]
    assert pointed["field"] == "instruction" and pointed["span"].startswith("Rank these")


@pytest.mark.parametrize(
    "hostile",
    [
        "| A | 1 |\n|" + "-" * 64_000 + "x|\n| B | 2 |\n| C | 3 |\nB is the largest.",
        "| A | B |\n|---|---|\n| x | 1 |\n| y | 2 |\n" + "Zed " * 16_000 + "is the largest.",
        "A has 5 items. " + "9" * 64_000 + " items " + "and " * 8_000,
    ],
)
def test_the_new_python_reads_stay_linear_on_long_hostile_texts(hostile: str):
    # A 64 KB rule line of dashes, a 64 KB sentence before a grade word, a 64 KB figure: each
    # read once, not from every position (a quadratic read takes minutes here).
    started = time.perf_counter()
    table_against_text("Which is the largest?", hostile)
    figure_restated("How many items does A have?", hostile)
    assert not _stand_in("    return 0  " + "#" * 64_000)
    assert time.perf_counter() - started < 2.0
