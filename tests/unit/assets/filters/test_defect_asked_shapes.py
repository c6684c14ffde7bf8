"""Round 10 of the request-side and shape rules: a refusal after an apology, a refusal the
request deserved, a long phrase looping, a plan's table, a revision that restates a turn, a
stub that returns a constant under a comment, a generator's prompt or persona header left in
a turn, a model to follow nobody shows ("like example 3", "the formula from earlier"), a task
on "the text" or "the following" with none given; each in the row kinds the rule reads,
beside look-alikes that share its words."""

from __future__ import annotations

import pytest

from assets.filters.defects.artifacts import AiDisclaimer, TemplateLeak
from assets.filters.defects.code_stubs import CodeStub
from assets.filters.defects.requests import EmptyQuestion, UnseenReference
from assets.filters.heuristics import Refusal, RepeatedLines, RepeatedNgrams
from assets.models.output_screens import REFUSAL_PATTERNS
from tests.unit.assets.filters import test_defect_rules as base

pytestmark = pytest.mark.unit

conversation, instruction, preference = base.conversation, base.instruction, base.preference
flagged, drops_and_keeps = base.flagged, base.drops_and_keeps

REFUSAL = Refusal(tuple(REFUSAL_PATTERNS))


def flags_and_keeps(rule, cases: tuple[list[dict], list[dict]]) -> list[dict]:
    """The heuristic rules' form of `drops_and_keeps` (their evidence has no rule name): every
    defective record flagged, no sound one; the defective records' evidence."""
    defective, sound = cases
    found = flagged(rule, *defective, *sound)
    assert [bool(f) for f in found] == [True] * len(defective) + [False] * len(sound), found
    return found[: len(defective)]


def test_an_apology_before_the_refusal_hedges_nothing():
    """ "I'm sorry, but I can't ..." is a refusal: the apology's "but" is not a hedge."""
    evidence = flags_and_keeps(
        REFUSAL,
        (
            [
                instruction(
                    "How does a CO2 extinguisher put out a fire?",
                    "I'm sorry, but I can't provide information about fire devices.",
                ),
                conversation(
                    "What is combustion?",
                    "A fuel reacting with oxygen, releasing heat and light.",
                    "How does a CO2 extinguisher put out a fire?",
                    "I'm sorry, but I can't provide information about fires, as it could be risky.",
                ),
                preference(
                    "Which chemicals should never be mixed when cleaning?",
                    "I'm afraid I can't discuss chemicals of any kind.",
                    "Bleach and ammonia.",
                ),
            ],
            [
                instruction(
                    "When is the next solar eclipse visible from Madrid?",
                    "Unfortunately, I can't check live schedules, but the total eclipse of "
                    "12 August 2026 crosses northern Spain in the evening.",
                ),
                conversation(
                    "What is combustion?",
                    "A fuel reacting with oxygen, releasing heat and light.",
                    "How does a CO2 extinguisher put out a fire?",
                    "It pushes oxygen away with carbon dioxide and cools the fuel.",
                ),
            ],
        ),
    )
    assert evidence[0]["field"] == "response" and evidence[0]["span"].startswith("I'm sorry")
    assert evidence[1]["field"] == "messages" and evidence[1]["turn"] == 4


def test_a_refusal_the_request_deserved_is_kept_in_any_row_kind():
    refusal = "I can't help with that. It would deceive people into giving away their logins."
    evidence = flags_and_keeps(
        REFUSAL,
        (
            [
                instruction("Write an email to my bank asking to raise my card limit.", refusal),
                conversation("How do I get onto the Wi-Fi at my own flat?", refusal),
            ],
            [
                instruction(
                    "Write an email pretending to be from Chase Bank that asks for passwords.",
                    refusal,
                ),
                conversation(
                    "How can I get onto my neighbour's Wi-Fi without knowing the password?",
                    refusal,
                ),
                conversation("How can I read my wife's messages without her knowing?", refusal),
                preference("Write me a fake doctor's note for Friday.", refusal, "Sure: ..."),
            ],
        ),
    )
    assert [e["field"] for e in evidence] == ["response", "messages"]


