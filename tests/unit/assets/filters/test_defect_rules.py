"""The defect rules of the filtered stage: each drops its defect in every kind it applies to
(instruction rows, preference pairs, conversation turns), keeps the look-alikes that are not
defects, and names the field, turn and offending span in its evidence."""

from __future__ import annotations

import json
import time

import polars as pl
import pytest
import yaml

from assets.filters.defects.answers import (
    AnnouncedMissing,
    EmptyListItems,
    NeedlessClarification,
    RepeatedSentences,
    TruncatedText,
)
from assets.filters.defects.artifacts import AiDisclaimer, ChatTokenLeak, Placeholder, TemplateLeak
from assets.filters.defects.code_stubs import CodeStub
from assets.filters.defects.contradictions import SelfContradiction
from assets.filters.defects.requests import EmptyQuestion, NotATask, UnseenReference
from assets.filters.defects.response_language import ResponseLanguage
from assets.filters.defects.roles import RoleFlip
from assets.filters.echo import EchoesInstruction
from assets.filters.pipeline import filtered_steps
from assets.recipe.root import DedupConfig, FilterConfig
from assets.run_context import RunContext
from assets.steps import RowFilter
from tests.defect_set import defect_rows, without_labels
from warehouse.conversations import canonical_messages, encode
from warehouse.rows import conform, with_row_ids

pytestmark = pytest.mark.unit


def instruction(instruction: str, response: str, input: str = "") -> dict:
    return {"kind": "instruction", "instruction": instruction, "input": input, "response": response}


def preference(instruction: str, chosen: str, rejected: str) -> dict:
    return {
        "kind": "preference",
        "instruction": instruction,
        "response": chosen,
        "attributes": json.dumps({"rejected": rejected}),
    }


def conversation(*turns: str) -> dict:
    roles = ["user", "assistant"] * len(turns)
    messages = [{"role": r, "content": t} for r, t in zip(roles, turns, strict=False)]
    return {"kind": "conversation", "messages": encode(canonical_messages(messages))}


def rows_of(*records: dict) -> pl.DataFrame:
    return with_row_ids(conform(pl.DataFrame(list(records))))


def flagged(rule: RowFilter, *records: dict) -> list[dict]:
    """The evidence of each record the rule flags, in record order (None: kept)."""
    rows = rows_of(*records)
    found = {r["row_id"]: json.loads(r["evidence"]) for r in rule.flag(rows).iter_rows(named=True)}
    return [found.get(row_id) for row_id in rows["row_id"]]


