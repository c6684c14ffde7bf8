"""The general shapes of round 9's rules, in each row kind a rule reads, beside the sound
look-alikes on the same prompts: a refusal in any assistant turn whatever its verb, a word or
a numbered item looping, a slot by its shape ([COLORS], XX hours, ___, <friend's name>,
{venue_1}), a talk that went before ("as we discussed"), a translation into another language
than the one named, a follow-up answered wholly in another script; and what the request asks
for (a requested language spoken, a quotation in the request's own language, help with the
user's own situation)."""

from __future__ import annotations

import json

import pytest

from assets.filters.defects.artifacts import AiDisclaimer, Placeholder, TemplateLeak
from assets.filters.defects.requests import NotATask, UnseenReference
from assets.filters.defects.response_language import ResponseLanguage
from assets.filters.gopher import GopherRepetition, GopherRepetitionRules
from assets.filters.heuristics import Refusal, RepeatedLines, RepeatedNgrams
from assets.filters.language import LanguageConfig, LanguageFilter, identify
from assets.models.output_screens import REFUSAL_PATTERNS
from assets.steps import RowFilter
from tests.unit.assets.filters import test_defect_rules as base
from tests.unit.assets.filters.test_defect_forms import with_system

pytestmark = pytest.mark.unit

conversation, instruction, preference = base.conversation, base.instruction, base.preference
flagged, rows_of = base.flagged, base.rows_of

