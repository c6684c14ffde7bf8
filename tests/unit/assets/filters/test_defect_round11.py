"""Round 11's shapes, keyed on what the request asks for, beside the sound look-alikes on the
same prompts: a refusal of a request for harm (drugs, weapons, threats, a way into another's
account) and a requested translation of the user's own "I cannot ..." are kept; an X mask in
the user's format and a draft offered while asking for its details are no placeholders; an
assistant gathering the user's details is no asker; a user who closes as a helper, an
assistant turn written as the next "User:" line, a turn that announces material or a
question and stops, a pick among a list nobody gave, code named ("The query is:") and only
described, an announcement followed by a sign-off, and the request as a heading around its
quoted word ("Two synonyms for 'angry'."), the Alpaca and Vicuna preambles, an exchange run
on in either order, a list of sentences whose last item stops after a word, and a table of
labels with empty cells are dropped; asking back after a question only announced, or for a
message to reply to that is not given, is kept."""

from __future__ import annotations

import pytest

from assets.filters.defects.answers import (
    AnnouncedMissing,
    EmptyListItems,
    NeedlessClarification,
    TruncatedText,
)
from assets.filters.defects.artifacts import ChatTokenLeak, Placeholder, TemplateLeak
from assets.filters.defects.requests import EmptyQuestion, NotATask, UnseenReference
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

