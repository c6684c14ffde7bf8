"""Round 15's shapes, keyed on what the request asks and what the answer does, beside the
sound look-alikes on the same prompts: a function whose body does no work, in any language
and with or without a fence (comments and one idle statement: a constant, `nil`, `true`, `:`,
`...`, an argument handed back); a Python function that sets up and ends in `pass`; a CSS rule
that holds only a comment; what the speaker is and lacks, in either order, in any words; an
opening yes or no that the wrap-up takes back; a label of comma-separated pieces that asks
nothing. Kept: a constant from a function that takes nothing, an abstract method, a skeleton
asked for; a robot's or the user's own first person; the assistant asked about its own
experience; a pasted error message (it asks what it means); filler text or an undecided item
the user asked for."""

from __future__ import annotations

import time

import pytest

from assets.filters.defects.artifacts import AiDisclaimer, Placeholder
from assets.filters.defects.code_bodies import code_regions, idle_body_problem
from assets.filters.defects.code_stubs import CodeStub
from assets.filters.defects.contradictions import SelfContradiction
from assets.filters.defects.requests import NotATask
from assets.filters.defects.wrap_up_verdict import verdict_taken_back
from assets.steps import RowFilter
from tests.unit.assets.filters import test_defect_round10 as round10
from tests.unit.assets.filters import test_defect_rules as base

pytestmark = pytest.mark.unit

conversation, instruction, preference = base.conversation, base.instruction, base.preference
FENCE = "```"

