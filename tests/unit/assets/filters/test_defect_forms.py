"""More general forms of the defects, in every row kind a rule reads (issue 19): echoes wrapped
in filler or parroted by a simulated user, stubs in several languages, chat tokens of several
formats, promises never kept, lists of empty labels, loops in a user turn, and answers partly
or wholly in another language or script; and their sound look-alikes, kept."""

from __future__ import annotations

import json

import polars as pl
import pytest

from assets.filters.defects.answers import AnnouncedMissing, EmptyListItems, RepeatedSentences
from assets.filters.defects.artifacts import ChatTokenLeak
from assets.filters.defects.code_stubs import CodeStub
from assets.filters.defects.response_language import ResponseLanguage
from assets.filters.echo import EchoesInstruction
from assets.filters.gopher import GopherRepetition, GopherRepetitionRules
from assets.filters.heuristics import RepeatedLines
from assets.filters.language import LanguageFilter
from assets.steps import RowFilter
from tests.unit.assets.filters.test_defect_rules import (
    conversation,
    flagged,
    instruction,
    preference,
    rows_of,
)
from warehouse.conversations import canonical_messages, encode

pytestmark = pytest.mark.unit


def with_system(system: str, *turns: str) -> dict:
    roles = ["user", "assistant"] * len(turns)
    messages = [{"role": "system", "content": system}] + [
        {"role": r, "content": t} for r, t in zip(roles, turns, strict=False)
    ]
    return {"kind": "conversation", "messages": encode(canonical_messages(messages))}


def block(tag: str, code: str) -> str:
    return f"```{tag}\n{code}\n```"


TRIOLET = (
    "The kettle sings before the sun,\nthe kitchen smells of something warm.\n"
    "The day has hardly yet begun;\nthe kettle sings before the sun.\n"
    "I pour, and every doubt is done,\nthe cup a harbour from the storm.\n"
    "The kettle sings before the sun,\nthe kitchen smells of something warm."
)

