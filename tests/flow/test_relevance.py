"""The off-topic rule with the packaged all-MiniLM-L6-v2: a fluent answer to another question
is dropped with its cosine in evidence; an on-topic answer in other words, a requested
translation and a summary of the input are kept; embeddings come from the warehouse cache."""

from __future__ import annotations

import json

import pytest

from assets.filters.defects.relevance import OffTopic, RelevanceConfig
from assets.models.context import ModelContext
from assets.run_context import RunContext
from tests.unit.assets.filters.test_defect_rules import (
    conversation,
    flagged,
    instruction,
    preference,
)
from warehouse import Warehouse

pytestmark = pytest.mark.flow

BIKE_LANES = (
    "The city council voted on Tuesday to extend the bike lane network by 14 kilometres over "
    "the next two years, funded by a regional transport grant."
)


def test_off_topic_answers_are_dropped_and_look_alikes_kept(home):
    (rule,) = OffTopic.from_config(
        RelevanceConfig(), RunContext(ModelContext(Warehouse(home), "t"))
    )
    found = flagged(
        rule,
        instruction(
            "What causes the tides on Earth?",
            "The French Revolution began in 1789 with the storming of the Bastille and ended "
            "the absolute monarchy of Louis XVI.",
        ),
        conversation(
            "How do I fix a SQL query that returns duplicate rows?",
            "Autumn leaves drift slowly down, gold and red upon the ground, whispering of "
            "colder days to come.",
        ),
        instruction(
            "When does the last train to Leeds leave?",
            "It departs from platform 4 at 23:45, so aim to be there ten minutes early.",
        ),
        instruction(
            "Write a short email in German to my landlord saying the kitchen tap is leaking.",
            "Sehr geehrter Herr Keller, der Wasserhahn in meiner Küche tropft seit einigen "
            "Tagen. Könnten Sie bitte einen Klempner schicken? Mit freundlichen Grüßen",
        ),
        instruction(
            "Summarize this in one sentence.",
            "The council approved a grant-funded 14 km expansion of the bike lanes over two years.",
            input=BIKE_LANES,
        ),
    )
    assert found[0] is not None and found[0]["cosine"] < found[0]["min_cosine"]
    assert found[1] is not None and found[1]["turn"] == "turn 2 (assistant)"
    assert found[2:] == [None, None, None]
    with Warehouse(home).reader() as con:
        cached = con.sql("SELECT count(*) FROM embedding_cache").fetchall()[0][0]
    assert cached >= 4
    assert json.dumps(found[0])  # evidence is plain JSON


def test_a_poem_a_novel_line_a_role_play_line_and_an_answer_to_its_own_turn_are_on_topic():
    (rule,) = OffTopic.from_config(RelevanceConfig(), None)
    found = flagged(
        rule,
        # The piece asked for need not name its subject.
        instruction(
            "Write a haiku about snow.",
            "Soft white silence falls\ncovering the sleeping fields\nfootprints disappear",
        ),
        instruction(
            "Write the opening line of a suspense novel that ends with an ellipsis.",
            "The lights in the house across the street had been off for three days, until "
            "tonight, when one of them blinked on in the attic...",
        ),
        # In a role-play the user set up, the answer is the character's line.
        conversation(
            "Let's practise for my job at a shop. You play the customer and I'll be the shop "
            "assistant. Hello, how can I help you today?",
            "Hi! I'm looking for a birthday present for my sister. She likes gardening. Do you "
            "have anything under thirty pounds?",
        ),
        # A later turn's answer close to its own question, far from the long talk before it.
        conversation(
            "Can you recommend a hiking trail near Seattle for a beginner who wants lake views?",
            "Rattlesnake Ledge is a good one: about 6.5 km round trip, with views over "
            "Rattlesnake Lake, 45 minutes' drive east of the city.",
            "Thanks. Unrelated, but what's a good recipe for a quick weeknight curry?",
            "Fry an onion, garlic and ginger in oil, add two tablespoons of curry paste, then a "
            "tin of coconut milk and chopped vegetables. Simmer for 15 minutes, serve with rice.",
        ),
        # Still dropped: a pleasantry in place of a label (the input is the task's
        # material, not a long talk that dilutes it), and an answer about something else.
        instruction(
            "Label this message as spam or not spam.",
            "Sure, I'm glad to help. Thank you for your support!",
            input="CONGRATULATIONS!!! You have been selected to receive a $1,000 gift card. "
            "Click the link now to claim your prize before it expires in 24 hours!",
        ),
        instruction(
            "What causes the tides on Earth?",
            "The French Revolution began in 1789 with the storming of the Bastille and ended "
            "the absolute monarchy of Louis XVI.",
        ),
    )
    assert found[:4] == [None, None, None, None]
    assert found[4] is not None and found[5] is not None


