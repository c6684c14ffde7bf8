"""Round 10's general shapes, in each row kind a rule reads, beside the sound look-alikes on
the same prompts: a repeat counted within one answer (a revision the user asked for keeps
the earlier turn's sentences; a sentence the request gives may be placed twice), a turn in
the asker's voice whatever its opening ("I've always wondered that too"), an agent's sign-off
in a user turn, code announced and only described, a request restated in filler, a count's
top held by two things, and a plan's table read as no statement made twice."""

from __future__ import annotations

import json

import pytest

from assets.filters.defects.answers import AnnouncedMissing, RepeatedSentences
from assets.filters.defects.contradictions import SelfContradiction
from assets.filters.defects.roles import RoleFlip
from assets.filters.echo import EchoesInstruction
from assets.steps import RowFilter
from assets.turn_evidence import name_turns
from tests.unit.assets.filters import test_defect_rules as base
from tests.unit.assets.filters.test_defect_forms import with_system

pytestmark = pytest.mark.unit

conversation, instruction, preference = base.conversation, base.instruction, base.preference


def flagged(rule: RowFilter, *records: dict) -> list[dict | None]:
    """The evidence of each record the rule flags, in record order (None: kept), with the
    turn a stage names (`name_turns`)."""
    rows = base.rows_of(*records)
    decided = name_turns(rule.flag(rows), rows)
    found = {r["row_id"]: json.loads(r["evidence"]) for r in decided.iter_rows(named=True)}
    return [found.get(row_id) for row_id in rows["row_id"]]


LISTING = "For sale: 2019 Trek FX 2 hybrid in blue, 52 cm frame. Smooth gears, ready to ride. $350."
CLOSING = "Thank you for your continued partnership."
EMAIL = (
    f"Hi Marco,\n\n{CLOSING} Invoice #1182 was due on 3 November and still shows as open. "
    f"Could you check whether it has been scheduled?\n\n{CLOSING}\n\nBest regards,\nAnna"
)
PLAN = (
    "| Week | Run 1 | Run 2 | Run 3 |\n|---|---|---|---|\n"
    "| 1 | Run 1 min / walk 2 min × 8 | Run 1 min / walk 2 min × 8 | Run 1 min / walk 2 min × 8 |\n"
    "| 2 | Run 2 min / walk 2 min × 6 | Run 2 min / walk 2 min × 6 | Run 3 min / walk 2 min × 5 |"
)

