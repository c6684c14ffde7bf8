"""Deterministic parts of the synthesis methods: answer extraction and verification,
ROUGE-L screening, evolution elimination, passage splitting, QA parsing."""

from __future__ import annotations

import json
import random
from datetime import datetime

import polars as pl
import pytest

from assets.answers import compare_answer, extract_final_answer, verify
from assets.models.json_schema import SchemaMismatch
from assets.recipe.loader import RecipeError, parse_recipe
from assets.synthesis.context import SynthesisContext
from assets.synthesis.methods.evol_instruct import clean_evolution, failed_evolution
from assets.synthesis.methods.grounded_qa import parse_qa, split_passages
from assets.synthesis.methods.self_instruct import blacklist_pattern
from assets.synthesis.methods.verified_cot import read_rationale
from assets.synthesis.similarity import RougePool, rouge_l
from warehouse import Warehouse
from warehouse.rows import conform, with_row_ids


@pytest.mark.parametrize(
    ("rationale", "expected"),
    [
        ("3 + 4 = 7.\nThe answer is 7.", "7"),
        ("Half of it: \\boxed{1/2}", "0.5"),
        ("Total cost\n#### 1,200", "1200"),
        ("First 12, then 15 in total", "15"),
        ("So the capital is Paris.\nThe answer is Paris.", "paris"),
        ("The final answer: 50%", "0.5"),
        ("The answer is 8 apples.", "8"),
    ],
)
def test_cot_verification_accepts_matching_answers(rationale, expected):
    assert verify(rationale, expected).matched


@pytest.mark.parametrize(
    ("rationale", "expected", "got", "how"),
    [
        ("2 + 2 = 5. The answer is 5.", "4", "5", "numeric"),
        ("The answer is 3.0001", "3", "3.0001", "numeric"),
        ("The answer is London.", "Paris", "London", "string"),
        ("I do not know.", "4", None, "no_answer"),
    ],
)
def test_cot_verification_rejects_mismatches_with_what_it_got(rationale, expected, got, how):
    check = verify(rationale, expected)
    assert not check.matched
    assert (check.expected, check.got, check.how) == (expected, got, how)


def test_numeric_tolerance_is_configurable():
    assert not verify("The answer is 3.14", "3.14159").matched
    assert verify("The answer is 3.14", "3.14159", rel_tol=1e-3).matched
    assert extract_final_answer("The answer is 12. Then I checked 13.") == "12. Then I checked 13"
    assert extract_final_answer("no numbers here") is None


def test_rouge_pool_names_the_closest_instruction():
    pool = RougePool(["Write a poem about the sea.", "Sort a list of numbers in Python."])
    closest, score = pool.closest("Write a short poem about the sea.")
    assert closest == "Write a poem about the sea."
    assert score == pytest.approx(2 * 6 / (7 + 6))
    assert rouge_l("a b c", "d e f") == 0.0
    assert RougePool().closest("anything") == (None, 0.0)


@pytest.mark.parametrize("above", [0.0, 0.5, 0.7, 0.9])
def test_rouge_pool_with_a_threshold_finds_what_the_full_scan_finds_above_it(above):
    # Texts from 12 words (repeats, shared prefixes, empty texts) so that many pairs score
    # near the threshold; the pool grows past two re-indexings while it is queried.
    rng = random.Random(3)
    vocab = [f"w{i}" for i in range(12)]

    def text() -> str:
        return " ".join(rng.choices(vocab, k=rng.randint(0, 9)))

    seeds = [text() for _ in range(5)]
    full, indexed = RougePool(seeds), RougePool(seeds, above=above)
    for _ in range(300):
        query = text()
        closest, score = full.closest(query)
        expected = (closest, score) if score > above else (None, 0.0)
        assert indexed.closest(query) == expected, query
        full.add(query)
        indexed.add(query)


def test_rouge_pool_bound_keeps_long_and_edited_texts():
    # Texts up to 120 words (every hash bucket taken, words repeated) and small edits of
    # earlier texts, so that the pool's bucket bound is loose for some members and tight for
    # others; the indexed pool must still answer as the full scan does above the threshold.
    rng = random.Random(5)
    vocab = [f"w{i}" for i in range(400)]
    made: list[str] = []

    def text() -> str:
        if made and rng.random() < 0.5:
            words = rng.choice(made).split()
            for _ in range(rng.randint(0, 3)):
                words.insert(rng.randint(0, len(words)), rng.choice(vocab))
            return " ".join(words)
        return " ".join(rng.choices(vocab, k=rng.randint(1, 120)))

    full, indexed = RougePool(), RougePool(above=0.7)
    for _ in range(400):
        query = text()
        made.append(query)
        closest, score = full.closest(query)
        expected = (closest, score) if score > 0.7 else (None, 0.0)
        assert indexed.closest(query) == expected, query
        full.add(query)
        indexed.add(query)


