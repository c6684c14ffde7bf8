"""Every step sees every turn of a conversation row (its transcript), and a decision about one
names the turn: personal data in turn 3 is redacted in the text and in the turns, and a
HumanEval prompt planted in a user turn removes the row with the turn in the evidence."""

from __future__ import annotations

import json

import polars as pl

from assets.decontamination.benchmarks import humaneval_items
from assets.decontamination.detector import Verdict
from assets.decontamination.ngram import NgramOverlap
from assets.filters.heuristics import Refusal
from assets.filters.pii import PiiConfig, PiiRedaction
from assets.recipe.sections import DecontaminationConfig
from assets.stream import run_steps
from warehouse.conversations import canonical_messages, encode
from warehouse.rows import conform, with_row_ids


def conversation_rows(*conversations: list[tuple[str, str]]) -> pl.DataFrame:
    return with_row_ids(
        conform(
            pl.DataFrame(
                {
                    "kind": ["conversation"] * len(conversations),
                    "messages": [
                        encode(canonical_messages([{"role": r, "content": c} for r, c in turns]))
                        for turns in conversations
                    ],
                }
            )
        )
    )


CHAT = [
    ("user", "Can you help me write a note to my landlord?"),
    ("assistant", "Of course. What should the note say?"),
    ("user", "Ask him to reply to jane.doe@example.org about the heating."),
    ("assistant", "Dear landlord, please reply to me about the heating. Thanks!"),
]


def test_an_email_in_turn_three_is_redacted_in_text_and_turns_and_named():
    rows = conversation_rows(CHAT, CHAT[:2])
    result = run_steps(rows, [PiiRedaction(PiiConfig())], stage="filtered")
    (redacted,) = result.rows.filter(pl.col("row_id") == rows["row_id"][0]).to_dicts()
    assert "jane.doe@example.org" not in redacted["text"]
    assert "reply to <EMAIL> about" in redacted["text"]
    turns = json.loads(redacted["messages"])
    assert turns[2]["content"] == "Ask him to reply to <EMAIL> about the heating."
    assert [t["content"] for i, t in enumerate(turns) if i != 2] == [
        c for i, (_, c) in enumerate(CHAT) if i != 2
    ]
    (decision,) = result.decisions.to_dicts()
    evidence = json.loads(decision["evidence"])
    assert decision["rule"] == "pii.email"
    assert evidence["turn"] == "turn 3 (user)"
    assert evidence["turns"] == ["turn 3 (user)"]


def test_a_rule_reading_the_text_sees_a_later_turn_and_names_it():
    rows = conversation_rows(
        [("user", "Tell me a joke."), ("assistant", "Why did the chicken cross the road?")]
        + [("user", "Another one."), ("assistant", "As an AI, I do not tell jokes.")]
    )
    result = run_steps(rows, [Refusal([r"(?i)\bas an ai\b"])], stage="filtered")
    assert result.rows.is_empty()
    (decision,) = result.decisions.to_dicts()
    assert json.loads(decision["evidence"])["turn"] == "turn 4 (assistant)"


def test_a_humaneval_prompt_in_a_user_turn_removes_the_row_naming_the_turn():
    benchmarks = humaneval_items()
    prompt = benchmarks["text"][0]
    rows = conversation_rows(
        [("user", "Hi there, I have a coding question."), ("assistant", "Sure, go ahead.")]
        + [("user", prompt), ("assistant", "Here is one way to do it.")],
        CHAT,
    )
    config = DecontaminationConfig(rule="ngram")
    detectors = {"ngram": config.ngram}
    steps = [NgramOverlap(benchmarks, n=config.ngram.n), Verdict(config.verdict_rule, detectors)]
    result = run_steps(rows, steps, stage="decontaminated")
    assert result.rows["row_id"].to_list() == [rows["row_id"][1]]
    (decision,) = result.decisions.to_dicts()
    evidence = json.loads(decision["evidence"])
    assert decision["row_id"] == rows["row_id"][0]
    assert evidence["item_id"] == benchmarks["item_id"][0]
    assert evidence["turn"] == "turn 3 (user)"