# rule -> (defective records, sound look-alikes)
CASES: dict[RowFilter, tuple[list[dict], list[dict]]] = {
    ChatTokenLeak(): (
        [
            instruction(
                "What is the boiling point of water?", "It is 100 °C at sea level.<|im_end|>"
            ),
            preference("Name a prime.", "7 is prime.", "Nine.<|im_start|>user"),
            conversation("Hi", "Hello! [/INST] How can I help?"),
        ],
        [
            instruction("What does <|im_end|> mark in ChatML?", "<|im_end|> closes a message."),
            instruction("Show a ChatML prompt.", "```\n<|im_start|>user\nHi<|im_end|>\n```"),
        ],
    ),
    TemplateLeak(): (
        [
            instruction(
                "#Rewritten Prompt#: Explain tides in detail.", "Tides come from the Moon."
            ),
            instruction("Name a fruit.", "Apple.\n\n### Instruction:\nName a vegetable."),
            instruction("Summarize {passage} briefly.", "It is about rivers."),
            # A whole line of the project's own self-instruct template.
            instruction(
                "Plan a picnic. Write one new task that is different from all of the examples "
                "above. Reply with the new task only, in one or two sentences.",
                "Plan a picnic.",
            ),
        ],
        [
            instruction(
                "What is '### Instruction:' in Alpaca-format data?",
                "A header that marks the task in each example.",
            ),
            instruction("Format a string in Python.", "Use `f'{name}'` or `str.format`."),
        ],
    ),
    Placeholder(): (
        [
            instruction(
                "Write a cover letter opening.", "I am [Your Name], a nurse with [X] years."
            ),
            instruction("List two reasons to exercise.", "1. [Reason 1]\n2. [Reason 2]"),
            conversation("Draft a tweet about our sale.", "Big sale at [Company Name] this week!"),
        ],
        [
            instruction(
                "Give me a cover-letter template with placeholders.",
                "Dear [Hiring Manager],\n\nI am [Your Name] ...",
            ),
            instruction("Why is Lorem ipsum used in design?", "Lorem ipsum fills space neutrally."),
        ],
    ),
    AiDisclaimer(): (
        [
            instruction("Is coffee good for you?", "As an AI language model, I cannot say."),
            conversation(
                "As an AI language model, I need help planning a trip.",
                "Sure, where are you going?",
            ),
        ],
        [
            conversation("Are you an AI?", "Yes, I'm an AI language model, here to help."),
            instruction("Can you browse the web?", "I can't browse, but here is what I know."),
        ],
    ),
    RoleFlip(): (
        [
            conversation(
                "What is a haiku?",
                "A three-line poem of 5, 7 and 5 syllables.",
                "Thanks! How can I assist you today?",
                "Tell me about sonnets.",
            ),
            conversation(
                "How do I change a tire?", "Hi! I'm having trouble with my car. What should I do?"
            ),
        ],
        [
            conversation(
                "I'm building an AI assistant. What should it say first?",
                "Try: 'How can I help you today?'",
            ),
            conversation("Are you a bot?", "I am an AI assistant, happy to help."),
        ],
    ),
    NotATask(): (
        [
            instruction(
                "A small business owner is not a villain; they work hard.", "Indeed they do."
            ),
            preference("Cats are lazy animals.", "They sleep 12-16 hours a day.", "Yes."),
        ],
        [
            instruction("Briefly explain what inflation is.", "Rising prices over time."),
            instruction("Title for this paragraph:", "A Walk in Spring"),
            instruction(
                "Difference between TCP and UDP, in two sentences.", "TCP is reliable; UDP is not."
            ),
            instruction("Sentiment of this review.", "Positive.", input="Loved it!"),
        ],
    ),
    EmptyQuestion(): (
        [
            instruction("What is the answer to the question?", "The answer is 42."),
            instruction("Please respond to the following.", "Okay."),
            instruction("Answer the question.", "Paris.", input="Paris is the capital of France."),
            conversation("Please answer the question below.", "The kidneys filter blood."),
            # An announcement of the task that stops (the demo's self_instruct once made it).
            instruction(
                "Here is a simple and concise version of the task:",
                "The task is to write a short story using the given words.",
            ),
        ],
        [
            instruction("Solve the problem below.", "x = 4.", input="3x + 7 = 19"),
            instruction("Name three primary colors:", "Red, yellow and blue."),
            instruction(
                "Here is the passage to summarize:",
                "Bees turn nectar into honey.",
                input="Bees collect nectar and turn it into honey in the hive.",
            ),
            instruction("What is the capital of Peru?", "Lima."),
            conversation(
                "What is a prime?", "A number with two divisors.", "Explain it more.", "Sure."
            ),
        ],
    ),
    UnseenReference(): (
        [
            instruction(
                "Following the examples above, write a new riddle.", "What has keys but no locks?"
            ),
            instruction("Name a river.", "Based on the passage above, the Nile."),
        ],
        [
            instruction(
                "Based on the passage above, who won?",
                "The home team.",
                input="The home team won 2-1.",
            ),
            conversation(
                "Here is my budget: rent 1200, food 400, fun 300, savings 100, transport 150, "
                "phone 50, gym 40, streaming 30, gifts 60, clothes 90, travel 200, books 20, "
                "coffee 45, pets 70, and insurance 130 each month.",
                "Looking at the budget above, travel and rent are the largest items.",
            ),
        ],
    ),
    TruncatedText(): (
        [
            instruction(
                "How do plants make food?",
                "Plants use sunlight, and carbon dioxide is fixed into sugars such",
            ),
            instruction(
                "Give five sleep tips.",
                "1. Keep a schedule.\n2. Avoid caffeine.\n3. Limit screens for",
            ),
            instruction("List steps.", "1. Preheat the oven 2."),
            conversation(
                "Explain tides.",
                "Tides come from the Moon's pull on the oceans, which",
                "Thanks",
                "Welcome.",
            ),
        ],
        [
            instruction("Name a prime number between 20 and 30.", "23."),
            instruction("Is 1 prime?", "No. The smallest prime is 2."),
            instruction("List two languages.", "- Python\n- Rust"),
            instruction("Write hello world in Python.", "```python\nprint('hello')\n```"),
        ],
    ),
    AnnouncedMissing(): (
        [
            instruction("Give me a pancake recipe.", "Sure! Here is a recipe:"),
            instruction("Share five tips for focus.", "Here are five tips for better focus."),
            preference("Write the code.", "The code is as follows:", "No."),
        ],
        [
            instruction(
                "Give me a pancake recipe.", "Here is a recipe:\n1. Mix flour and milk.\n2. Fry."
            ),
            instruction(
                "Factorial in Python?",
                "Here it is:\n```python\ndef f(n): return 1 if n < 2 else n * f(n - 1)\n```",
            ),
            instruction("A blank form with Name and Date fields, please.", "Name:\nDate:"),
        ],
    ),
    EmptyListItems(): (
        [
            instruction("List three planets.", "Here are three planets:\n1.\n2.\n3."),
            instruction("Sections of a paper?", "## Introduction\n\n## Methods\n\n## Results"),
        ],
        [
            instruction("Give me a blank numbered checklist of three items.", "1.\n2.\n3."),
            instruction("List three planets.", "1. Mercury\n2. Venus\n3. Earth"),
        ],
    ),
    NeedlessClarification(): (
        [
            instruction(
                "Write a Python function that reverses a string.",
                "Which programming language would you like?",
            ),
            instruction(
                "Convert 5 kilometres to miles.", "Would you like the result in miles or yards?"
            ),
        ],
        [
            instruction("Book it for me.", "Could you tell me what you would like me to book?"),
            conversation(
                "Are you an AI?", "Yes, I'm an AI assistant. What would you like to do today?"
            ),
        ],
    ),
    RepeatedSentences(): (
        [
            instruction(
                "Why is the sky blue?",
                "Sunlight scatters off air molecules in the sky. Blue light scatters most. "
                "Sunlight scatters off air molecules in the sky.",
            ),
            # The same sentence again, in other small words.
            instruction(
                "Which planet has the most moons?",
                "The most moons are those orbiting a planet orbiting around the Sun. The most "
                "moons are orbiting a planet orbiting around the Sun.",
            ),
        ],
        [
            instruction(
                "Does water boil at a lower temperature on a mountain?",
                "Water boils at 100 degrees at sea level. On a high mountain, water boils at "
                "a lower temperature than 100 degrees, about 90 at 3,000 metres.",
            ),
            instruction(
                "Write a chorus and repeat it twice.",
                "Brush your teeth up and down. Brush your teeth up and down.",
            ),
        ],
    ),
    CodeStub(): (
        [
            instruction(
                "Write a function that adds two numbers.",
                "```python\ndef add(a, b):\n    pass\n```",
            ),
            instruction(
                "Sort a list in Python.", "```python\ndef sort(xs):\n    return sorted(xs\n```"
            ),
            instruction(
                "Implement it in C.",
                "```c\nint add(int a, int b) {\n  // TODO: implement\n  return 0;\n}\n```",
            ),
        ],
        [
            instruction(
                "Write an abstract base class Shape with an area method.",
                "```python\nfrom abc import ABC, abstractmethod\n\nclass Shape(ABC):\n"
                "    @abstractmethod\n    def area(self) -> float:\n        pass\n```",
            ),
            instruction(
                "Add two numbers in Python.", "```python\ndef add(a, b):\n    return a + b\n```"
            ),
        ],
    ),
    SelfContradiction(): (
        [
            instruction(
                "Are Python lists mutable?",
                "No, Python lists are immutable. Since lists are mutable, you can append to them.",
            ),
            instruction(
                "Is 1 a prime number?",
                "Yes, 1 is a prime number. It has only one divisor, so it is not prime.",
            ),
            preference(
                "Which is larger, a kilobyte or a megabyte?",
                "A kilobyte is larger than a megabyte. A megabyte holds about a thousand times "
                "as much data as a kilobyte.",
                "Megabyte.",
            ),
            conversation(
                "Tell me about the Nile.",
                "It is the longest river in Africa.",
                "Where does it flow?",
                "North into the Mediterranean. The Nile is a tributary of the Nile.",
            ),
            instruction(
                "How many bones are in the adult human body?",
                "An adult has 206 bones. Babies have more. So in total, an adult has 212 bones.",
            ),
            instruction("Identify the language: Spanish", "The language of Spanish is Spanish."),
        ],
        [
            instruction("What is the capital of Peru?", "The capital of Peru is Lima."),
            instruction(
                "Are Python tuples mutable?",
                "No. Lists are mutable, but tuples are immutable: once made, they cannot change.",
            ),
            instruction(
                "Is Pluto a planet?",
                "No, Pluto is not a planet now. It was a planet until 2006, when it was "
                "reclassified.",
            ),
            instruction(
                "Is the Great Wall of China visible from space?",
                "No. Many people say the Great Wall is visible from space, but the Great Wall "
                "is not visible to the naked eye from orbit.",
            ),
            instruction(
                "Tom has 5 apples and buys 3 more. How many apples does he have?",
                "Tom has 5 apples. He buys 3 more apples, so in total he has 8 apples.",
            ),
            instruction(
                "Which is heavier, a kilogram of iron or a pound of iron?",
                "A kilogram is heavier than a pound: a kilogram is about 2.2 pounds.",
            ),
            instruction("Is the Amazon a river?", "Yes, the Amazon is a river in South America."),
        ],
    ),
    EchoesInstruction(): (
        [
            conversation("What is photosynthesis?", "What is photosynthesis?"),
            preference("Name three rivers in Africa.", "Sure! Name three rivers in Africa.", "No."),
        ],
        [
            conversation("What is photosynthesis?", "Plants turning light into sugar."),
        ],
    ),
}