# rule -> (defective records, sound look-alikes)
CASES: dict[RowFilter, tuple[list[dict], list[dict]]] = {
    EchoesInstruction(): (
        [
            instruction(
                "What are the main causes of inflation?",
                "I'd be happy to help with that! You asked: what are the main causes of inflation?",
            ),
            preference(
                "How does compound interest work?",
                "Good question! How does compound interest work? Let me explain.",
                "Interest on interest.",
            ),
            conversation(
                "Can you tell me how to reset my router?",
                "You want me to tell you how to reset your router.",
            ),
            # A simulated user parroting the assistant.
            conversation(
                "What's the boiling point of water in Fahrenheit?",
                "Water boils at 212 °F at sea level, which is 100 °C.",
                "Water boils at 212 °F at sea level, which is 100 °C.",
                "Yes. It boils at a lower temperature higher up.",
            ),
        ],
        [
            instruction(
                "Add the missing punctuation and capital letters: where are you going tonight",
                "Where are you going tonight?",
            ),
            conversation(
                "What's the title case of this heading: the old man and the sea",
                "The Old Man and the Sea",
            ),
            instruction(
                "Put these words in alphabetical order: pear, apple, fig, banana, kiwi.",
                "apple, banana, fig, kiwi, pear",
            ),
            preference(
                "Is it true that the Great Wall of China is visible from the Moon?",
                "No, it is not true that the Great Wall of China is visible from the Moon.",
                "Yes.",
            ),
            conversation(
                "Two oat lattes and a croissant, please. Read my order back to me.",
                "Two oat lattes and a croissant.",
            ),
            # A user who checks what they heard asks back; they do not parrot.
            conversation(
                "What's the boiling point of water?",
                "Water boils at 100 °C at sea level.",
                "You're saying water boils at 100 °C at sea level?",
                "Yes, at standard pressure.",
            ),
            conversation(
                "How long should I rest a steak?",
                "About five minutes for a thin steak and up to ten for a thick one.",
                "You said about five minutes. Is that enough for a thick ribeye?",
                "Go closer to ten minutes for a thick ribeye.",
            ),
        ],
    ),
    CodeStub(): (
        [
            instruction(
                "Write a JavaScript function that returns the largest number in an array.",
                block("javascript", "function maxOf(numbers) {\n  // find the largest\n}"),
            ),
            instruction(
                "Write a Java method that reverses a string.",
                block(
                    "java",
                    "public static String reverse(String s) {\n"
                    '    throw new RuntimeException("Not implemented yet");\n}',
                ),
            ),
            instruction(
                "Write a Go function that sums a slice of ints.",
                block("go", 'func Sum(nums []int) int {\n\tpanic("not implemented")\n}'),
            ),
            instruction(
                "Write a C++ function for the greatest common divisor.",
                block("cpp", "int gcd(int a, int b) {\n}"),
            ),
            instruction("Write the SQL query.", block("sql", "-- write your query here")),
            instruction(
                "Write a Python function to flatten a list.", "Here it is:\n\n```python\n```"
            ),
            preference(
                "Write a TypeScript slugify function.",
                block(
                    "typescript",
                    'function slugify(title: string): string {\n  throw new Error("Not implemented");\n}',
                ),
                "No.",
            ),
            conversation(
                "Write a Rust palindrome check.",
                block(
                    "rust", 'fn is_palindrome(s: &str) -> bool {\n    unimplemented!("check")\n}'
                ),
            ),
            conversation(
                "Count the words in a file, in Python.",
                block("python", "def count_words(path):\n    return 0  # implement later"),
            ),
        ],
        [
            instruction(
                "Write a JavaScript function that returns the largest number in an array.",
                block("javascript", "const maxOf = (numbers) => Math.max(...numbers);"),
            ),
            instruction(
                "Write a TypeScript class Point with its distance from the origin.",
                block(
                    "typescript",
                    "class Point {\n  constructor(public x: number, public y: number) {}\n\n"
                    "  distance(): number {\n    return Math.hypot(this.x, this.y);\n  }\n}",
                ),
            ),
            instruction(
                "Write a Go logger type that discards every message, for tests.",
                block("go", "type NopLogger struct{}\n\nfunc (NopLogger) Log(msg string) {}"),
            ),
            instruction(
                "What's the smallest valid Go program?",
                block("go", "package main\n\nfunc main() {}"),
            ),
            instruction(
                "How should a read-only list refuse add() in Java?",
                block(
                    "java",
                    "public boolean add(E element) {\n"
                    '    throw new UnsupportedOperationException("read-only list");\n}',
                ),
            ),
            preference(
                "Make a Java class that can't be instantiated but forces an area method.",
                block(
                    "java",
                    "public abstract class Shape {\n    public abstract double area();\n}",
                ),
                "Use an interface.",
            ),
            conversation(
                "Show a Rust trait for shapes.",
                block(
                    "rust",
                    "trait Shape {\n    fn area(&self) -> f64;\n    fn describe(&self) -> String {\n"
                    '        format!("area {:.2}", self.area())\n    }\n}',
                ),
            ),
        ],
    ),
    ChatTokenLeak(): (
        [
            instruction("Which planet has the most moons?", "Saturn.<｜end▁of▁sentence｜>"),
            instruction("Summarize Hamlet.", "Hamlet avenges his father.<|END_OF_TURN_TOKEN|>"),
            instruction("Convert 5 miles to km.", "[TOOL_CALLS] 5 miles is about 8.05 km."),
            instruction("A synonym for happy?", "Joyful or cheerful both work.<eos>"),
            instruction(
                "A stretch for tight hamstrings?",
                "Try a standing forward fold for 30 seconds.\n\nUser: Thanks! And my back?\n"
                "Assistant: Try child's pose.",
            ),
            preference(
                "Is raw cookie dough safe?",
                "Not quite: raw flour and eggs can carry bacteria.",
                "Yes, it's fine.\n\nHuman: Are you sure?\n\nAssistant: Yes.",
            ),
            conversation("<|user|>\nWhat plant suits a dark bathroom?", "A Boston fern."),
            instruction("Name a fruit.", "Assistant: An apple."),
        ],
        [
            instruction(
                "How do I show a crossed-out old price on my web page?",
                "Wrap it in an <s> element: <s>$40</s> $29.",
            ),
            instruction(
                "How does Llama 3 mark the end of a message in its prompt format?",
                "Each message ends with the special <|eot_id|> token.",
            ),
            conversation(
                "My model keeps ending every answer with <|im_end|> and then rambling on. Why?",
                "Add <|im_end|> as a stop sequence.",
            ),
            conversation('What does "<|endoftext|>" do in GPT-2?', "It ends a document."),
            instruction(
                "Write a short example dialogue between a user and a support bot.",
                "User: My package is late.\nAssistant: Could you share your order number?",
            ),
            # One "User:" line is a label, not a run-on exchange.
            instruction(
                "Describe the tables.",
                "The schema has two tables.\nUser: id, name and email.\nOrders: id and total.",
            ),
            instruction(
                "How should a support chatbot answer an angry customer?",
                "User: This is the third time!\nAssistant: I'm sorry, let me fix it right now.",
            ),
            conversation(
                "Give me a three-line exchange for my screenplay: a human meets a robot.",
                "Human: Hello?\nRobot: I hear you.\nHuman: Then say something.",
            ),
        ],
    ),
    AnnouncedMissing(): (
        [
            instruction(
                "How do I change the oil in my car?",
                "It only takes half an hour. I'll walk you through it step by step.",
            ),
            instruction(
                "Recommend some history podcasts.",
                "Here are a few you might like:\n\nHappy listening!",
            ),
            instruction(
                "Summarize the 2008 crisis in three points.", "Please find the summary below."
            ),
            preference("Write a limerick about a cat.", "Sure, I can help. Here it is.", "Cats."),
            conversation(
                "Plan three days in Edinburgh.",
                "Sure! Below is a sample itinerary.",
                "Where should I eat?",
                "Try The Scran & Scallie in Stockbridge.",
            ),
        ],
        [
            # A promise for later, and a choice made, are no answers left out.
            instruction(
                "Write a short letter to my grandma.",
                "Dear Grandma, I miss you very much. I will show you my photos again soon.",
            ),
            instruction("Blue or green?", "Both are fine. I'll go with the blue one."),
            # "or below" is a bound, not a pointer to what follows.
            instruction(
                "What temperature should a fridge be?",
                "The ideal fridge temperature is 4 °C or below.",
            ),
            instruction(
                "Write a congratulations message for a colleague's promotion.",
                "Congratulations on your promotion, Maya! Here's to your next chapter!",
            ),
            instruction(
                "What does git stash do?",
                "It shelves your uncommitted changes. If you'd like, I can walk you through "
                "an example.",
            ),
            preference(
                "How do I change the oil in my car?",
                "I'll walk you through it step by step.\n\n1. Drain the oil.\n2. Refill it.",
                "Ask a garage.",
            ),
            conversation(
                "Recommend some history podcasts.",
                "Try The Rest Is History. Let me know if you want ones on a particular period.",
            ),
        ],
    ),
    EmptyListItems(): (
        [
            instruction("List four things to check.", "Check these:\n\n1. ...\n2. ...\n3. ..."),
            instruction(
                "Make a table of the planets and their moons.",
                "| Planet | Moons |\n|---|---|\n| | |\n| | |",
            ),
            instruction(
                "Pros and cons of renting?",
                "- **Pros of renting:**\n- **Cons of renting:**\n- **Pros of buying:**",
            ),
            instruction("Outline a business plan.", "These parts:\n\nI.\nII.\nIII."),
            preference("How do I set up an aquarium?", "1. Step one:\n2. Step two:", "Add fish."),
            conversation(
                "The causes of World War I, as a list.", "The main causes were:\na)\nb)\nc)"
            ),
            conversation("What should I pack?", "Packing list:\n- [ ]\n- [ ]\n- [ ]"),
            conversation(
                "A weekly workout plan?",
                "Here it is:\n\n**Monday:**\n\n**Wednesday:**\n\n**Friday:**\n\nRest otherwise.",
            ),
        ],
        [
            instruction(
                "Organise the ingredients for a sponge cake.",
                "1. Dry ingredients:\n   - 225 g flour\n   - 225 g sugar\n2. Wet ingredients:\n"
                "   - 4 eggs",
            ),
            instruction(
                "Make a table of my week: gym on Monday and Thursday.",
                "| Day | Plan |\n|---|---|\n| Monday | Gym |\n| Tuesday | |\n| Wednesday | |",
            ),
            instruction(
                "Make me an empty meal-plan table to fill in by hand.",
                "| Day | Lunch |\n|---|---|\n| Monday | |\n| Tuesday | |",
            ),
            preference(
                "Pros and cons of renting?",
                "- **Pros:** flexibility.\n- **Cons:** no equity.",
                "Renting is fine.",
            ),
            conversation("A beach checklist with checkboxes.", "- [ ] Sunscreen\n- [ ] Towel"),
            # "---" is a rule between sections, not an empty bullet.
            instruction(
                "Explain the two parts.",
                "## Part one\nSome text.\n\n---\n\n## Part two\nMore text.\n\n---\n\nThe end.",
            ),
            conversation(
                "A weekly workout plan?",
                "**Monday:** a brisk walk.\n\n**Wednesday:** cycling.\n\n**Friday:** a 5 km run.",
            ),
        ],
    ),
    RepeatedSentences(): (
        [
            conversation(
                "I want to learn guitar. I want to learn guitar. I want to learn guitar.",
                "Start with a few open chords and practise ten minutes a day.",
            ),
        ],
        [
            instruction("Write a triolet about morning coffee.", TRIOLET),
            conversation(
                "My script prints this:\nConnection reset by peer.\nConnection reset by peer.\n"
                "Connection reset by peer.\nWhat does it mean?",
                "The server closed the connection while your script was still using it.",
            ),
        ],
    ),
    RepeatedLines(0.3): (
        [
            instruction(
                "List some healthy snacks.",
                "- Apple slices\n- Greek yogurt\n- Apple slices\n- Greek yogurt\n- Apple slices",
            ),
        ],
        [
            instruction(
                "Write a cheer for our team, the Falcons, that the crowd can shout.",
                "Go, Falcons, go!\nFly high, hit hard!\nGo, Falcons, go!\nGo, Falcons, go!",
            ),
            # A user who pastes a log quotes it: a conversation's lines are the assistant's.
            conversation(
                "My script prints:\nConnection reset.\nConnection reset.\nConnection reset.\n"
                "What does it mean?",
                "The server closed the connection.",
            ),
        ],
    ),
    ResponseLanguage(): (
        [
            instruction(
                "How do I keep fresh basil from wilting?",
                "Trim the stems and stand the bunch in a glass of water on the counter.\n\n"
                "No la guardes en el refrigerador, porque el frío oscurece las hojas muy "
                "rápido. Cambia el agua cada dos días y la albahaca te durará una semana.",
            ),
            instruction(
                "What is the capital of Canada?",
                "Столица Канады — Оттава. Город расположен в провинции Онтарио.",
            ),
            instruction(
                "Please answer in English: what is the difference between weather and climate?",
                "La météo décrit l'état de l'atmosphère à un moment donné, alors que le climat "
                "correspond aux conditions moyennes sur une longue période.",
            ),
            preference(
                "Give me one tip for sleeping better.",
                "每天在同一时间睡觉和起床，即使在周末也是如此。这样可以帮助稳定你的生物钟。",
                "Sleep more.",
            ),
            conversation(
                "¿Cuál es la mejor manera de aprender a nadar siendo adulto?",
                "The best way is to take a few lessons with an instructor in a quiet pool, and "
                "to get comfortable floating before you worry about speed.",
            ),
        ],
        [
            conversation(
                "Let's practise my French. From now on, answer only in French.",
                "D'accord ! À partir de maintenant, je te réponds uniquement en français.",
                "Sorry, I'm tired today. How was your weekend?",
                "Pas de souci ! Mon week-end était calme : j'ai lu un bon livre et je me suis "
                "promené au bord de la rivière.",
            ),
            with_system(
                "You are Lucía, a conversation partner. Always reply in Spanish.",
                "Hi! I want to talk about my plans for the weekend.",
                "¡Hola! Me encanta hablar de planes. ¿Qué vas a hacer este fin de semana? ¿Vas "
                "a salir con amigos o prefieres descansar en casa?",
            ),
            conversation(
                "J'apprends le français. Peux-tu m'expliquer en anglais la différence entre tu "
                "et vous ?",
                "Use tu with friends, family and children, and vous with strangers, in formal "
                "situations and whenever you address more than one person.",
            ),
            instruction(
                "Who wrote the Tao Te Ching?",
                "It is traditionally attributed to Laozi (老子), a Chinese sage of the sixth "
                "century BC, though it may have been compiled by several authors.",
            ),
        ],
    ),
}