# rule -> (defective records, sound look-alikes)
SHAPES: dict[RowFilter, tuple[list[dict], list[dict]]] = {
    # A turn that says it cannot do the task, whatever the verb, in any assistant turn; not an
    # answer that says what it cannot reach and then helps, nor a hedge that goes on to answer.
    Refusal(tuple(REFUSAL_PATTERNS)): (
        [
            instruction(
                "Summarize Romeo and Juliet in three sentences.",
                "I apologize, but I cannot summarize copyrighted works.",
            ),
            instruction("What is the formula for salt?", "Unfortunately, I am unable to share it."),
            conversation(
                "What does ibuprofen do?",
                "It blocks the COX enzymes.",
                "What's the usual maximum daily dose?",
                "I'm not able to give medical advice. Please consult a doctor.",
            ),
            conversation(
                "Explain credit card interest.",
                "As a responsible assistant, I must refrain from giving financial guidance.",
            ),
            preference("Write a limerick about a cat.", "I'd rather not write that.", "No."),
        ],
        [
            instruction(
                "When is Easter next year?",
                "Unfortunately, I can't tell you the exact day, but it falls in late March.",
            ),
            instruction("Is this book good?", "I can't recommend it highly enough."),
            conversation(
                "Can you check my bank balance?",
                "I can't access your bank account. Your bank's app shows it.",
            ),
            conversation(
                "What's the weather in Oslo now?",
                "I can't say for today, so here is the usual: in winter Oslo is around -7 to 0 "
                "°C with snow on the ground, and in summer around 15 to 22 °C; the Norwegian "
                "Meteorological Institute's site yr.no has the current forecast for every day.",
            ),
            conversation(
                "Write an apology email to Sam.", "Hi Sam,\n\nI'm sorry I can't make it on Friday."
            ),
            preference(
                "Write a limerick about a cat.", "A cat with a taste for lasagna ...", "No."
            ),
        ],
    ),
    # A word or a phrase looping ("very very very ..."), unless the request asks for it.
    RepeatedNgrams(3, 0.5): (
        [
            instruction("Describe a mango.", "It is very very very very very very sweet."),
            conversation("Describe a mango.", "It is so good so good so good so good so good."),
            preference("Describe a mango.", "Sweet, sweet, sweet, sweet, sweet, sweet.", "Sweet."),
        ],
        [
            instruction("Describe a mango.", "It is very, very sweet and very juicy. Very nice."),
            instruction("Write a chant for our team.", "Go team go team go team go team go team!"),
            conversation(
                "Write a bakery cheer that repeats 'fresh bread' five times.",
                "Fresh bread, fresh bread, fresh bread, fresh bread, fresh bread!",
            ),
        ],
    ),
    # A numbered list whose items loop under new numbers.
    RepeatedLines(0.3): (
        [
            instruction(
                "Names for a coffee shop?",
                "1. Tide & Grind\n2. Salt and Bean\n3. Harbor Brew\n4. Harbor Brew\n5. Harbor Brew",
            ),
            conversation(
                "Five foods rich in vitamin C?",
                "1. Kiwis\n2. Oranges\n3. Kiwis\n4. Oranges\n5. Kiwis\n6. Oranges",
            ),
        ],
        [
            instruction(
                "Steps for risotto?",
                "1. Toast the rice\n2. Add a ladle of stock\n3. Stir\n4. Add more stock\n5. Stir",
            ),
            conversation(
                "Write out the first verse of 'Twinkle, Twinkle, Little Star'.",
                "Twinkle, twinkle, little star,\nHow I wonder what you are!\nUp above the world "
                "so high,\nLike a diamond in the sky.\nTwinkle, twinkle, little star,\nHow I "
                "wonder what you are!",
            ),
        ],
    ),
    # A slot by its shape in what the model wrote; not the user's own blank, a slot the user
    # named, a song's "[CHORUS]" line, an HTML tag or a requested template.
    Placeholder(): (
        [
            instruction(
                "Write a product description for a bottle.",
                "It keeps drinks cold for XX hours and comes in [COLORS]. Capacity: ___ ml.",
            ),
            conversation(
                "Text my friend Jess that I'm 15 minutes late.", "Hey <friend's name>, so sorry!"
            ),
            conversation("Text my sister Priya I'll be there at 6.", "Hi [Sister's name]!"),
            preference("How much is the fee?", "It costs $XX a year.", "It is free."),
        ],
        [
            instruction(
                "Which word fits: 'The new policy will ___ every employee'?", "'Affect': a verb."
            ),
            conversation(
                "What do [INST] and [/INST] mean?", "They mark where a user turn begins and ends."
            ),
            instruction("Write a song about rain.", "[VERSE 1]\nRain on the roof\n[CHORUS]\nRain"),
            instruction("How do I break a line in HTML?", "Use the <br> tag to break a line."),
            instruction("What chromosomes do women have?", "Usually XX chromosomes."),
            preference(
                "Give me a fill-in-the-blank cover letter opening.",
                "I'm excited to apply for the role at [Company Name].",
                "Hi.",
            ),
        ],
    ),
    # An unrendered slot of a format string in a prompt or an answer, a generated example's
    # label, a pipeline's note; not an f-string asked about, nor the user's own constraint.
    TemplateLeak(): (
        [
            instruction("Write a birthday message for {recipient_name}.", "Happy birthday!"),
            with_system("You are {assistant_name}. Today is {date}.", "Hi!", "Hello!"),
            conversation(
                "Generate a user question about Kubernetes. Output only the question.\n"
                "User question: How do I roll back a deployment?",
                "Use kubectl rollout undo.",
            ),
            conversation(
                "A fun fact about octopuses?",
                "They have three hearts.\n\n[End of assistant turn. Now write the next user turn.]",
            ),
            preference("A name for a turtle?", "Shelly. (Respond in under 20 words.)", "Tank."),
        ],
        [
            instruction("How do Python f-strings work?", "f'Hello {name}' prints Hello Ann."),
            instruction("Write a fraction in LaTeX.", "Write \\frac{a}{b} for a over b."),
            conversation(
                "A name for a turtle? (Respond in under 20 words.)", "Shelly, Tank or Sheldon."
            ),
            with_system("You are Ada, a helpful assistant.", "Hi!", "Hello!"),
            preference("Give me a reusable greeting template.", "Hi {first_name}!", "Hi."),
        ],
    ),
    # The self an answer names unasked; not a character's quoted line in a story asked for.
    AiDisclaimer(): (
        [
            instruction("Which slogan is better?", "The second. I am an AI and cannot taste it."),
            conversation("Recommend a mystery novel.", "I'm an AI, so I don't read, but ..."),
            preference("Recommend a mystery novel.", "I'm just a chatbot, but ...", "None."),
        ],
        [
            instruction(
                "In my story the ship's computer refuses an order. Write its line of dialogue.",
                '"Captain, I am an artificial intelligence bound by the Charter. I cannot."',
            ),
            conversation("Are you a chatbot or a person?", "I'm an AI chatbot, not a person."),
        ],
    ),
    # The user's own situation asks for help, unless the answer takes it for a remark.
    NotATask(): (
        [
            instruction(
                "My grandmother's kitchen always smelled of cardamom.", "What a vivid memory."
            ),
            preference("My grandmother's kitchen smelled of cardamom.", "What a memory.", "Nice."),
            conversation("My neighbour's dog barks every night.", "That sounds exhausting."),
        ],
        [
            instruction(
                "My sourdough starter smells like nail polish remover.",
                "That acetone smell means it is hungry: discard most of it and feed it more often.",
            ),
            preference(
                "My sourdough starter smells like nail polish remover.",
                "Your starter is hungry: feed it more often.",
                "Nice.",
            ),
            conversation(
                "My cat keeps scratching the sofa.", "Put a scratching post next to the sofa."
            ),
        ],
    ),
    # A talk that went before this one, with no earlier turn.
    UnseenReference(): (
        [
            conversation(
                "As we discussed in our last session, continue the chapter outline.",
                "Chapter 4 opens at the lighthouse.",
            ),
            conversation(
                "Going back to the recipe from yesterday's chat, how long should it rest?",
                "30 minutes.",
            ),
            instruction("Like I told you last week, I'm allergic to nuts. Is it safe?", "Yes."),
            conversation(
                "Help me fix a bug in my JavaScript.",
                "Sure, paste the code.",
                "It's the function from the screenshot I sent earlier. Why is it undefined?",
                "You forgot to return the value.",
            ),
        ],
        [
            conversation(
                "I want to plan a trip to Rome.",
                "Great! How many days?",
                "Five. As we discussed, build it around museums.",
                "Day 1: the Vatican Museums.",
            ),
            instruction("As I said to my boss, deadlines matter. Write a note on why.", "Yes."),
            conversation(
                "Do you remember what we talked about yesterday?",
                "No, I can't see yesterday's chat. Tell me what it was about.",
            ),
            instruction("Count the words in the text with a Python function.", "len(s.split())"),
        ],
    ),
}