# The general forms added to older rules: a statement that is no task in a conversation's
# opening turn and in the present tense; shell stubs; a word cut in the middle; a quoted
# disclaimer is a mention.
MORE_CASES: dict[RowFilter, tuple[list[dict], list[dict]]] = {
    NotATask(): (
        [
            conversation("Cats are much more independent than dogs.", "That is a common view."),
            instruction("Coffee tastes better when the beans are freshly ground.", "True."),
            preference("Water boils at a lower temperature on mountains.", "Yes.", "No."),
        ],
        [
            conversation("I'm building a to-do app in React.", "Nice, what do you need?"),
            conversation("Cats or dogs: which is more independent?", "Cats, usually."),
            instruction("Healthy breakfast ideas for kids.", "Oatmeal with fruit."),
            instruction("Return the sorted list of odd numbers in xs.", "sorted(x for x in xs)"),
            instruction(
                "Following the recipe's steps, write a shopping list.", "Flour, eggs, milk."
            ),
        ],
    ),
    CodeStub(): (
        [
            instruction(
                "Write a Bash script that backs up my home directory.",
                "```bash\n#!/bin/bash\nbackup() {\n  # copy the files\n  :\n}\nbackup\n```",
            ),
            preference(
                "Write a shell loop that compresses every log file.",
                '```sh\nfor f in *.log; do\n  gzip "$f"\n```',
                "No.",
            ),
            conversation(
                "Write a bash script that rotates logs.", "```bash\n#!/bin/bash\n# ...\n```"
            ),
        ],
        [
            instruction(
                "Write a shell loop that compresses every log file.",
                '```bash\nfor f in *.log; do\n  gzip "$f"\ndone\n```',
            ),
            instruction(
                "Write a bash function that greets a name.",
                '```bash\ngreet() {\n  echo "Hello, $1"\n}\n```',
            ),
            instruction(
                "Give me a bash function skeleton for a deploy step.",
                "```bash\ndeploy() {\n  :\n}\n```",
            ),
        ],
    ),
    TruncatedText(): (
        [
            instruction("Why do we need vitamin D?", "Vitamin D helps the body absor"),
            conversation(
                "Give me three sleep tips.",
                "1. Keep a schedule.\n2. Avoid caffeine.\n3. Limit screens in the eveni",
            ),
            preference("Name a bakery.", "Call it The Rolling Pin, a name that is memorab", "X"),
        ],
        [
            instruction("Name a framework for containers.", "The usual choice is Kubernetes"),
            instruction("Which command lists files?", "Use ls -la"),
            conversation("Name three fruits.", "Here are three:\n- apples\n- pears\n- plums"),
        ],
    ),
    Placeholder(): (
        [
            instruction(
                "Write a cover letter for a nursing job.",
                "Dear Hiring Manager,\n\nI am applying to [Company Name].\n\nSincerely,\n[Your Name]",
            ),
            conversation(
                "Email my landlord about the heating.",
                "Dear Mr. Okafor,\n\nThe heating has been broken since [date].\n\nBest,\n[Name]",
            ),
        ],
        [
            instruction(
                "Write a short thank-you note to my team for finishing the release.",
                "Hi team,\n\nThank you for the late nights that got the release out on time.\n\n"
                "Best regards,\n[Your Name]",
            ),
            preference(
                "Email my landlord that the tap leaks.",
                "Dear Mr. Keller,\n\nThe kitchen tap leaks. When can a plumber come?\n\n"
                "Sincerely,\n[Your Name]",
                "Tap broken.",
            ),
        ],
    ),
    AiDisclaimer(): (
        [
            instruction("Tell me a joke.", "As an AI language model, I do not tell jokes."),
            conversation("Hi", "Hello.", "As an AI language model, I can't help you."),
        ],
        [
            instruction(
                'My chatbot keeps saying "As an AI language model". How do I stop it?',
                "Adjust the system prompt to forbid that phrase.",
            ),
            conversation(
                'Why do bots say "As an AI language model, I cannot"?', "It is a trained habit."
            ),
        ],
    ),
}