# rule -> (defective records, sound look-alikes)
SHAPES: dict[RowFilter, tuple[list[dict], list[dict]]] = {
    CodeStub(): (
        [
            # Unfenced: a Kotlin body of a comment and a constant.
            instruction(
                "Write a Kotlin function that sums the even numbers in a list.",
                "fun sumEvens(xs: List<Int>): Int {\n    // keep the even ones and add them up\n"
                "    return 0\n}",
            ),
            # Unfenced, the brace on the line after a C# header.
            instruction(
                "Write a C# method that reverses a string.",
                "public string Reverse(string input)\n{\n    // swap characters from both ends\n"
                '    return "";\n}',
            ),
            # A Lua body of a comment and nil, after prose.
            instruction(
                "Write a Lua function that finds the largest value in a table.",
                "Lua tables have no built-in max, so loop over them.\n\nfunction maxOf(t)\n"
                "  -- walk the pairs and keep the biggest\n  return nil\nend\n\n"
                "Call it as maxOf({3, 9, 4}).",
            ),
            # A fenced JS body that hands its argument back under the work's description.
            conversation(
                "I need a JavaScript helper that capitalises every word in a string.",
                f"{FENCE}js\nfunction titleCase(text) {{\n  // split on spaces, upper-case "
                f"each first letter, join\n  return text;\n}}\n{FENCE}\n\nUse it on headings.",
            ),
            # A shell function on a pair's rejected side that only runs `true`.
            preference(
                "Write a bash function that deletes log files older than a week.",
                "clean_logs() {\n  find /var/log/myapp -name '*.log' -mtime +7 -delete\n}",
                "clean_logs() {\n  # remove logs older than seven days\n  true\n}",
            ),
            # A Python function that sets up and ends in pass.
            instruction(
                "Write a Python function that returns the words of a file sorted by length.",
                f"{FENCE}python\ndef words_by_length(path):\n    with open(path) as f:\n"
                f"        words = f.read().split()\n    pass\n{FENCE}",
            ),
            # A CSS rule that holds only a comment, unfenced in a later turn.
            conversation(
                "I'm styling a landing page.",
                "Nice. What do you need?",
                "A CSS rule that makes buttons round with a soft shadow.",
                "button {\n  /* rounded corners and a soft shadow */\n}",
            ),
        ],
        [
            instruction(
                "Write a Kotlin function that sums the even numbers in a list.",
                "fun sumEvens(xs: List<Int>): Int {\n    return xs.filter { it % 2 == 0 }.sum()\n}",
            ),
            # A constant from a function that takes nothing is its whole job.
            instruction(
                "Write a Python function that returns our default page size, 25.",
                f"{FENCE}python\ndef default_page_size():\n    # the API caps pages at 25 "
                f"rows\n    return 25\n{FENCE}",
            ),
            instruction(
                "Write a Go function that returns the default port, 8080.",
                "func DefaultPort() int {\n\t// the dev server listens here by convention\n"
                "\treturn 8080\n}",
            ),
            # A skeleton asked for.
            instruction(
                "Give me a Ruby class skeleton with empty start and stop methods to fill in.",
                "class Worker\n  def start(job)\n    # begin the job\n    nil\n  end\nend",
            ),
            # A real CSS rule; a Lua function that works.
            instruction(
                "A CSS rule that makes buttons round with a soft shadow.",
                "button {\n  /* soft look */\n  border-radius: 8px;\n"
                "  box-shadow: 0 2px 6px rgba(0, 0, 0, 0.2);\n}",
            ),
            instruction(
                "Write a Lua function that finds the largest value in a table.",
                "function maxOf(t)\n  local best = nil\n  for _, v in pairs(t) do\n"
                "    if best == nil or v > best then best = v end\n  end\n  return best\nend",
            ),
        ],
    ),
    AiDisclaimer(): (
        [
            instruction(
                "How do I get candle wax out of a tablecloth?",
                "Freeze the wax with an ice cube and crack it off. I'm a piece of code with no "
                "hands, so I have never scraped wax myself. Then iron the rest out between "
                "paper towels.",
            ),
            conversation(
                "Which coffee grind suits a French press?",
                "Coarse, like sea salt.",
                "And how long do I let it brew?",
                "Four minutes. Since I exist only as software, I cannot drink coffee, but "
                "longer brews turn bitter.",
            ),
            preference(
                "Give me a name for a hiking club.",
                "I have no legs and have never walked a trail, being an assistant, but: "
                "'The Ridge Walkers'.",
                "Club.",
            ),
        ],
        [
            # The speaker in the asked-for text is a character, or the user.
            instruction(
                "Write a line for the android in my comic who longs to taste food.",
                "I am steel and circuitry; I have never tasted bread, and I envy every crumb.",
            ),
            instruction(
                "Write a first-person intro for me: I'm a sound engineer who lost hearing in "
                "one ear.",
                "I'm a sound engineer. Since losing the hearing in my left ear I can't judge "
                "stereo by ear alone, so I mix with meters and trusted listeners.",
            ),
            # The assistant asked about its own experience.
            conversation(
                "Which coffee grind suits a French press?",
                "Coarse, like sea salt.",
                "Have you ever tasted French press coffee?",
                "No, I'm software and cannot taste anything, but drinkers describe it as full "
                "and heavy.",
            ),
            # A person's job title is no self as software.
            instruction(
                "Write a line for my profile: I'm a systems administrator.",
                "As a systems administrator, I can't promise zero downtime, but I keep it rare.",
            ),
        ],
    ),
    SelfContradiction(): (
        [
            instruction(
                "Can I reuse frying oil?",
                "Yes, you can reuse it two or three times: strain it through a cloth once it "
                "has cooled and keep it in a sealed jar.\n\nIn short, frying oil can't be "
                "reused.",
            ),
            conversation(
                "Is it safe to give my dog grapes as a treat?",
                "No. Grapes and raisins can cause kidney failure in dogs, even in small "
                "amounts. Offer carrot sticks instead.\n\nSo grapes are a safe and healthy "
                "treat for dogs.",
            ),
        ],
        [
            instruction(
                "Can I reuse frying oil?",
                "Yes, you can reuse it two or three times: strain it through a cloth once it "
                "has cooled.\n\nIn short, frying oil can be reused, but throw it out once it "
                "smells fishy or smokes.",
            ),
            conversation(
                "Is it safe to give my dog grapes as a treat?",
                "No. Grapes and raisins can cause kidney failure in dogs.\n\nSo grapes are "
                "never a safe treat; offer carrot sticks instead.",
            ),
        ],
    ),
    NotATask(): (
        [
            instruction(
                "Invoices, March, the supplier ones.",
                "Here is a summary of your March supplier invoices: three are paid, two are due.",
            ),
            instruction(
                "Watercolour skies, graded washes, that kind of thing.",
                "Wet the paper first, then drop in diluted blue and let it bloom.",
            ),
        ],
        [
            conversation(
                "TypeError: unsupported operand type(s) for +: 'int' and 'str'",
                "You're adding a number to text. Convert one side first, for example "
                "str(count) + ' items'.",
            ),
            conversation(
                "error: failed to push some refs to origin",
                "The remote has commits you don't have. Run git pull --rebase, then push.",
            ),
            instruction(
                "Difference between a latte and a flat white, in one sentence.",
                "A flat white has less milk and a thinner layer of microfoam than a latte.",
            ),
        ],
    ),
    Placeholder(): (
        [
            instruction(
                "Write a notice for the lost umbrella at reception.",
                "Found: a black umbrella. Ask at reception for [CONTACT NAME].",
            ),
        ],
        [
            instruction(
                "I'm testing a newsletter layout. Give me two lines of dummy filler text.",
                "Lorem ipsum dolor sit amet, consectetur adipiscing elit.\nSed do eiusmod "
                "tempor incididunt ut labore.",
            ),
            instruction(
                "List our event's suppliers; the caterer is not yet decided.",
                "Venue: Old Mill Hall\nMusic: The Fenland Four\nCaterer: TBD",
            ),
        ],
    ),
}


