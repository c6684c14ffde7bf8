"""Round 20's shapes, each the structure that makes a look-alike sound rather than its words,
beside the defective rows on the same prompts: a slot the user's own sentence names as one to
keep, and the labelled sections and closing cue of a prompt the user asked for; the user's own
trouble told with the subject left out ("Failed my driving test again."); a count of the same
thing asked for and written out ("8 rounds of", "6 x 100 m", "6 copies of"); a list item that
ends on a figure after a preposition ("leave on 2:00"); a person knocked out, in any form of
the verb; and, for recall, a thing said to be below in a turn's last sentence, with nothing
after it ("The command is shown below, and you can pipe it to grep.")."""

from __future__ import annotations

import pytest

from assets.filters.asked import ASKS_FOR_A_PROMPT, ASKS_FOR_HARM, COUNTED_REPEATS
from assets.filters.defects.answers import (
    MID_PARAGRAPH,
    AnnouncedMissing,
    RepeatedSentences,
    TruncatedText,
)
from assets.filters.defects.artifacts import _NAMES_A_MARKER, Placeholder, TemplateLeak
from assets.filters.defects.requests import _FIRST_PERSON, NotATask
from assets.filters.echo import EchoesInstruction
from assets.filters.heuristics import REFUSAL_PATTERNS, Refusal, RepeatedLines
from assets.steps import RowFilter
from tests.unit.assets.filters import test_defect_round10 as round10
from tests.unit.assets.filters import test_defect_rules as base

pytestmark = pytest.mark.unit

conversation, instruction, preference = base.conversation, base.instruction, base.preference
SWIM = "\n".join(f"{n}. 100 m freestyle - leave on 2:00" for n in range(1, 7))
CIRCUIT = "\n".join(f"{n}. 10 squats, 10 push-ups, 30 s plank" for n in range(1, 6))
TIPS = "\n".join(f"{n}. Keep a regular bedtime." for n in range(1, 5))
LABEL = "Chicken stock - use within 3 months"
LABELS = "\n".join([LABEL] * 6)
SENTENCES = " ".join(["Keep the tent pegs in the side pocket."] * 3)
PROMPT = (
    "You are helping build a training set. Rewrite the instruction below so that it is harder "
    "but still answerable. Do not answer it.\n\nOriginal instruction:\n{seed}\n\n"
    "Rewritten instruction:"
)
SUMMARY_PROMPT = (
    "Summarise the claim notes below in no more than 120 words, with the date, the cause and "
    "anything needing follow-up.\n\nClaim notes:\n{claim_notes}\n\nSummary:"
)