# rule -> (defective records, sound look-alikes)
SHAPES: dict[RowFilter, tuple[list[dict], list[dict]]] = {
    # A sentence twice within one answer, or a turn copied whole as the answer to another
    # question; not a revision the user asked for, nor a sentence the request gives.
    RepeatedSentences(): (
        [
            instruction(
                "How does a fridge work?",
                "A fridge moves heat from the inside to the outside. It uses a refrigerant. "
                "A fridge moves heat from the inside to the outside.",
            ),
            conversation(
                "What's a good first programming language?",
                "Python is a good first language because its syntax is readable.",
                "And for making games?",
                "Python is a good first language because its syntax is readable.",
            ),
            conversation(
                "How do I keep basil fresh?",
                "Trim the stems and stand them in water. Keep it out of the fridge. Trim the "
                "stems and stand them in water.",
            ),
            preference(
                "Describe our bakery in two sentences.",
                "Fresh bread every single morning. Come in and say hello. Fresh bread every "
                "single morning.",
                "Bread.",
            ),
        ],
        [
            conversation(
                "Write a short listing for my bike: 2019 Trek FX 2, blue, 52 cm, $350.",
                LISTING,
                "Add a line about how to contact me, my number is 555-0142.",
                f"{LISTING} Call or text 555-0142 to arrange a viewing.",
            ),
            instruction(
                f"Write a short reminder to a client about invoice #1182. Open and close with "
                f"our usual line: '{CLOSING}'",
                EMAIL,
            ),
            preference(
                f"Write a short reminder about invoice #1182 that ends with: '{CLOSING}'",
                EMAIL,
                "Pay now.",
            ),
            conversation(
                "Write a 3-line motivational message for the team. Make the first and last "
                "lines identical.",
                "We're not done yet, not by a long way.\nWe learned where the plan broke and "
                "we'll fix it together.\nWe're not done yet, not by a long way.",
            ),
        ],
    ),
    # The asker's voice in an assistant turn, even after an assistant's opening; an agent's
    # greeting or sign-off in a user turn. Not the user's own curiosity, an answer that asks
    # back after answering, or a role-play a system prompt set up.
    RoleFlip(): (
        [
            conversation(
                "Which is healthier, brown rice or white rice?",
                "Hmm, I've always wondered that too. Which one do you usually eat?",
            ),
            conversation(
                "Is it better than making extra repayments?",
                "Good question, I was wondering the same thing myself. Could you explain it to me?",
            ),
            conversation(
                "Is it worth learning Rust if I know Python?",
                "Same here, I know Python and I'm thinking about picking up Rust too. Why "
                "are you interested?",
            ),
            conversation(
                "My internet drops every evening.",
                "Does it also drop on a cable?",
                "Thank you for contacting support! Your ticket number is 55102.",
            ),
            conversation(
                "How do I reset my router?",
                "Hold the reset button for 10 seconds.",
                "Glad I could help! If you have any more questions about your router, just ask.",
            ),
        ],
        [
            conversation(
                "I was wondering the same thing as my sister: is brown rice healthier?",
                "Brown rice has more fibre and magnesium because the bran is kept.",
            ),
            conversation(
                "Is it worth learning Rust if I know Python?",
                "If you want fast low-level code without a garbage collector, yes. What made "
                "you interested in it?",
            ),
            with_system(
                "Role-play: you are a customer calling a help desk, and I am the agent.",
                "Hello! Welcome to the help desk. What seems to be the problem today?",
                "My printer keeps saying it's offline.",
            ),
            conversation(
                "My parcel never came and the courier says delivered. I got this reply: "
                "'Thank you for contacting support, we are looking into it.' What now?",
                "Ask the shop to open a claim with the courier; the contract is theirs.",
            ),
        ],
    ),
    # Code asked for, announced and only described; not the code given, a pushback with no
    # pointer, a label the request asked for, a promise followed by its steps.
    AnnouncedMissing(): (
        [
            instruction(
                "Write a bash one-liner that counts the lines in every .txt file.",
                "Here's a one-liner that does exactly that. It runs find over the folder and "
                "passes the files to wc.",
            ),
            conversation(
                "Give me a regex that matches a UK postcode.",
                "Here's a pattern that covers the standard formats. It checks the outward "
                "code, an optional space and the inward code.",
            ),
            preference(
                "Write a SQL query that returns the top 5 products by revenue.",
                "Below is a query that computes revenue per product, sorts by it and keeps the "
                "first five rows.",
                "No.",
            ),
            instruction(
                "Convert 72 °F to Celsius and show the working.",
                "Sure, I'll show each step of the conversion below so you can follow it.",
            ),
        ],
        [
            instruction(
                "Write a bash one-liner that counts the lines in every .txt file.",
                "Here's a one-liner that does exactly that:\n\n```bash\nfind . -name '*.txt' "
                "-exec wc -l {} +\n```",
            ),
            conversation(
                "Give me a regex that validates every email address.",
                "No single regex validates every valid address; the standard allows too much. "
                "Check for one @ and a dot after it, then send a confirmation email.",
            ),
            preference(
                "Write a SQL query that returns the top 5 products by revenue.",
                "Here is the query: SELECT product_id, SUM(qty * unit_price) AS revenue FROM "
                "sales GROUP BY product_id ORDER BY revenue DESC LIMIT 5.",
                "No.",
            ),
            instruction(
                "Write a prompt that rewrites questions to be harder. Use 'Original question:' "
                "and 'Rewritten question:' labels.",
                "Rewrite the question below so that it needs one more step of reasoning.\n\n"
                "Original question: {question}\n\nRewritten question:",
            ),
            instruction(
                "Convert 72 °F to Celsius and show the working.",
                "Sure, I'll show each step below.\n\n1. 72 - 32 = 40\n2. 40 × 5/9 = 22.2",
            ),
        ],
    ),
    # The request said back in filler alone; not an answer that adds its own content word.
    EchoesInstruction(): (
        [
            instruction(
                "How do I get candle wax out of a tablecloth?",
                "Okay, so you want to get candle wax out of a tablecloth.",
            ),
            conversation(
                "How do I turn off read receipts on WhatsApp?",
                "Right, so you want to turn off read receipts on WhatsApp.",
            ),
            preference(
                "How do I get candle wax out of a tablecloth?",
                "Sure, you want to get candle wax out of a tablecloth.",
                "No.",
            ),
        ],
        [
            instruction(
                "How do I get candle wax out of a tablecloth?",
                "Scrape off the wax, then iron it through brown paper.",
            ),
            conversation(
                "How do I turn off read receipts on WhatsApp?",
                "Okay: Settings, Privacy, then switch off read receipts.",
            ),
            preference(
                "What is the capital of France?", "The capital of France is Paris.", "Rome."
            ),
        ],
    ),
    # A count's top held by two things ("has the most moons" / "more moons than any other
    # planet"); not a leader and its runner-up, nor a plan's table of weeks.
    SelfContradiction(): (
        [
            instruction(
                "Which planet has the most moons?",
                "Saturn has the most known moons, with well over a hundred. Jupiter, with 95 "
                "confirmed moons, has more moons than any other planet.",
            ),
            conversation(
                "Which river is the longest?",
                "The Nile is the longest river, at about 6,650 km. The Amazon is longer than "
                "any other river in the world.",
            ),
        ],
        [
            instruction(
                "Which planet has the most moons?",
                "Saturn has the most known moons, with well over a hundred. Jupiter is second "
                "with 95, more than any planet but Saturn.",
            ),
            conversation(
                "Make me a 2-week beginner running plan, three runs a week.",
                f"{PLAN}\n\nRest or walk on the days between runs.",
            ),
        ],
    ),
}