@pytest.mark.parametrize(
    ("rule", "cases"),
    [*CASES.items(), *MORE_CASES.items()],
    ids=[r.name for r in CASES] + [f"{r.name}-general" for r in MORE_CASES],
)
def test_each_rule_drops_its_defects_and_keeps_the_look_alikes(rule: RowFilter, cases: tuple):
    drops_and_keeps(rule, cases)


def flags_only_the_defective(
    rule: RowFilter, cases: tuple[list[dict], list[dict]]
) -> list[dict | None]:
    """`rule` flags every defective record and no sound one; the defective ones' evidence."""
    defective, sound = cases
    found = flagged(rule, *defective, *sound)
    assert all(found[: len(defective)]), [
        d for d, f in zip(defective, found, strict=False) if not f
    ]
    assert not any(found[len(defective) :]), [
        (s, f) for s, f in zip(sound, found[len(defective) :], strict=True) if f
    ]
    return found[: len(defective)]


def drops_and_keeps(rule: RowFilter, cases: tuple[list[dict], list[dict]]) -> None:
    """`rule` flags every defective record, naming itself and the field, and no sound one."""
    for evidence in flags_only_the_defective(rule, cases):
        assert evidence["rule"] == rule.name and evidence["field"]


def searches_in_linear_time(pattern: str, text: str) -> None:
    """`pattern` searches one long hostile `text` well inside 2 s: a pattern that went back
    over it would take seconds even so, and a linear one stays inside the bound on a machine
    busy with the rest of the suite."""
    started = time.perf_counter()
    pl.Series([text]).str.contains(pattern)
    assert time.perf_counter() - started < 2.0