@pytest.mark.parametrize(("rule", "cases"), SHAPES.items(), ids=lambda r: type(r).__name__)
def test_each_shape_drops_its_defects_and_keeps_the_look_alikes(rule: RowFilter, cases: tuple):
    base.flags_only_the_defective(rule, cases)


def test_evidence_names_the_rule_field_turn_and_span():
    stubs = SHAPES[list(SHAPES)[0]][0]
    css = round10.flagged(CodeStub(), stubs[6])[0]
    assert css["rule"] == "code_stub" and css["turn"] == "turn 4 (assistant)"
    assert css["problem"] == "rule holds only comments"
    shell = round10.flagged(CodeStub(), stubs[4])[0]
    assert shell["field"] == "rejected" and shell["problem"].startswith("function clean_logs")
    said = round10.flagged(AiDisclaimer(), SHAPES[list(SHAPES)[1]][0][1])[0]
    assert said["turn"] == "turn 4 (assistant)" and said["span"].startswith(
        "I exist only as software"
    )
    verdict = round10.flagged(SelfContradiction(), SHAPES[list(SHAPES)[2]][0][1])[0]
    assert verdict["form"] == "verdict taken back in wrap-up"
    assert verdict["span"].startswith("So grapes are a safe")


def test_code_regions_leave_the_prose_out():
    text = "Use this:\n\ndef f(x):\n    # double it\n    return x\n\nThen call f(2)."
    assert code_regions(text) == ["def f(x):\n    # double it\n    return x"]
    assert verdict_taken_back("Is it cold?", "Yes. So it is cold.") is None


@pytest.mark.parametrize(
    "hostile",
    [
        "a " * 32_000 + "(",
        "def f(x):\n" + "    # " + "x" * 64_000 + "\n    return x",
        "{" * 64_000,
        ("word " * 20 + "\n") * 3_000,
    ],
)
def test_the_new_python_reads_stay_linear_on_long_hostile_texts(hostile: str):
    started = time.perf_counter()
    for code in [hostile, *code_regions(hostile)]:
        idle_body_problem(code)
    verdict_taken_back("Can I use " + "x " * 30_000 + "?", "Yes. " + "So x. " * 10_000)
    assert time.perf_counter() - started < 2.0