@pytest.mark.parametrize("rule, cases", CASES.items(), ids=[r.name for r in CASES])
def test_each_rule_drops_the_general_forms_and_keeps_the_look_alikes(rule: RowFilter, cases):
    defective, sound = cases
    found = flagged(rule, *defective, *sound)
    assert [f is not None for f in found] == [True] * len(defective) + [False] * len(sound)


def test_a_simulated_user_parroting_the_assistant_is_named_by_its_turn():
    [evidence] = flagged(
        EchoesInstruction(),
        conversation(
            "What's the boiling point of water?",
            "Water boils at 100 °C at sea level.",
            "Water boils at 100 °C at sea level.",
            "Yes, exactly.",
        ),
    )
    assert (evidence["field"], evidence["turn"], evidence["how"]) == (
        "messages",
        "turn 3 (user)",
        "repeats",
    )


def test_the_filler_form_can_be_turned_off():
    echo = instruction(
        "How does compound interest work?",
        "Good question! Let me explain how "
        "compound interest works? How does compound interest work?",
    )
    wrapped = instruction(
        "How does compound interest work?",
        "Good question! How does compound interest work? Let me explain.",
    )
    assert flagged(EchoesInstruction(), wrapped)[0]["how"] == "wraps"
    assert flagged(EchoesInstruction(filler_wrapped=False), wrapped) == [None]
    assert flagged(EchoesInstruction(filler_wrapped=False), echo) == [None]