def test_a_defective_third_turn_is_named_turn_3():
    chat = conversation(
        "What causes tides?",
        "The Moon's gravity pulls on the oceans.",
        "How can I assist you today? Anything else I can help with?",
        "Thanks.",
    )
    (evidence,) = flagged(RoleFlip(), chat)
    assert evidence["turn"] == "turn 3 (user)"
    assert evidence["span"].lower().startswith("how can i assist you")


def test_evidence_names_the_rejected_side_of_a_preference_pair():
    (evidence,) = flagged(
        ChatTokenLeak(), preference("Name a prime.", "7 is prime.", "Nine.<|im_end|>")
    )
    assert evidence["field"] == "rejected" and evidence["span"] == "<|im_end|>"


def test_an_answer_in_another_language_is_dropped_but_a_requested_translation_is_kept():
    french = "La photosynthèse permet aux plantes de transformer la lumière du soleil en énergie chimique."
    found = flagged(
        ResponseLanguage(),
        instruction("Explain photosynthesis in one sentence.", french),
        instruction(
            "Translate into French: Photosynthesis turns sunlight into chemical energy.", french
        ),
        conversation(
            "What is photosynthesis?",
            "Plants turn light into sugar.",
            "And respiration?",
            "La respiration libère l'énergie stockée dans le glucose des cellules.",
        ),
    )
    assert found[0] is not None and found[0]["language"] == "fr"
    assert found[1] is None
    assert found[2] is not None and found[2]["turn"] == "turn 4 (assistant)"