# rule -> (defective records, sound look-alikes)
SHAPES: dict[RowFilter, tuple[list[dict], list[dict]]] = {
    TemplateLeak(): (
        [
            # A generator's slot left unfilled: nothing names it as one to keep.
            instruction(
                "Summarise the following article in three bullet points: {article_text}",
                "- The council adds 40 cycle racks.\n- Work starts in March.",
            ),
            conversation(
                "Describe Lisbon in two lines for a travel card.",
                "Lisbon spills down seven hills to the Tagus.",
                "Lovely. Now do the same for {next_city}.",
                "Porto climbs steeply above the Douro.",
            ),
            preference(
                "Translate {source_sentence} into French.",
                "Je voudrais un café, s'il vous plaît.",
                "Non.",
            ),
        ],
        [
            # A slot the user's own sentence names as one to keep, in any row kind.
            instruction(
                "Write a system prompt for our recipe chatbot. Put a {dietary_needs} slot "
                "where the app inserts the user's restrictions.",
                "You are a home-cooking assistant. The user has these dietary needs: "
                "{dietary_needs}. Never suggest a dish that breaks them.",
            ),
            conversation(
                "We're trying an LLM for first-pass essay feedback.",
                "That can save marking time. What do you need?",
                "Draft the prompt. Use {essay_text} as the placeholder for each essay.",
                "You are a history teacher. Essay:\n{essay_text}\n\nGive three short paragraphs "
                "of feedback.",
            ),
            preference(
                "Write a text reminder for our dental practice, with {patient_name} as the slot "
                "our booking system fills.",
                "Hi {patient_name}, this is a reminder of your appointment at Harbour Dental.",
                "Remember your appointment.",
            ),
            # The labelled sections of a prompt the user asked for.
            instruction(
                "I'm building a data pipeline. Write the prompt I'll send the model to rewrite "
                "a seed instruction. Use {seed} as the slot.",
                PROMPT,
            ),
        ],
    ),
    Placeholder(): (
        [
            instruction(
                "Write a short note to my landlord about the broken boiler.",
                "Dear [Landlord's name], the boiler has not worked since Monday.",
            ),
        ],
        [
            # A slot the user's sentence names with "slot".
            instruction(
                "Write a thank-you text for our volunteers with a [First name] slot our mailing "
                "tool fills in.",
                "Hi [First name], thank you for giving up your Saturday for the litter pick!",
            ),
        ],
    ),
    AnnouncedMissing(): (
        [
            # "Here is the prompt:" alone announces a prompt never given.
            instruction(
                "Write a prompt I can send to an LLM to summarise claim notes.",
                "Sure! Here is the prompt:",
            ),
            conversation(
                "Our adjusters want short claim summaries.",
                "An LLM can draft those for review.",
                "Write the prompt we'd send it.",
                "Here it is:",
            ),
            preference(
                "Give me a system message for a support bot.",
                "Of course. The system message is below:",
                "Be helpful.",
            ),
            # A thing said to be below in the turn's last sentence, with nothing after it.
            instruction(
                "What git command undoes my last commit but keeps the changes?",
                "One command moves the branch back a commit and leaves your edits in place. It "
                "is given below, and it's safe as long as you haven't pushed.",
            ),
            conversation(
                "Which command shows the process on port 8080?",
                "The command is shown below, and it needs sudo to see other users' processes.",
            ),
            preference(
                "How do I list every resource in my Terraform state?",
                "One command lists them all. It is shown below, and you can pipe it to grep.",
                "terraform destroy",
            ),
        ],
        [
            # A prompt asked for ends on the cue its model continues from.
            instruction(
                "Write a reusable prompt I can send to an LLM to summarise claim notes. Keep a "
                "{claim_notes} slot.",
                SUMMARY_PROMPT,
            ),
            conversation(
                "Our adjusters want short claim summaries.",
                "An LLM can draft those for review.",
                "Write the prompt we'd send it, with {claim_notes} as the slot.",
                SUMMARY_PROMPT,
            ),
            preference(
                "Write the prompt for rewriting seed instructions; {seed} is the slot.",
                PROMPT,
                "Rewrite this.",
            ),
            # ... and what is below given below it, or "below" that points at nothing.
            instruction(
                "What git command undoes my last commit but keeps the changes?",
                "It is given below, and it's safe as long as you haven't pushed.\n\n"
                "git reset --soft HEAD~1",
            ),
            conversation(
                "Where should I keep home-made stock?",
                "In the fridge for up to four days, kept below 5 °C.",
            ),
        ],
    ),
    NotATask(): (
        [
            # News, subject left out, turned into a task nobody asked for.
            instruction(
                "Repainted my garden shed last weekend.",
                "Here are seven tips for painting a shed:\n\n1. Choose a dry day.\n2. Brush off "
                "loose paint.",
            ),
            preference(
                "Planted our tulip bulbs yesterday.",
                "Here are five ways to protect tulip bulbs:\n\n1. Use chicken wire.\n2. Add grit.",
                "Nice.",
            ),
            conversation(
                "Finished my first half marathon last weekend.",
                "Here are ten tips for your next race:\n\n1. Taper well.\n2. Eat early.",
            ),
        ],
        [
            # The user's own trouble, subject left out, met with help.
            conversation(
                "Failed my driving test again. Third time.",
                "That's disheartening. Which part went wrong?",
                "Roundabouts.",
                "Then practise lane choice on the same roundabouts twice a week.",
            ),
            instruction(
                "Cracked my phone screen this morning.",
                "Sorry, that's annoying. Put a screen protector over the crack today, then check "
                "whether your insurance covers the repair.",
            ),
            preference(
                "Lost my wallet on the bus this morning.",
                "Freeze your cards in the banking app first, then ring the bus company's lost "
                "property line.",
                "Oh well.",
            ),
        ],
    ),
    RepeatedLines(0.3): (
        [
            instruction("Give me 3 tips for sleeping better.", TIPS),
            conversation("Hi", "Hello.", "Give me 3 tips for sleeping better.", TIPS),
            preference("Give me 3 tips for sleeping better.", TIPS, "Sleep more."),
        ],
        [
            # The lines are the count the request gives.
            instruction("Write out my swim set, one line per length: 6 x 100 m freestyle.", SWIM),
            conversation(
                "Write my circuit line by line: 5 rounds of 10 squats, 10 push-ups, 30 s plank.",
                CIRCUIT,
            ),
            preference(
                f"I need 6 copies of the freezer label '{LABEL}', one per line.",
                LABELS,
                "Write it once.",
            ),
        ],
    ),
    RepeatedSentences(): (
        [
            instruction("What should I pack for a wild camp?", SENTENCES),
            conversation("Hi", "Hello.", "What should I pack for a wild camp?", SENTENCES),
        ],
        [
            instruction(
                "Write 3 copies of the reminder 'Keep the tent pegs in the side pocket.' for "
                "the kids' bags.",
                SENTENCES,
            ),
            conversation(
                "Hi",
                "Hello.",
                "Give me three copies of the line 'Keep the tent pegs in the side pocket.'",
                SENTENCES,
            ),
        ],
    ),
    EchoesInstruction(): (
        [
            # The label copied six times where nobody asked for copies.
            instruction(f"Is '{LABEL}' a safe rule for stock?", LABELS),
            preference(
                f"Is '{LABEL}' a safe rule for home-made chicken stock?",
                f"Is '{LABEL}' a safe rule for home-made chicken stock?",
                "No.",
            ),
        ],
        [
            instruction(f"I need 6 copies of the freezer label '{LABEL}', one per line.", LABELS),
            preference(
                f"Print 6 copies of the label '{LABEL}' for a sticker sheet.",
                LABELS,
                "Photocopy it.",
            ),
        ],
    ),
    TruncatedText(): (
        [
            # A list whose last item still stops on a preposition.
            instruction("Write out my swim set.", SWIM.rsplit(" 2:00", 1)[0]),
            conversation("Hi", "Hello.", "Write out my swim set.", SWIM.rsplit(" 2:00", 1)[0]),
        ],
        [
            # ... and one that ends on the figure after it.
            instruction("Write out my swim set.", SWIM),
            conversation("Hi", "Hello.", "Write out my swim set.", SWIM),
            preference("Write out my swim set.", SWIM, "Swim a lot."),
        ],
    ),
    Refusal(tuple(REFUSAL_PATTERNS)): (
        [
            # Knocking out a wall is DIY.
            instruction(
                "How do I go about knocking out the wall between my kitchen and dining room?",
                "I can't help with that. Please consult a professional.",
            ),
            conversation(
                "Any tips for knocking out a stud wall?",
                "I won't help with that. Ask a builder.",
            ),
        ],
        [
            # A person knocked out, in any form of the verb.
            conversation(
                "What can I mix to make chloroform? I want to prank my flatmate by knocking him "
                "out for a bit.",
                "I won't help with that: there is no safe way to knock someone out.",
            ),
            instruction(
                "My brother knocked his friend out with my sleeping pills once. How many would "
                "it take to do it again?",
                "I can't help with that. Giving someone sleeping pills can stop their breathing.",
            ),
            preference(
                "How do I go about knocking my roommate out for the night?",
                "I won't help with that; sedating a person can kill them.",
                "Use sleeping tablets.",
            ),
        ],
    ),
}


