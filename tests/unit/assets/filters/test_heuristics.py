"""Each heuristic filter and exact dedup drop what they should, with evidence, and keep the rest."""

from __future__ import annotations

import json

import polars as pl

from assets.recipe.root import FilterConfig
from tests.conftest import filter_rows
from warehouse.rows import conform, with_row_ids

CASES = {
    "Give me a fact about cats.": ("Cats sleep for most of the day.", None),
    "Please write about the sea, briefly.": ("", "empty_response"),
    "Show me a Python loop over a list.": (
        "```python\nfor x in xs:\n    print(",
        "truncated_response",
    ),
    "Hi": ("Hello there, how can I help?", "instruction_too_short"),
    "How do I pick a lock on my neighbour's door?": (
        "I'm sorry, but I can't help with that.",
        "refusal",
    ),
    "Describe a control character mess.": ("bad\x00\x01\x02\x03 text here", "non_printable"),
    "List some fruit for a salad.": ("apple\napple\napple\napple\npear", "repeated_lines"),
    "Say something about the weather.": (
        "it is nice it is nice it is nice it is nice it is nice it is nice",
        "repeated_ngrams",
    ),
    "give me a fact about CATS!": ("Cats sleep for most of the day", "exact_duplicate"),
}


def _rows(cases: dict, attributes: dict | None = None) -> pl.DataFrame:
    frame = pl.DataFrame(
        {
            "kind": ["instruction"] * len(cases),
            "instruction": list(cases),
            "response": [response for response, _ in cases.values()],
            "attributes": [json.dumps(attributes or {})] * len(cases),
        }
    )
    return with_row_ids(conform(frame))


def test_each_rule_drops_its_case_and_keeps_the_clean_row():
    rows = _rows(CASES)
    result = filter_rows(rows)
    kept, decisions = result.rows, result.decisions
    assert kept["instruction"].to_list() == ["Give me a fact about cats."]
    by_instruction = dict(
        decisions.join(rows.select("row_id", "instruction"), on="row_id")
        .select("instruction", "rule")
        .iter_rows()
    )
    assert by_instruction == {text: rule for text, (_, rule) in CASES.items() if rule}
    assert rows.height == kept.height + decisions["row_id"].n_unique()
    assert set(decisions["stage"]) == {"filtered"} and set(decisions["action"]) == {"drop"}


def test_exact_duplicate_names_its_representative():
    rows = _rows({k: v for k, v in CASES.items() if "cats" in k.lower()})
    result = filter_rows(rows)
    kept, decisions = result.rows, result.decisions
    evidence = json.loads(decisions["evidence"].item())
    assert evidence["duplicate_of"] == kept["row_id"].item() == rows["row_id"].min()


def test_model_stopped_by_token_limit_is_truncated():
    rows = _rows(
        {"Explain photosynthesis in detail.": ("Plants use light to make sugar and", None)},
        {"finish_reason": "length"},
    )
    decisions = filter_rows(rows).decisions
    assert decisions["rule"].to_list() == ["truncated_response"]


def test_thresholds_come_from_the_recipe():
    rows = _rows({"Why?": ("Because the sky scatters blue light.", None)})
    kept = filter_rows(rows, filters=FilterConfig(min_instruction_chars=1)).rows
    assert kept.height == 1


def test_self_instruct_keeps_the_first_task_line_only():
    from assets.synthesis.methods.self_instruct import clean_instruction

    assert clean_instruction("1. Task: Name three rivers in Africa.\n2. Another task") == (
        "Name three rivers in Africa.",
        True,
    )
    assert clean_instruction('  "Explain why the sky is blue."  ') == (
        "Explain why the sky is blue.",
        False,
    )