def test_blacklist_matches_whole_words_in_any_case():
    pattern = blacklist_pattern(["image", "go to"])
    assert pattern.search("Describe this IMAGE please").group(0) == "IMAGE"
    assert pattern.search("Go  to the store and buy milk")
    assert not pattern.search("Imagine a world without cars")
    assert blacklist_pattern([]) is None


def test_failed_evolutions_are_named():
    parent = "Explain what a hash table is."
    assert failed_evolution("#Rewritten Prompt#: explain", parent, "deepen", 0.9) == (
        "copied_template_text",
        None,
    )
    rule, score = failed_evolution("Explain what a hash table is!", parent, "deepen", 0.9)
    assert rule == "no_information_gain" and score == 1.0
    assert failed_evolution("Describe hash maps.", parent, "concretize", 0.9)[0] == (
        "not_longer_than_parent"
    )
    assert failed_evolution("Describe bloom filters.", parent, "breadth", 0.9) is None
    longer = "Explain what a hash table is, and compare chaining with open addressing."
    assert failed_evolution(longer, parent, "add_constraints", 0.9) is None
    assert clean_evolution('{"prompt": "Rewritten prompt: \\"Do X.\\""}') == "Do X."
    with pytest.raises(SchemaMismatch, match="evolved_prompt"):
        clean_evolution('Rewritten prompt: "Do X."')


def test_passages_keep_offsets_into_the_document():
    text = "  One two three. Four five six seven!\nEight nine.  Ten eleven twelve. "
    spans = split_passages(text, 4)
    assert [text[s:e] for s, e in spans] == [
        "One two three. Four five six seven!",
        "Eight nine.  Ten eleven twelve.",
    ]
    assert parse_qa('{"question": " What is X?", "answer": "It is Y."}') == (
        "What is X?",
        "It is Y.",
    )
    for unparseable in ('{"question": "What is X?"}', '{"question": " ", "answer": "Y"}'):
        with pytest.raises(SchemaMismatch, match="grounded_qa"):
            parse_qa(unparseable)


def test_a_source_must_run_before_the_method_that_reads_it():
    recipe = """
name: r
seed: {sources: [{path: x.jsonl}]}
synthesis:
  methods:
    - {method: verified_cot, sources: [seed, programmatic_math]}
    - {method: programmatic_math}
"""
    with pytest.raises(RecipeError, match="source 'programmatic_math' must be 'seed' or a method"):
        parse_recipe(recipe, "r.yaml")


def test_rationales_are_read_from_their_json_and_compared_by_field():
    reasoning, final = read_rationale('{"reasoning": " 3 + 4 = 7 ", "answer": "7."}')
    assert (reasoning, final) == ("3 + 4 = 7", "7.")
    assert compare_answer(final, "7").matched
    assert compare_answer("Paris", "paris").how == "string"
    assert compare_answer(" ", "7").how == "no_answer"
    with pytest.raises(SchemaMismatch, match="cot_rationale"):
        read_rationale("3 + 4 = 7. The answer is 7.")


def test_instruction_pattern_selects_the_matching_source_instructions(tmp_path):
    questions = [
        "What is the capital of Australia?",
        "Why is the sky blue?",
        "In what year did the Berlin Wall fall?",
        "How do vaccines work?",
    ]
    seeds = with_row_ids(
        conform(
            pl.DataFrame(
                [
                    {"kind": "instruction", "task_type": "open_qa", "instruction": q}
                    for q in questions
                ]
            )
        )
    )
    ctx = SynthesisContext(
        wh=Warehouse(tmp_path), run_id="r", created_at=datetime(2026, 1, 1), random_seed=0
    )
    pattern = "^(What is the capital|In what year)"
    picked = ctx.source_instructions(["seed"], seeds, ["open_qa"], None, pattern)
    assert sorted(picked["instruction"]) == sorted([questions[0], questions[2]])
    # The limit counts matching rows only; no pattern keeps every instruction.
    assert ctx.source_instructions(["seed"], seeds, None, 1, pattern).height == 1
    assert ctx.source_instructions(["seed"], seeds, None, None).height == 4

    recipe = (
        "name: x\nseed: {sources: [{path: a.jsonl}]}\n"
        "synthesis: {methods: [{method: %s, instruction_pattern: '%s'}]}\n"
    )
    for method in ("constrained_instruct", "preference_pairs"):
        parsed = parse_recipe(recipe % (method, pattern), "r.yaml")
        assert parsed.synthesis.methods[0].instruction_pattern == pattern
        plain = parse_recipe(recipe.replace(", instruction_pattern: '%s'", "") % method, "r.yaml")
        assert "instruction_pattern" not in json.dumps(plain.model_dump())
        with pytest.raises(RecipeError, match="is not a regular expression"):
            parse_recipe(recipe % (method, "(unclosed"), "r.yaml")