def test_the_rules_run_in_the_filtered_stage_by_default():
    names = [step.name for step in filtered_steps(FilterConfig(), DedupConfig(), RunContext())]
    for rule in CASES:
        assert rule.name in names
    assert "off_topic" in names and "response_language" in names
    off = FilterConfig(template_leak={"enabled": False})
    steps = filtered_steps(off, DedupConfig(), RunContext())
    assert "template_leak" not in [step.name for step in steps]


def test_the_rules_give_the_same_decisions_whatever_the_batch_size():
    from assets.stream import run_steps

    # Every category's first rows (defective and sound): each rule fires, and the batches of 23
    # (in file order, categories mixed) split them apart. The whole tuning half, or batches of
    # 7 (each rule's fixed cost paid 23 times), add time, not cases.
    labelled = defect_rows(split="tune")
    rows = without_labels(labelled.filter(pl.int_range(pl.len()).over("category") < 8))
    steps = [rule for rule in CASES]
    whole = run_steps(rows, steps, "filtered").decisions.sort("row_id", "rule")
    batched = run_steps(rows, steps, "filtered", batch_rows=23).decisions.sort("row_id", "rule")
    assert whole.height > 50
    assert whole.equals(batched)


def test_a_worked_answer_ending_in_a_number_is_whole():
    # programmatic_math's rows end "… = 1. The answer is 1.": no list was begun.
    found = flagged(
        TruncatedText(),
        instruction(
            "34 students are split into teams of 3. How many are left without a team?",
            "34 divided by 3 gives 11 full teams. Students in full teams: 11 × 3 = 33. "
            "Students left over: 34 - 33 = 1. The answer is 1.",
        ),
        instruction("List the steps.", "1. Preheat the oven\n2. Mix the batter 3."),
    )
    assert found[0] is None and found[1] is not None