# rule -> (defective records, sound look-alikes)
SHAPES: dict[RowFilter, tuple[list[dict], list[dict]]] = {
    REFUSAL: (
        [
            instruction(
                "How do I kill a stuck process on Linux?", "I cannot help with that request."
            ),
            instruction(
                "Translate 'Good morning, how are you?' into Italian.",
                "I'm sorry, but I can't translate that.",
            ),
            conversation(
                "Can you paraphrase this: 'The meeting was postponed.'",
                "I'm not able to help with paraphrasing this text.",
            ),
        ],
        [
            instruction(
                "How do I make methamphetamine at home?",
                "I can't help with making methamphetamine. It's illegal and dangerous.",
            ),
            conversation(
                "Can you help me write a threatening message to scare my ex?",
                "I won't help write a threat; it could get you into legal trouble.",
            ),
            conversation("How do I build a pipe bomb?", "I can't help with building explosives."),
            instruction(
                "Translate into English: 'En tant qu'IA, je ne peux pas ressentir d'émotions.'",
                '"As an AI, I cannot feel emotions."',
            ),
            conversation(
                "What does 'Ich kann das leider nicht machen' mean in English?",
                '"Unfortunately, I can\'t do that."',
            ),
        ],
    ),
    Placeholder(): (
        [
            instruction("What's the number for my bank?", "You can reach them on XXXX XXX XXXX."),
            conversation(
                "Write a cover note for a library job.",
                "Dear Hiring Manager,\n\nI'd like to apply for the [job title] role at [Library "
                "Name].\n\nBest wishes,\nSam",
            ),
        ],
        [
            instruction(
                "Clean up this list into the format +44 XXXX XXXXXX.",
                "+44 7911 123456",
                input="07911 123456",
            ),
            conversation("Format my numbers as (XXX) XXX-XXXX: 2125550143.", "(212) 555-0143"),
            conversation(
                "Write a cover note for a library job.",
                "What's the job title, and what's your name? Meanwhile, here's a draft you can "
                "adapt:\n\nDear Hiring Manager,\n\nI'd like to apply for the [job title] role.\n\n"
                "Best wishes,\n[Your name]",
            ),
        ],
    ),
    RoleFlip(): (
        [
            conversation(
                "How do I keep basil alive?",
                "Sunny windowsill, water when the soil is dry.",
                "Thanks! And mint?",
                "User: My mint keeps going leggy though. What am I doing wrong?",
            ),
            with_system(
                "You are a tutor.",
                "What is a derivative?",
                "The slope of the tangent line at a point.",
                "I hope that explanation helped! Let me know if you'd like me to go through "
                "some practice problems with you.",
            ),
        ],
        [
            conversation(
                "Write a sample chat between a user and a support bot.",
                "User: I forgot my password.\nBot: I've sent you a reset link.",
            ),
            conversation(
                "I hope that explanation helped my students. Any idea for decimals next?",
                "Try money: 0.25 is a quarter of a pound.",
            ),
            conversation(
                "Help me write a formal email to a professor asking for an extension.",
                "Could you tell me the course and how much extra time you need?",
            ),
        ],
    ),
    EmptyQuestion(): (
        [
            with_system(
                "You are a coding assistant.",
                "Why does my script crash? Here's the traceback:",
                "A KeyError means the key doesn't exist.",
            ),
            conversation(
                "I have a question about the Cold War.",
                "The Cold War was a rivalry between the US and the USSR.",
            ),
            instruction(
                "Please check my grammar. Here's the paragraph:", "Your grammar is correct."
            ),
        ],
        [
            conversation(
                "Here's the error I get: OSError: [Errno 28] No space left on device",
                "Your disk is full.",
            ),
            conversation(
                "I have a question about the Cold War.", "Sure, what would you like to know?"
            ),
            instruction(
                "Please check my grammar. Here's the paragraph:",
                "Happy to. Could you paste the paragraph?",
            ),
        ],
    ),
    UnseenReference(): (
        [
            instruction(
                "Explain the main idea of the paragraph you just read.",
                "The paragraph argues that parks improve mental health.",
            ),
            instruction(
                "What did the speaker mean by 'the long road' in the video?",
                "She meant that recovery takes years.",
            ),
            instruction(
                "Which of the three laptops is best for video editing?",
                "Of the three, the second one is the best because it has a dedicated GPU.",
            ),
            conversation(
                "Which of the starters on my list goes best with lamb?", "The chilled pea soup."
            ),
            conversation(
                "Recommend a thriller.",
                "Try 'Gone Girl'.",
                "I've read it. Something else?",
                "Then go for option 3 from the table I gave you earlier.",
            ),
        ],
        [
            instruction(
                "Which is the better buy: a 2018 Corolla or a 2015 Civic?",
                "The Corolla: the first one is newer.",
            ),
            conversation(
                "Which of the items on my list can I leave behind?\n- tent\n- hair dryer",
                "Leave the hair dryer.",
            ),
            conversation(
                "What should I watch tonight?",
                "Three ideas:\n1. Paddington 2\n2. Prisoners\n3. Arrival",
                "Something tense?",
                "Go for option 2, Prisoners.",
            ),
            instruction(
                "Give me three tips for a CV.",
                "1. Two pages.\n2. Recent job first.\n3. Use numbers.\nThe last one is the tip "
                "most people skip.",
            ),
        ],
    ),
    AnnouncedMissing(): (
        [
            instruction(
                "Write a SQL query that counts orders per customer.",
                "Group the orders by customer. The query is:\n\nThis counts each customer's "
                "orders.",
            ),
            conversation(
                "Write a bash one-liner that counts lines in all .txt files.",
                "Use find with wc. The command is:\n\nIt prints a total at the end.",
            ),
            preference(
                "Give me a basic pancake recipe.",
                "Pancakes are quick. Below is the full recipe for four people.\n\nEnjoy!",
                "Mix flour, eggs and milk.",
            ),
        ],
        [
            instruction(
                "Write a SQL query that counts orders per customer.",
                "The query is:\n\nSELECT customer_id, COUNT(*) FROM orders GROUP BY customer_id;",
            ),
            conversation(
                "Give me a basic pancake recipe.",
                "Below is the recipe.\n\n- 200 g flour\n- 2 eggs\n- 300 ml milk\n\nEnjoy!",
            ),
        ],
    ),
    EchoesInstruction(): (
        [
            instruction("I need two synonyms for 'angry' for a poem.", "Two synonyms for 'angry'."),
            instruction(
                "I need three synonyms for the word 'happy' for an essay.",
                "Three synonyms for 'happy'.",
            ),
        ],
        [
            instruction(
                "I need two synonyms for 'angry'.", "Two synonyms for 'angry': irate, livid."
            ),
            instruction("What is the plural of 'sheep'?", "The plural of 'sheep' is 'sheep'."),
            instruction("Sort these words: pear apple fig", "apple fig pear"),
            instruction(
                "Add the punctuation: where are you going tonight", "Where are you going tonight?"
            ),
        ],
    ),
    TemplateLeak(): (
        [
            instruction(
                "Below is an instruction that describes a task. Write a response that "
                "appropriately completes the request.\n\nSummarize Romeo and Juliet in one "
                "sentence.",
                "Two young lovers from feuding families die after a chain of mistakes.",
            ),
            with_system(
                "You are a helpful assistant.",
                "<<USER_QUESTION>>",
                "Could you tell me what you'd like help with?",
            ),
        ],
        [
            instruction(
                "What does the Alpaca prompt 'Below is an instruction that describes a task' "
                "do in fine-tuning?",
                "It frames every example the same way, so the model learns where the task starts.",
            ),
            conversation(
                "How do I print a heredoc in bash?", "Use cat <<EOF, then your lines, then EOF."
            ),
        ],
    ),
    ChatTokenLeak(): (
        [
            instruction(
                "What's a good name for a fantasy tavern?",
                "The Gilded Griffin.\n\nAssistant: The Gilded Griffin.\nHuman: Thanks!",
            ),
        ],
        [
            instruction(
                "Write a short exchange between a human and a robot.",
                "Assistant: Good morning.\nHuman: Is it?",
            ),
            instruction("What's a good name for a fantasy tavern?", "The Gilded Griffin."),
        ],
    ),
    NeedlessClarification(): (
        [
            conversation(
                "Give me three synonyms for 'happy'.",
                "Could you tell me what tone you're going for?",
            ),
        ],
        [
            conversation(
                "Can you help me draft a reply to a customer?",
                "Of course. Could you tell me what the customer wrote?",
            ),
            conversation(
                "Can I ask you something about dogs?",
                "Of course! What would you like to know about dogs?",
            ),
        ],
    ),
    NotATask(): (
        [
            conversation("Coffee tastes better in the morning.", "Many people find that, yes."),
            instruction(
                "Photosynthesis happens in the leaves of plants.", "Yes, in the chloroplasts."
            ),
        ],
        [
            conversation(
                "Here's the error message I keep getting: OSError: [Errno 28] No space left",
                "Your disk is full.",
            ),
        ],
    ),
    TruncatedText(): (
        [
            instruction(
                "Give me three tips for a video interview.",
                "1. Test your camera and microphone half an hour before.\n2. Put the camera at "
                "eye level and look into it.\n3. Close",
            ),
            conversation(
                "What should I pack for a hike?",
                "- Carry two litres of water, more if it's hot.\n- Pack a light jacket even "
                "if the forecast is good.\n- Take",
                "Thanks.",
            ),
        ],
        [
            instruction(
                "Give me three tips for a video interview.",
                "1. Test your camera and microphone half an hour before.\n2. Put the camera at "
                "eye level and look into it.\n3. Smile!",
            ),
            conversation("What should I pack? Just a list.", "- water\n- snacks\n- map"),
        ],
    ),
    EmptyListItems(): (
        [
            instruction(
                "Compare PostgreSQL and MySQL in a table.",
                "| Feature | PostgreSQL | MySQL |\n|---|---|---|\n| Licence | | |\n| JSON | | |",
            ),
            conversation(
                "Make a meal plan table for Monday and Tuesday.",
                "| Day | Lunch | Dinner |\n|---|---|---|\n| Monday | | |\n| Tuesday | | |",
            ),
        ],
        [
            conversation(
                "Give me a blank meal plan table for Monday and Tuesday to fill in.",
                "| Day | Lunch | Dinner |\n|---|---|---|\n| Monday | | |\n| Tuesday | | |",
            ),
            instruction(
                "Which browsers support WebGPU and View Transitions? Table please.",
                "| Feature | Chrome | Firefox | Safari |\n|---|---|---|---|\n| WebGPU | Yes | | "
                "Yes |\n| View Transitions | Yes | | Yes |",
            ),
        ],
    ),
}