def test_evidence_names_the_stub_the_token_and_the_foreign_paragraph():
    stub, leak, language = (
        flagged(rule, record)[0]
        for rule, record in (
            (CodeStub(), instruction("Sum in Go.", block("go", "func Sum(n []int) int {\n}"))),
            (
                ChatTokenLeak(),
                preference("Safe?", "No.", "Yes.\n\nHuman: Sure?\n\nAssistant: Yes."),
            ),
            (
                ResponseLanguage(),
                conversation(
                    "Any tips for my first marathon?",
                    "Start slower than you think and drink at every station on the course.\n\n"
                    "Und vergiss nicht, deine Schuhe vorher gut einzulaufen, denn neue Schuhe "
                    "können schnell zu Blasen führen.",
                ),
            ),
        )
    )
    assert stub["problem"] == "function Sum has an empty body"
    assert (leak["field"], leak["span"]) == ("rejected", "Human:")
    assert (language["turn"], language["language"], language["request_language"]) == (
        "turn 2 (assistant)",
        "de",
        "en",
    )
    assert language["span"].startswith("Und vergiss nicht")


def test_refrains_and_cheers_asked_for_pass_the_gopher_repetition_rule():
    rule = GopherRepetition(GopherRepetitionRules(), GopherRepetitionRules().scope)
    refrain = TRIOLET + "\n" + TRIOLET
    asked, not_asked = flagged(
        rule,
        instruction("Write a triolet about morning coffee, twice over.", refrain),
        instruction("Write a poem about morning coffee.", refrain),
    )
    assert asked is None and not_asked is not None


def test_a_bilingual_conversation_with_an_english_turn_passes_the_language_filter():
    spanish = "Claro que sí. ¿Qué hiciste el fin de semana? Yo fui al mercado con mi familia."
    rows = rows_of(
        with_system(
            "Eres Lucía. Responde siempre en español.",
            "Hi! Let's talk about my weekend plans.",
            spanish,
        ),
        conversation("Hola, ¿qué tal? ¿Hablamos un rato de nuestros planes?", spanish),
    ).with_columns(pl.lit("es").alias("lang"), pl.lit(0.95).alias("lang_score"))
    dropped = set(LanguageFilter(("en",), 0.5).flag(rows)["row_id"])
    assert [row_id in dropped for row_id in rows["row_id"]] == [False, True]
    evidence = json.loads(LanguageFilter(("en",), 0.5).flag(rows)["evidence"].item())
    assert evidence["value"] == "es"