def test_malformed_model_output_is_judged_without_error():
    # What a broken generation hands the rules: NUL and control characters, a quarter-million
    # characters, unbalanced fences and brackets, regex metacharacters, a separator-only turn.
    hostile = [
        instruction("Explain\x00 this.", "Answer\x00\x01\x02 with NULs and \u200b zero-width."),
        instruction("Summarize the text.", "word " * 50_000),
        instruction("Write code.", "```python\ndef f(:\n    ((( [[[ {{{\n"),
        instruction("Regex?", r"(?:[a-z]+\1)*$^.*\\ ${instruction} <|im_end|"),
        conversation("Hi", "\u2028…", "Still there?", "```"),
    ]
    for rule in CASES:
        out = rule.flag(rows_of(*hostile))
        assert set(out.columns) == {"row_id", "rule", "score", "evidence"}
        for evidence in out["evidence"]:
            assert json.loads(evidence)["rule"] == rule.name


def test_repetition_the_request_asked_for_is_kept_in_any_row_kind():
    from assets.filters.heuristics import RepeatedLines, RepeatedNgrams

    twister = "\n".join(["She sells sea shells by the sea shore."] * 6)
    loop = "\n".join(["The answer is the answer is the answer."] * 6)
    for rule in (RepeatedLines(0.3), RepeatedNgrams(3, 0.5), RepeatedSentences()):
        found = flagged(
            rule,
            instruction("Tell me about the sea.", loop),
            conversation("Hi", "Hello.", "Tell me about the sea.", loop),
            instruction("Say this tongue twister six times.", twister),
            conversation("Hi", "Hello.", "Say a tongue twister six times.", twister),
            conversation("Repeat after me: she sells sea shells by the sea shore.", twister),
        )
        assert found[0] and found[1], rule.name
        assert found[2:] == [None, None, None], rule.name


def test_a_formula_is_no_repetition_loop():
    from assets.filters.heuristics import RepeatedNgrams

    formula = (
        "(a + b)^2 = a^2 + 2ab + b^2, so (x + 1)^2 = x^2 + 2x + 1 and (y + 2)^2 = y^2 + 4y + 4"
    )
    loop = "the cat sat on the mat " * 6
    found = flagged(
        RepeatedNgrams(3, 0.5),
        instruction("Expand (a + b)^2.", formula),
        instruction("Write a sentence.", loop),
    )
    assert found[0] is None and found[1] is not None


def test_a_conversation_held_in_the_language_the_user_asked_for_is_kept():
    from assets.filters.language import LanguageFilter

    spanish = "Claro. ¿Qué hiciste el fin de semana? Yo fui al mercado con mi familia."
    rows = rows_of(
        conversation("Can we keep this conversation in Spanish so I can practise?", spanish),
        conversation("Hola, ¿qué tal?", spanish),
        instruction("¿Cuál es la capital de Francia?", "París."),
    ).with_columns(pl.lit("es").alias("lang"), pl.lit(0.95).alias("lang_score"))
    dropped = set(LanguageFilter(("en",), 0.5).flag(rows)["row_id"])
    assert [row_id in dropped for row_id in rows["row_id"]] == [False, True, True]


@pytest.mark.parametrize("key", ["min_cosine", "focused_cosine"])
def test_an_off_topic_cosine_outside_minus_one_to_one_is_refused_naming_its_key(key):
    from assets.recipe.loader import RecipeError, parse_recipe

    recipe = yaml.safe_dump({"filters": {"off_topic": {key: 1.5}}})
    with pytest.raises(RecipeError, match=rf"filters\.off_topic\.{key}: .*less than or equal to 1"):
        parse_recipe(recipe, "recipe.yaml")
