"""reference_answer: a response whose final answer is not the row's numeric answer is dropped."""

from __future__ import annotations

import json

import polars as pl

from assets.filters.reference_answer import ReferenceAnswer, ReferenceAnswerConfig
from assets.run_context import RunContext
from warehouse.rows import conform, with_row_ids

PROBLEM = "A class has 30 students, and 40% of them are boys. How many girls are in the class?"


def rows(*records: dict) -> pl.DataFrame:
    return with_row_ids(conform(pl.DataFrame([{"kind": "instruction", **r} for r in records])))


def flagged(frame: pl.DataFrame) -> dict[str, dict]:
    flags = ReferenceAnswer().flag(frame)
    responses = dict(frame.select("row_id", "response").iter_rows())
    return {responses[r]: json.loads(e) for r, e in flags.select("row_id", "evidence").iter_rows()}


def test_a_wrong_or_missing_final_answer_is_dropped_and_the_right_one_kept():
    frame = rows(
        {"instruction": PROBLEM, "answer": "18", "response": "Boys: 12. Girls: 30 - 12 = 18."},
        {"instruction": PROBLEM, "answer": "18", "response": "The answer is **18**."},
        {"instruction": PROBLEM, "answer": "18", "response": "The class has 30 boys and 40 girls."},
        {"instruction": PROBLEM, "answer": "18", "response": "It is a mix of boys and girls."},
        {"instruction": "Compute (125 * 48) / 16 + 7.", "answer": "382", "response": "= 529"},
    )
    dropped = flagged(frame)
    assert set(dropped) == {
        "The class has 30 boys and 40 girls.",
        "It is a mix of boys and girls.",
        "= 529",
    }
    wrong = dropped["The class has 30 boys and 40 girls."]
    assert wrong["rule"] == "reference_answer" and wrong["field"] == "response"
    assert (wrong["expected"], wrong["got"], wrong["how"]) == ("18", "40", "numeric")
    assert dropped["It is a mix of boys and girls."]["how"] == "no_answer"


def test_a_preference_pair_is_judged_by_its_chosen_side():
    def pair(chosen: str, rejected: str) -> dict:
        return {
            "kind": "preference",
            "instruction": PROBLEM,
            "answer": "18",
            "response": chosen,
            "attributes": json.dumps({"rejected": rejected}),
        }

    frame = with_row_ids(conform(pl.DataFrame([pair("18 girls.", "40"), pair("40", "18")])))
    assert set(flagged(frame)) == {"40"}


def test_rows_without_a_numeric_answer_are_left_alone():
    frame = rows(
        {"instruction": "Capital of France?", "answer": "Paris", "response": "It is Lyon."},
        {"instruction": PROBLEM, "response": "There are 40 girls."},
        {"instruction": PROBLEM, "answer": "18", "response": None},
    )
    assert flagged(frame) == {}


def test_disabled_it_builds_no_step():
    assert ReferenceAnswer.from_config(ReferenceAnswerConfig(enabled=False), RunContext()) == []
    assert ReferenceAnswer.from_config(ReferenceAnswerConfig(), RunContext()) == [ReferenceAnswer()]


def test_malformed_and_huge_answers_are_judged_without_error():
    huge = "9" * 400
    frame = rows(
        {"instruction": "q", "answer": "1/0", "response": "1/0"},
        {"instruction": "q", "answer": huge, "response": f"The answer is {huge}."},
        {"instruction": "q", "answer": huge, "response": "The answer is 7."},
        {"instruction": "q", "answer": "18", "response": "\x00" * 10 + "(" * 5000 + " 18"},
        {"instruction": "q", "answer": "-3.5%", "response": "The answer is -3.5%."},
    )
    # A division by zero is no number (not checked); a 400-digit answer is compared exactly.
    assert set(flagged(frame)) == {"The answer is 7."}