def test_a_same_domain_answer_to_a_how_question_is_dropped_at_the_focused_bar():
    (rule,) = OffTopic.from_config(RelevanceConfig(), None)
    found = flagged(
        rule,
        # Asked how one machine works, told how a neighbouring one does.
        instruction(
            "How does a dishwasher get the dishes clean?",
            "A microwave oven heats food by sending microwaves through it, which make the water "
            "molecules in the food vibrate and warm up. The turntable moves the dish through the "
            "uneven field so it heats more evenly, and metal must stay out because it reflects "
            "the waves and can spark.",
        ),
        conversation(
            "Why do onions make you cry?",
            "Garlic gets its sharp smell from allicin, which forms when a clove is crushed or "
            "chopped. Cooking it gently mellows the flavour, while burning it quickly turns it "
            "bitter, so add it to the pan near the end.",
        ),
        preference(
            "How do I remove rust from a bike chain?",
            "To fix a squeaky door hinge, lift the pin out, wipe it clean, coat it with a little "
            "petroleum jelly or light oil and tap it back in. Open and close the door a few "
            "times to spread the grease into the joint.",
            "Use oil.",
        ),
        # The same questions answered in other words.
        instruction(
            "How does a dishwasher get the dishes clean?",
            "Rotating arms under and over the racks spray very hot water mixed with detergent, "
            "so the jets reach every plate and glass. The water drains, is filtered and pumped "
            "round again, and a final hot rinse with rinse aid lets everything dry without spots.",
        ),
        conversation(
            "Why do onions make you cry?",
            "Cutting them breaks their cells and releases a sulphur compound that turns into a "
            "gas when it meets the air. The gas reaches your eyes and irritates them, so they "
            "water to wash it away; a sharp knife and a cold onion make less of it.",
        ),
        preference(
            "How do I remove rust from a bike chain?",
            "Scrub it with a stiff brush dipped in white vinegar or a degreaser, then rub off "
            "what is left with fine steel wool or crumpled foil. Rinse, dry it straight away "
            "and oil every link, wiping off the excess so the oil does not pick up grit.",
            "Use oil.",
        ),
        # A question answered by naming a thing: its words need not be the question's.
        instruction(
            "What's a good board game for two players who like strategy?",
            "Patchwork is a quick tile-laying game made for exactly two, with simple rules and "
            "plenty of choices each turn. Jaipur, a card trading game set in a market, is "
            "another favourite that rewards planning ahead.",
        ),
    )
    assert all(found[:3])
    assert found[0]["min_cosine"] > RelevanceConfig().min_cosine
    assert found[0]["cosine"] < found[0]["min_cosine"]
    assert found[1]["turn"] == "turn 2 (assistant)"
    assert found[2]["field"] == "response"
    assert found[3:] == [None, None, None, None]


def test_a_finished_sentence_more_of_it_a_question_back_one_about_itself_and_steps_are_on_topic():
    (rule,) = OffTopic.from_config(RelevanceConfig(), None)
    found = flagged(
        rule,
        # A piece finished on request, and a short follow-up that asks for another.
        instruction(
            "Write a suspenseful one-line ending for a horror story that trails off with an "
            "ellipsis.",
            "She turned off the light, and from under the bed, something whispered her name "
            "back...",
        ),
        conversation(
            "Finish the sentence with something funny: 'The cat looked at the Roomba and...'",
            "...decided it had finally found a chauffeur worthy of its dignity.",
            "Another one!",
            "...filed a formal noise complaint with the management.",
        ),
        # A short answer that asks back.
        conversation(
            "My parcel says delivered but it isn't here.",
            "I'm sorry to hear that. Could you check with your neighbours and around your "
            "property, in case the driver left it somewhere safe?",
        ),
        # A question about the assistant, answered in the first person.
        preference(
            "Tell me something about yourself. What can't you do?",
            "I can't browse the internet or see live information unless a tool is connected. "
            "I don't remember earlier conversations, and I can be wrong with confidence.",
            "Nothing.",
        ),
        # A how-to answered in steps that open on a verb and its object.
        instruction(
            "My support bot keeps starting replies with 'As an AI, I don't have ...'. How do I "
            "stop that in the system prompt?",
            "Add a line such as: 'Never describe yourself or your limitations unless the user "
            "asks. Start directly with the answer.' Put it near the top, and give one short "
            "example reply that opens with the answer itself.",
        ),
        # Still dropped: an answer about something else to the same shapes of request.
        conversation(
            "Finish the sentence with something funny: 'The cat looked at the Roomba and...'",
            "...decided it had finally found a chauffeur worthy of its dignity.",
            "How do I descale my kettle?",
            "The French Revolution began in 1789 with the storming of the Bastille and ended "
            "the absolute monarchy of Louis XVI.",
        ),
        instruction(
            "Tell me something about yourself as an assistant. What can't you do?",
            "The French Revolution began in 1789 with the storming of the Bastille and ended "
            "the absolute monarchy of Louis XVI.",
        ),
    )
    assert found[:5] == [None, None, None, None, None]
    assert found[5] is not None and found[5]["turn"] == "turn 4 (assistant)"
    assert found[6] is not None