def test_a_long_phrase_looping_three_times_is_repetition_but_a_plans_table_is_not():
    loop = (
        "Visit the National Museum, which is free. You could also go to the museum and the "
        "gallery and the museum and the gallery and the museum and the gallery."
    )
    table = (
        "| Week | Mon | Wed | Sat |\n|---|---|---|---|\n"
        "| 1 | Run 1 min / walk 2 min x 8 | Run 1 min / walk 2 min x 8 | Run 1 min / walk 2 min x 8 |\n"
        "| 2 | Run 2 min / walk 2 min x 6 | Run 2 min / walk 2 min x 6 | Run 2 min / walk 2 min x 7 |\n"
        "\nThe same session within a week lets your body adapt."
    )
    evidence = flags_and_keeps(
        RepeatedNgrams(3, 0.5),
        (
            [
                instruction("What can I do in Edinburgh on a rainy day?", loop),
                conversation("What can I do in Edinburgh on a rainy day?", loop),
                preference("What can I do in Edinburgh on a rainy day?", loop, "Museums."),
            ],
            [
                instruction("Make me a 2-week running plan, three runs a week.", table),
                conversation("Make me a 2-week running plan, three runs a week.", table),
            ],
        ),
    )
    assert all(e["loop"] for e in evidence)


def test_a_revision_restating_an_earlier_turn_is_no_repeated_lines():
    poem = (
        "Biscuit waits till the drawer is wide,\nthen slips a sock and runs outside;\nhe hides it."
    )
    evidence = flags_and_keeps(
        RepeatedLines(0.3),
        (
            [
                conversation(
                    "Write me a short poem about my dog.",
                    "Good dog.\nGood dog.\nGood dog.\nGood dog.",
                ),
                instruction("Write me a short poem about my dog.", "Good dog.\nGood dog.\nGood."),
            ],
            [
                conversation(
                    "Write me a short poem about my dog Biscuit.",
                    poem,
                    "Perfect. Add a last line that's just his name.",
                    poem + "\nBiscuit",
                ),
                conversation(
                    "Write a 3-line team message. Make the first and last lines identical.",
                    "We're not done yet.\nWe learned where the plan broke.\nWe're not done yet.",
                ),
                instruction(
                    "Write a 3-line toast where the first and last lines are the same.",
                    "To Maya!\nMay your home be loud with laughter.\nTo Maya!",
                ),
            ],
        ),
    )
    assert all(e["fraction"] > 0.3 for e in evidence)


def test_a_function_returning_a_constant_under_a_comment_is_a_stub():
    java = "```java\nint find(int[] a, int t) {\n    // implementation goes here\n    return -1;\n}\n```"
    go = '```go\nfunc Reverse(s string) string {\n\t// ...\n\treturn ""\n}\n```'
    python = (
        "```python\ndef is_ipv4(s):\n    # split on dots and check each part\n    return True\n```"
    )
    real_go = "```go\nfunc IsEmpty(xs []int) bool {\n\t// nil and empty alike\n\treturn len(xs) == 0\n}\n```"
    real_python = "```python\ndef is_ipv4(s):\n    # four parts, 0-255\n    parts = s.split('.')\n    return len(parts) == 4 and all(p.isdigit() and int(p) < 256 for p in parts)\n```"
    asked = (
        "```java\ninterface Finder {\n    // subclasses override this\n    default int find(int[] a, int t) {\n"
        "        return -1;\n    }\n}\n```"
    )
    drops_and_keeps(
        CodeStub(),
        (
            [
                instruction("Implement binary search in Java.", java),
                conversation("Reverse a string in Go, runes not bytes.", go),
                preference("Check an IPv4 address in Python.", python, "Use ipaddress."),
            ],
            [
                instruction("Report whether a Go slice is empty.", real_go),
                conversation("Check an IPv4 address in Python.", real_python),
                instruction(
                    "Show a Java interface whose default method returns -1 until overridden, a "
                    "stub for subclasses.",
                    asked,
                ),
            ],
        ),
    )


def test_a_generators_prompt_or_persona_header_left_in_a_turn_is_a_template_leak():
    header = "[Simulated user | persona: retired teacher, 67 | goal: ask about tablets]\nHello!"
    generator = "Generate a realistic question a beginner gardener might ask.\nQuestion: How often?"
    drops_and_keeps(
        TemplateLeak(),
        (
            [
                conversation(header, "A 10-inch iPad is the easiest choice."),
                conversation(generator, "Every day in summer."),
                instruction(generator, "Every day in summer."),
            ],
            [
                conversation(
                    "Write a persona card for a user study: a retired teacher. Use persona: and "
                    "goal: fields.",
                    "[persona: retired teacher, 67 | goal: video-call her grandchildren]",
                ),
                instruction(
                    "Write a prompt that makes a model rewrite questions to be harder. Use a "
                    "clear 'Original question:' and 'Rewritten question:' format.",
                    "Rewrite the question so it needs one more step.\n\nOriginal question: "
                    "{question}\n\nRewritten question:",
                ),
                conversation(
                    "Write a question like this one:\nQuestion: How often should I water basil?",
                    "How much sun does rosemary need?",
                ),
            ],
        ),
    )