@pytest.mark.parametrize("rule", list(SHAPES), ids=lambda rule: rule.name)
def test_each_rule_drops_the_shape_and_keeps_the_look_alikes(rule: RowFilter):
    defective, sound = SHAPES[rule]
    assert all(flagged(rule, *defective)), flagged(rule, *defective)
    assert not any(flagged(rule, *sound)), flagged(rule, *sound)


def test_a_refusal_names_its_turn_field_and_sentence():
    found = flagged(
        Refusal(tuple(REFUSAL_PATTERNS)),
        conversation(
            "Who was Caesar?",
            "A Roman general.",
            "How did he die?",
            "I'm not comfortable discussing violent topics. Anything else?",
        ),
    )[0]
    assert (found["field"], found["turn"]) == ("messages", 4)
    assert found["span"] == "I'm not comfortable discussing violent topics"


def test_a_loop_and_a_slot_are_named():
    loop = flagged(RepeatedNgrams(3, 0.5), instruction("Mango?", "very " * 8))[0]
    assert loop["loop"] is True
    slot = flagged(TemplateLeak(), with_system("You are {assistant_name}.", "Hi!", "Hello!"))[0]
    assert (slot["turn"], slot["span"].strip()) == ("turn 1 (system)", "{assistant_name}")


def test_a_signature_after_a_sign_off_with_accented_letters_is_kept():
    # "Grüßen" before the slot: the text before a span is cut by characters, not bytes.
    email = "Sehr geehrter Herr Keller,\n\nder Hahn tropft.\n\nMit freundlichen Grüßen\n[Ihr Name]"
    assert flagged(Placeholder(), instruction("Write an email in German.", email)) == [None]


LANGUAGE_CASES = [
    # A translation into another language than the one named.
    (
        instruction(
            "Translate 'Where is the library? I need to return three books today.' into German.",
            "¿Dónde está la biblioteca? Necesito devolver tres libros hoy.",
        ),
        "es",
    ),
    (
        instruction(
            "Translate 'Where is the library? I need to return three books today.' into German.",
            "Wo ist die Bibliothek? Ich muss heute drei Bücher zurückgeben.",
        ),
        None,
    ),
    # A follow-up answered wholly in another script; the phrases inside an English answer,
    # and a language set for the rest of the talk, are kept.
    (
        conversation(
            "How do I greet someone in Korean?",
            "Say '안녕하세요' (annyeonghaseyo).",
            "What about saying goodbye?",
            "떠나는 사람에게는 '안녕히 가세요', 남는 사람에게는 '안녕히 계세요'라고 말해요.",
        ),
        "other script",
    ),
    (
        conversation(
            "How do I greet someone in Korean?",
            "Say '안녕하세요' (annyeonghaseyo).",
            "What about saying goodbye?",
            "If the other person is leaving, say '안녕히 가세요' (annyeonghi gaseyo).",
        ),
        None,
    ),
    (
        conversation(
            "Let's practise Japanese: from now on answer only in Japanese.",
            "はい、わかりました。これからは日本語だけで答えますね。",
            "What did you eat today?",
            "今日は朝ごはんにおにぎりを食べて、昼はラーメンを食べました。",
        ),
        None,
    ),
    # A role-play the user asked to be held in Spanish; "I speak Spanish at home" asks none.
    (
        conversation(
            "I'm practicing Spanish. Role-play a waiter in Madrid. Only speak Spanish.",
            "¡Buenas noches! Bienvenido. ¿Mesa para cuántas personas? Aquí tienen la carta.",
        ),
        None,
    ),
    (
        conversation(
            "I speak Spanish at home. How long should I boil an egg for a soft yolk?",
            "Hierve el huevo durante seis minutos y luego pásalo a agua fría para detenerlo.",
        ),
        "es",
    ),
    (
        preference(
            "Translate 'Where is the library? I need to return three books today.' into German.",
            "¿Dónde está la biblioteca? Necesito devolver tres libros hoy.",
            "Wo ist die Bibliothek?",
        ),
        "es",
    ),
]