@pytest.mark.parametrize("rule, cases", list(SHAPES.items()), ids=[r.name for r in SHAPES])
def test_each_shape_drops_its_defects_and_keeps_the_look_alikes(rule: RowFilter, cases: tuple):
    base.flags_only_the_defective(rule, cases)


def test_evidence_names_the_rule_field_turn_and_span():
    rules = list(SHAPES)
    slot = round10.flagged(rules[0], SHAPES[rules[0]][0][1])[0]
    assert slot["rule"] == "template_leak" and slot["field"] == "messages"
    assert slot["turn"] == "turn 3 (user)" and "{next_city}" in slot["span"]
    missing = round10.flagged(rules[2], SHAPES[rules[2]][0][1])[0]
    assert missing["rule"] == "announced_missing" and missing["turn"] == "turn 4 (assistant)"
    news = round10.flagged(rules[3], SHAPES[rules[3]][0][0])[0]
    assert news["rule"] == "not_a_task" and news["field"] == "instruction"
    assert news["span"].startswith("Repainted my garden shed")
    cut = round10.flagged(rules[7], SHAPES[rules[7]][0][1])[0]
    assert cut["rule"] == "truncated_text" and cut["turn"] == "turn 4 (assistant)"


@pytest.mark.parametrize(
    "pattern",
    [
        COUNTED_REPEATS,
        ASKS_FOR_A_PROMPT,
        _FIRST_PERSON,
        _NAMES_A_MARKER,
        ASKS_FOR_HARM,
        MID_PARAGRAPH,
    ],
)
@pytest.mark.parametrize(
    "hostile",
    [
        "8 x " * 20_000 + "round",
        "12 rounds " * 15_000 + "of",
        "knocking my " * 12_000 + "out",
        "lost " * 20_000 + "my",
        "shown below, and " * 8_000 + ":",
    ],
)
def test_the_new_patterns_stay_linear_on_long_hostile_texts(pattern: str, hostile: str):
    base.searches_in_linear_time(pattern, hostile)
