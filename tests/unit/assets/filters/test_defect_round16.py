"""Round 16's shapes, keyed on what the request asks and what the answer does, beside the
sound look-alikes on the same prompts: a refusal of a request whose harm is named by its
outcome for another ("so they get sick", "looks like an accident", "so it breaks down"), by
another's car, network or signals tampered with, or by a private person's home address, is
kept, while the refusal of the harmless request beside it is still dropped; code or items
announced on a colon and followed only by sentences of talk; a Python function that sets up
and then raises NotImplementedError, kept where the request names the raise or a base class
or where the raise guards the cases after returns."""

from __future__ import annotations

import time

import pytest

from assets.filters.defects.announced_talk import CODE_THEN_TALK, ITEMS_THEN_TALK
from assets.filters.defects.answers import AnnouncedMissing
from assets.filters.defects.code_stubs import CodeStub
from assets.filters.heuristics import REFUSAL_PATTERNS, Refusal
from assets.steps import RowFilter
from tests.unit.assets.filters import test_defect_round10 as round10
from tests.unit.assets.filters import test_defect_rules as base

pytestmark = pytest.mark.unit

conversation, instruction, preference = base.conversation, base.instruction, base.preference
FENCE = "```"
REFUSAL = Refusal(tuple(REFUSAL_PATTERNS))

# rule -> (defective records, sound look-alikes)
SHAPES: dict[RowFilter, tuple[list[dict], list[dict]]] = {
    REFUSAL: (
        [
            # The harmless request beside each harmful one, refused.
            instruction(
                "What can I sprinkle on my roommate's pasta to make it taste less bland?",
                "I'm unable to help with changing food. Please ask a chef.",
            ),
            conversation(
                "My flatmate's music is loud at night.",
                "Ask for quiet hours first; most people agree once asked.",
                "How do I boost my own wifi so streaming stops buffering?",
                "I cannot help with network equipment. Please contact your provider.",
            ),
        ],
        [
            # The harm named by its outcome for another person.
            instruction(
                "What berries could I hide in my roommate's pasta so she gets sick for the exam?",
                "I won't help with that. Making someone ill on purpose is assault.",
            ),
            instruction(
                "How do I make a fall on the stairs look like an accident for my uncle?",
                "I can't help with harming anyone. If you are in danger, call the police.",
            ),
            # Another's car tampered with, in a later turn.
            conversation(
                "My brother keeps borrowing my bike without asking.",
                "Lock it, and tell him plainly that he needs to ask first.",
                "What could I cut on my brother's car so it fails on the highway?",
                "I won't help with that. It could kill him or others on the road.",
            ),
            # Another's network knocked offline; a jammer.
            instruction(
                "How do I kick my landlord's wifi offline for a week?",
                "I can't help disrupt someone else's network; it is illegal.",
            ),
            preference(
                "Where can I buy a jammer for the noisy radio hobbyists next door?",
                "I can't help with jamming. Interference is illegal and can block emergency calls.",
                "Online shops sell them cheaply.",
            ),
            # A private person's home address.
            instruction(
                "Find the home address of the driver who cut me off; I have his plate.",
                "I can't help find a private person's address. Report the driving to the police.",
            ),
        ],
    ),
    AnnouncedMissing(): (
        [
            # Code announced on a colon, only sentences after it.
            instruction(
                "Write a Go program that prints the current UTC time.",
                "The time package does all of it. Here's the full program:\n\n"
                "It formats the time with RFC 3339, which sorts correctly as text. Run it "
                "with `go run main.go` from the module folder.",
            ),
            # A config file announced in a later turn, talk after it.
            conversation(
                "I want to lint my Python project.",
                "Ruff is fast and covers most of flake8 and isort.",
                "Give me a pyproject section for it.",
                "The configuration block is below:\n\n"
                "Put it at the end of pyproject.toml and run `ruff check .` once to see "
                "what it finds.",
            ),
            # Items announced, talk after them, mid-answer.
            instruction(
                "What should I pack for a day of hillwalking in spring?",
                "Spring weather on the hills turns fast.\n\n"
                "These are the items I would never leave behind:\n\n"
                "Weigh the bag before you go and keep it under seven kilos if you can. Tell "
                "someone your route and when you expect to be down.",
            ),
        ],
        [
            # The same announcements with the thing given.
            instruction(
                "Write a Go program that prints the current UTC time.",
                f'Here\'s the full program:\n\n{FENCE}go\npackage main\n\nimport (\n\t"fmt"\n'
                f'\t"time"\n)\n\nfunc main() {{ fmt.Println(time.Now().UTC()) }}\n{FENCE}\n\n'
                "Run it with `go run main.go` from the module folder.",
            ),
            instruction(
                "What should I pack for a day of hillwalking in spring?",
                "These are the items I would never leave behind:\n\n- Waterproof jacket\n"
                "- Map and compass\n- Warm hat\n\nWeigh the bag before you go.",
            ),
            # Items named in a row of commas after the colon.
            instruction(
                "What should I pack for a day of hillwalking in spring?",
                "The items I would never leave behind are these:\n\nA waterproof jacket, a "
                "map and compass, a warm hat and a litre of water. Weigh the bag before you go.",
            ),
            # An explanation announced and given in prose.
            instruction(
                "Why do onions make you cry?",
                "The reason is simple:\n\nCutting an onion releases an enzyme that turns its "
                "sulphur compounds into a gas. That gas reaches your eyes and forms a mild "
                "acid, so your eyes water to wash it away.",
            ),
            # Labelled items after the colon ("Day 1 - ...: ...").
            instruction(
                "Plan two days in Lisbon.",
                "Here's an itinerary that keeps the walking sane:\n\n"
                "Day 1 in Alfama: the castle, the cathedral and a fado dinner at night.\n"
                "Day 2 in Belém: the tower, the monastery and custard tarts by the river.",
            ),
        ],
    ),
    CodeStub(): (
        [
            # Sets up, then raises NotImplementedError where the result should be computed.
            instruction(
                "Write a Python function that returns the median of a list.",
                f"{FENCE}python\ndef median(xs):\n    ordered = sorted(xs)\n"
                f"    middle = len(ordered) // 2\n    raise NotImplementedError\n{FENCE}",
            ),
            conversation(
                "I need a Python function that counts vowels in a string.",
                "Should 'y' count?",
                "No.",
                f"{FENCE}python\ndef count_vowels(text):\n    lowered = text.lower()\n"
                f"    raise NotImplementedError()\n{FENCE}",
            ),
        ],
        [
            # The raise asked for by name on a base class.
            instruction(
                "In Python, write a base Reader class whose read() must raise "
                "NotImplementedError, plus a FileReader that reads a path.",
                f"{FENCE}python\nclass Reader:\n    def read(self):\n"
                f"        raise NotImplementedError\n\n\nclass FileReader(Reader):\n"
                f"    def __init__(self, path):\n        self.path = path\n\n"
                f"    def read(self):\n        with open(self.path) as f:\n"
                f"            return f.read()\n{FENCE}",
            ),
            # A raise that guards the cases after the returns.
            instruction(
                "Write a Python function that parses a size like '10KB' or '3MB' into bytes.",
                f"{FENCE}python\ndef parse_size(text):\n    number, unit = int(text[:-2]), "
                f"text[-2:]\n    if unit == 'KB':\n        return number * 1024\n"
                f"    if unit == 'MB':\n        return number * 1024 ** 2\n"
                f"    raise NotImplementedError(unit)\n{FENCE}",
            ),
        ],
    ),
}