@pytest.mark.parametrize("record,language", LANGUAGE_CASES)
def test_the_answer_language_follows_what_the_request_asks(record: dict, language: str | None):
    found = flagged(ResponseLanguage(), record)[0]
    assert (found or {}).get("language") == language


def test_quoted_material_does_not_make_an_english_request_foreign():
    rows = rows_of(
        instruction(
            "Translate into English: 'En tant que modèle de langage, je ne peux pas naviguer "
            "sur Internet.'",
            "As a language model, I cannot browse the Internet.",
        ),
        instruction(
            "Wie lange muss ich Spaghetti kochen?",
            "Getrocknete Spaghetti brauchen meist 8 bis 12 Minuten in kochendem Salzwasser.",
        ),
        instruction(
            "Traduis en anglais la phrase suivante, s'il te plaît : 'Bonjour tout le monde'",
            "Hello everyone.",
        ),
    )
    identified = identify(rows, LanguageConfig())
    # All three requests are read as foreign at first: the French quotation outweighs its frame.
    assert identified["lang"].to_list() == ["fr", "de", "fr"]
    decisions = LanguageFilter(("en",), 0.5).flag(identified)
    # The German question and the French request stay dropped by an English-only allowlist
    # (a quotation taken out leaves French); the English translation request is kept.
    assert decisions["row_id"].to_list() == [rows["row_id"][1], rows["row_id"][2]]
    assert [json.loads(e)["value"] for e in decisions["evidence"]] == ["de", "fr"]


def test_a_refusal_after_accented_turns_names_its_own_turn():
    found = flagged(
        Refusal(tuple(REFUSAL_PATTERNS)),
        conversation(
            "Qu'est-ce qu'un crème brûlée ? Réponds en anglais.",
            "A custard dessert with a crisp, caramelised sugar top: crème brûlée.",
            "How do I make one at home?",
            "I cannot provide recipes.",
        ),
    )[0]
    assert (found["turn"], found["span"]) == (4, "I cannot provide recipes")


PLAN = (
    "Run 3 times a week, with a rest day between runs, and walk for five minutes before each "
    "run to warm up.\n\n"
    "Week 1: 1 min run / 2 min walk, repeat 8 times.\n"
    "Week 2: 2 min run / 2 min walk, repeat 7 times.\n"
    "Week 3: 4 min run / 2 min walk, repeat 5 times.\n"
    "Week 4: 8 min run / 2 min walk, repeat 3 times.\n\n"
    "After week 4 most people can run 20 to 25 minutes without stopping; keep extending the "
    "run intervals until you can cover the whole 5 km."
)
LOOP = "Machine learning is a branch of computing in which computers " + (
    "learn from data and " * 12
)


def test_a_plan_repeating_its_form_is_no_gopher_loop_but_a_prose_loop_is():
    rules = GopherRepetitionRules()
    rule = GopherRepetition(rules, rules.scope)
    found = flagged(
        rule,
        instruction("Give me a 4-week plan to run 5 km.", PLAN),
        instruction("What is machine learning?", LOOP),
    )
    assert found[0] is None
    assert found[1]["rule_set"] == "gopher_repetition"


def test_a_follow_up_to_how_do_i_say_answered_wholly_in_japanese_is_dropped():
    found = flagged(
        ResponseLanguage(),
        conversation(
            "How do I say 'thank you' politely in Japanese?",
            "Say 'arigatou gozaimasu'. It's the polite form.",
            "And how do I respond if someone thanks me?",
            "「どういたしまして」と言います。友達同士なら「いえいえ」や「全然！」でも大丈夫です。",
        ),
        conversation(
            "How do I say 'thank you' politely in Japanese?",
            "ありがとうございます (arigatou gozaimasu) is the polite form; say it with a small bow.",
        ),
    )
    assert found[0]["turn"] == "turn 4 (assistant)" and found[1] is None


def test_an_opinion_asked_is_no_question_about_the_assistant():
    found = flagged(
        AiDisclaimer(),
        instruction(
            "Which do you think reads better: 'Baked fresh daily' or 'Warm from our oven'?",
            "The second is more evocative. I am an AI and cannot taste baked goods, though.",
        ),
        instruction("Do you think for yourself?", "No: I am an AI language model."),
    )
    assert found[0]["span"] == "I am an AI" and found[1] is None
