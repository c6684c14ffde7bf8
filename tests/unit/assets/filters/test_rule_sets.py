"""Gopher, C4 and self-instruct rule sets and language identification: each drops the rows it
should with a decision naming rule set, rule, value and threshold, and keeps good rows."""

from __future__ import annotations

import json

import polars as pl

from assets.recipe.root import FilterConfig
from tests.conftest import filter_rows
from warehouse.rows import conform, with_row_ids

PROSE = (
    "The river runs through the old town and past the mill that was built with stone from "
    "the hills. Farmers bring their grain to the mill in the autumn, and the miller keeps a "
    "careful record of every sack that he grinds. In the spring the water rises, and the "
    "people of the town have learned to move their boats to higher ground before the floods. "
    "Children play on the bridge in summer and watch the fish that gather in the shade of it."
)


def _documents(texts: dict[str, str]) -> pl.DataFrame:
    frame = pl.DataFrame(
        {"kind": ["document"] * len(texts), "text": list(texts.values()), "task_type": list(texts)}
    )
    return with_row_ids(conform(frame))


def _decided(rows: pl.DataFrame, config: FilterConfig) -> tuple[pl.DataFrame, dict[str, list]]:
    result = filter_rows(rows, filters=config)
    kept, decisions = result.rows, result.decisions
    by_case = (
        decisions.join(rows.select("row_id", "task_type"), on="row_id")
        .group_by("task_type")
        .agg(pl.col("rule").unique().sort(), pl.col("evidence"))
    )
    return kept, {case: (rules, ev) for case, rules, ev in by_case.iter_rows()}


def test_document_rule_sets_drop_their_cases_with_paper_thresholds():
    cases = {
        "good": PROSE,
        "short": "The cat sat on the mat and that was all of it.",
        "hashes": PROSE + " " + " ".join(["#tag"] * 20),
        "no_stop_words": " ".join(f"Green{i} apples grow{i} quickly{i}." for i in range(20)),
        "numbers": " ".join(str(i * 37) for i in range(60)) + " " + PROSE[:200],
        "ellipsis": "\n".join(f"Then the {w} went away and the rest..." for w in "abcdefghij")
        + "\n"
        + PROSE,
        "repeated_paragraphs": "\n\n".join(
            [PROSE[:200] + "\n" + PROSE[200:400]] * 2
            + [f"Note {i} is about boats.\nIt was written in year {1900 + i}." for i in range(4)]
        ),
        "lorem": PROSE + " Lorem ipsum dolor sit amet.",
        "curly": PROSE + " Use the form {name} here.",
        "boilerplate": PROSE
        + "\n"
        + "\n".join(
            [
                "Home",
                "Please enable JavaScript to view this page correctly today.",
                "Read our privacy policy and terms of use before you go on.",
                "Menu",
                "Contact",
            ]
        ),
    }
    kept, decided = _decided(_documents(cases), FilterConfig())
    assert kept["task_type"].to_list() == ["good"]
    expected = {
        "short": "gopher_quality.word_count",
        "hashes": "gopher_quality.symbol_word_ratio",
        "no_stop_words": "gopher_quality.stop_words",
        "numbers": "gopher_quality.alpha_words",
        "ellipsis": "gopher_quality.ellipsis_lines",
        "repeated_paragraphs": "gopher_repetition.duplicate_paragraph_char_fraction",
        "lorem": "c4.lorem_ipsum",
        "curly": "c4.curly_brace",
        "boilerplate": "c4.removed_line_fraction",
    }
    for case, rule in expected.items():
        assert rule in decided.get(case, ([], []))[0], (case, decided.get(case))
    evidence = {
        json.loads(e)["rule"]: json.loads(e) for e in decided["short"][1] if "word_count" in e
    }["word_count"]
    assert evidence == {
        "rule_set": "gopher_quality",
        "rule": "word_count",
        "field": "text",
        "value": 12.0,
        "threshold": 50,
        "bound": "min",
    }
    repetition = [json.loads(e) for e in decided["repeated_paragraphs"][1]]
    assert any(
        e["rule"] == "duplicate_5gram_char_fraction"
        and e["threshold"] == 0.15
        and e["value"] > 0.15
        for e in repetition
    )


def test_thresholds_and_rule_sets_follow_the_recipe():
    rows = _documents(
        {"short": "The cat sat on the mat and that was all of it.", "curly": PROSE + " {x}"}
    )
    loose = FilterConfig(
        gopher_quality={"min_words": 5}, c4={"enabled": False}, language={"enabled": False}
    )
    kept, decided = _decided(rows, loose)
    assert "curly" in kept["task_type"].to_list()
    # Only the sentence count and similar rules may still catch the short one; not word_count.
    assert "gopher_quality.word_count" not in decided.get("short", ([], []))[0]


def test_instruction_rows_are_not_judged_as_web_documents():
    code = "```python\ndef add(a, b):\n    return {'sum': a + b}\n```\nIt returns a dict."
    # A generation stuck on one phrase, varied enough to pass the older n-gram filter.
    looping = " ".join(f"the sea shines{i}" for i in range(30))
    frame = pl.DataFrame(
        {
            "kind": ["instruction"] * 4,
            "task_type": ["short", "code", "list", "loop"],
            "method": ["seed_passthrough"] * 4,
            "instruction": [
                "What is the capital of France?",
                "Write a Python function that adds two numbers into a dict.",
                "List three primary colours.",
                "Describe the sea in a few sentences.",
            ],
            "response": ["Paris.", code, "- red\n- yellow\n- blue", looping],
        }
    )
    kept, decided = _decided(with_row_ids(conform(frame)), FilterConfig())
    assert sorted(kept["task_type"]) == ["code", "list", "short"]
    assert "gopher_repetition.top_2gram_char_fraction" in decided["loop"][0]


def test_self_instruct_rejection_rules():
    cases = {
        "good": "Explain why the sky looks blue on a clear day.",
        "too_short": "Explain sky.",
        "blacklisted": "Draw a picture of a cat sitting on a chair.",
        "punctuation": "- Explain why the sky looks blue on a clear day.",
        "non_ascii": "¿Explain why the sky looks blue on a clear day?",
        "prefix": "Write a program that prints the first ten primes.",
    }
    frame = pl.DataFrame(
        {
            "kind": ["instruction"] * len(cases),
            "task_type": list(cases),
            "method": ["self_instruct"] * len(cases),
            "instruction": list(cases.values()),
            "response": ["Because of Rayleigh scattering of sunlight."] * len(cases),
        }
    )
    rows = with_row_ids(conform(frame))
    kept, decided = _decided(rows, FilterConfig(language={"enabled": False}))
    assert kept["task_type"].to_list() == ["good"]
    assert decided["too_short"][0] == ["self_instruct.word_count"]
    assert decided["blacklisted"][0] == ["self_instruct.blacklisted_word"]
    assert decided["punctuation"][0] == ["self_instruct.punctuation_start"]
    assert "self_instruct.non_ascii_start" in decided["non_ascii"][0]
    assert decided["prefix"][0] == ["self_instruct.rejected_prefix"]
    # Seed rows are not self-instruct output: the same short instruction survives there.
    seeds = rows.with_columns(pl.lit("seed_passthrough").alias("method"))
    kept, _ = _decided(seeds.filter(pl.col("task_type") == "too_short"), FilterConfig())
    assert kept.height == 1