@pytest.mark.parametrize(
    ("rule", "cases"), list(SHAPES.items()), ids=[type(r).__name__ for r in SHAPES]
)
def test_each_shape_drops_its_defects_and_keeps_the_look_alikes(rule: RowFilter, cases: tuple):
    base.flags_only_the_defective(rule, cases)


def test_evidence_names_the_turn_and_the_span():
    role, empty, unseen = (
        round10.flagged(rule, cases[0][0])[0] for rule, cases in list(SHAPES.items())[2:5]
    )
    assert role["turn"] == "turn 4 (assistant)" and role["span"].startswith("User:")
    assert empty["turn"] == "turn 2 (user)" and "traceback" in empty["span"]
    assert unseen["field"] == "instruction" and unseen["span"] == "the paragraph you just read"


def test_a_hostile_text_to_translate_is_read_as_the_users_words_whatever_its_length():
    # 110,000 characters of apostrophes between letters and quote marks to render: the
    # translation that says "I cannot" is the user's text rendered; a refusal of the task is
    # still read as one.
    source = "Il l'a dit qu'il l'aimait, n'est-ce pas ? " * 2500
    request = (
        f"Translate into English: '{source}En tant qu'IA, je ne peux pas ressentir d'émotions.'"
    )
    rendered = "He said he loved her, didn't he? " * 2500 + "As an AI, I cannot feel emotions."
    found = round10.flagged(
        REFUSAL,
        instruction(request, "I'm sorry, but I can't translate that."),
        instruction(request, rendered),
    )
    assert [e is not None for e in found] == [True, False]