@pytest.mark.parametrize(("rule", "cases"), SHAPES.items(), ids=lambda x: getattr(x, "name", ""))
def test_each_shape_is_dropped_and_its_look_alikes_kept(rule: RowFilter, cases: tuple):
    defective, sound = cases
    found = flagged(rule, *defective, *sound)
    for record, evidence in zip(defective, found[: len(defective)], strict=True):
        assert evidence is not None, record
        # Evidence names the rule, the field and, for a conversation, the turn.
        assert evidence["rule"] == rule.name and evidence["field"] in ("response", "messages")
        assert (evidence.get("turn") is not None) == (record["kind"] == "conversation")
    assert found[len(defective) :] == [None] * len(sound)


def test_a_turn_copied_whole_names_its_first_turn_and_the_copy():
    (evidence,) = flagged(RepeatedSentences(), SHAPES[RepeatedSentences()][0][1])
    assert evidence["times"] == 2
    assert evidence["span"].startswith("python is a good first language")


def test_the_asker_voice_is_the_span_not_the_opening():
    chat = SHAPES[RoleFlip()][0][1]
    (evidence,) = flagged(RoleFlip(), chat)
    assert evidence["turn"] == "turn 2 (assistant)"
    assert evidence["span"] == "I was wondering the same"


def test_code_only_described_names_its_pointer():
    (evidence,) = flagged(AnnouncedMissing(), SHAPES[AnnouncedMissing()][0][0])
    assert evidence["how"] == "code announced, none given"
    assert evidence["span"].startswith("Here's a one-liner")


def test_two_holders_of_a_count_top_are_both_spans():
    (evidence,) = flagged(SelfContradiction(), SHAPES[SelfContradiction()][0][0])
    assert "Saturn has the most known moons" in evidence["span"]
    assert "than any other planet" in evidence["span"]


def test_hostile_turns_are_read_as_text_and_the_real_voice_still_found():
    # Model output is hostile: apostrophes between letters by the thousand (the quotation
    # pattern's contraction form), NULs, regex metacharacters, 120,000 characters. The turn in
    # the asker's voice is still the one flagged, by its own words; the noise alone is kept.
    noise = ("it's 'a'b'c' don't (.*)+[^\\d]{2,}\x00 " * 3_000).strip()
    quoted = "I said 'I was wondering the same' to him."
    flip = conversation(
        "Why do cats purr?",
        noise + "\n\nGood question, I was wondering the same thing myself. Do you know?",
    )
    kept = conversation("Why do cats purr?", noise + "\n\n" + quoted)
    evidence, none = flagged(RoleFlip(), flip, kept)
    assert none is None
    assert evidence["turn"] == "turn 2 (assistant)"
    assert evidence["span"] == "I was wondering the same"