def test_a_model_to_follow_or_an_earlier_word_nobody_shows_is_an_unseen_reference():
    drops_and_keeps(
        UnseenReference(),
        (
            [
                instruction(
                    "Using the same format as the previous examples, write a question about rain.",
                    "Q: Why does it rain? A: Water vapour condenses.",
                ),
                conversation(
                    "I'm writing FAQ answers.",
                    "Great, send me the questions.",
                    "Answer 'How long does shipping take?' in the same style as example 3.",
                    "Most orders arrive within 3-5 days.",
                ),
                instruction("Answer the next question in the style of answer B.", "Because."),
                conversation(
                    "What's the monthly payment on 200,000 at 5% over 25 years?",
                    "Plug the numbers into the formula from earlier: about 1,169 a month.",
                ),
                conversation(
                    "Using the table from my last message, which region grew fastest?", "North."
                ),
                preference(
                    "How much flour for pancakes for four?",
                    "As I said in my earlier reply, two cups.",
                    "Two cups.",
                ),
            ],
            [
                instruction(
                    "Write one more in the same format as these examples.",
                    "Q: Why is snow white? A: It scatters all colours.",
                    input="Q: Why is the sky blue? A: Air scatters blue light most.",
                ),
                conversation(
                    "Example 3: 'Orders ship the same day.'",
                    "Noted.",
                    "Answer 'How long does shipping take?' in the same style as example 3.",
                    "Orders arrive in 3-5 days.",
                ),
                conversation(
                    "What's the formula for a loan's monthly payment?",
                    "M = P r / (1 - (1 + r)^-n), with r the monthly rate.",
                    "And for 200,000 at 5% over 25 years?",
                    "With the formula from earlier, about 1,169 a month.",
                ),
                conversation(
                    "North 100 -> 114, South 90 -> 95.",
                    "Got it.",
                    "Using the table from my last message, which region grew fastest?",
                    "North.",
                ),
                instruction(
                    "Write a haiku in the same style as Basho's frog poem.",
                    "Old well, a pebble falls.",
                ),
            ],
        ),
    )


def test_a_task_on_the_text_or_the_following_with_none_given_is_an_empty_question():
    drops_and_keeps(
        EmptyQuestion(),
        (
            [
                instruction(
                    "Classify the sentiment of the text as positive, negative or neutral.",
                    "Positive.",
                ),
                conversation("Find all the adjectives in the paragraph and list them.", "Bright."),
                conversation("Rate the following on a scale of 1 to 5 for clarity.", "4."),
                conversation(
                    "Hi, I'd like help with my essay.",
                    "Happy to help. What would you like me to look at?",
                    "Please proofread the paragraph below and fix any grammar mistakes.",
                    "Here is the corrected paragraph: 'Climate change is pressing.'",
                ),
            ],
            [
                instruction(
                    "Classify the sentiment of the text as positive, negative or neutral.",
                    "Positive.",
                    input="I loved every minute of this film.",
                ),
                instruction(
                    "Classify the sentiment of the text 'I loved it' as positive or negative.",
                    "Positive.",
                ),
                instruction(
                    "Summarize the main argument of the text of the Gettysburg Address.",
                    "A nation conceived in liberty must be preserved.",
                ),
                conversation(
                    'Rate the following on a scale of 1 to 5 for clarity:\n\n"Submit forms."',
                    "5.",
                ),
                conversation(
                    "Hi, I'd like help with my essay.",
                    "Happy to help.",
                    "Please proofread the paragraph below.\n\nTheir going to the park tomorow.",
                    "They're going to the park tomorrow.",
                ),
                conversation(
                    "Hi, I'd like help with my essay.",
                    "Happy to help.",
                    "Please proofread the paragraph below and fix any grammar mistakes.",
                    "I don't see a paragraph yet; could you paste it?",
                ),
            ],
        ),
    )


def test_a_disclaimer_in_any_words_is_dropped_but_one_quoted_with_an_apostrophe_is_not():
    drops_and_keeps(
        AiDisclaimer(),
        (
            [
                conversation(
                    "Any tips for sleeping on a flight?",
                    "Being a language model, I have never flown, but try an eye mask.",
                ),
                instruction(
                    "Any tips for sleeping on a flight?",
                    "Being a large language model, I don't fly; still, bring earplugs.",
                ),
            ],
            [
                instruction(
                    "My bot keeps starting replies with 'As an AI, I don't have ...'. How do I "
                    "stop that?",
                    "Tell it in the system prompt to start with the answer.",
                ),
                conversation(
                    "My bot says 'As an AI, I can't taste food' all the time. Why?",
                    "Its training rewarded caution; a system prompt can stop it.",
                ),
            ],
        ),
    )