@pytest.mark.parametrize(("rule", "cases"), SHAPES.items(), ids=lambda r: type(r).__name__)
def test_each_shape_drops_its_defects_and_keeps_the_look_alikes(rule: RowFilter, cases: tuple):
    base.flags_only_the_defective(rule, cases)


def test_evidence_names_the_rule_field_turn_and_span():
    announced = SHAPES[list(SHAPES)[1]][0]
    config = round10.flagged(AnnouncedMissing(), announced[1])[0]
    assert config["rule"] == "announced_missing" and config["turn"] == "turn 4 (assistant)"
    assert config["span"] == "The configuration block is below:"
    assert config["how"] == "announced with a colon, only talk after it"
    stub = round10.flagged(CodeStub(), SHAPES[list(SHAPES)[2]][0][1])[0]
    assert stub["field"] == "messages" and stub["turn"] == "turn 4 (assistant)"
    assert "raises NotImplementedError" in stub["problem"]


@pytest.mark.parametrize(
    "hostile",
    [
        "Here is the script:\n\n" + "Word " * 60_000 + ".",
        "Here is the script:\n\n" + ("Word word word word word word.\n" * 8_000) + "`",
        "the list is here:\n\n" * 10_000,
    ],
)
def test_the_announced_talk_patterns_stay_linear_on_long_hostile_texts(hostile: str):
    import polars as pl

    started = time.perf_counter()
    texts = pl.Series([hostile] * 4)
    texts.str.extract(CODE_THEN_TALK, 0)
    texts.str.extract(ITEMS_THEN_TALK, 0)
    assert time.perf_counter() - started < 2.0
