"""The conversation contract: canonical turns, the transcript every step reads with each
turn's offsets, and the turn-by-turn view `trace` prints."""

from __future__ import annotations

import json

import polars as pl
import pytest

from warehouse.conversations import ConversationError, canonical_messages, encode, turns
from warehouse.lineage import conversation_turns
from warehouse.rows import compute_row_ids, conform, with_row_ids

TOOL_CHAT = [
    {"role": "user", "content": "6 times 7?"},
    {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {"id": "c1", "function": {"name": "calculator", "arguments": {"expression": "6*7"}}}
        ],
    },
    {"role": "tool", "content": "42", "tool_call_id": "c1", "name": "calculator"},
    {"role": "assistant", "content": "42."},
]


def rows(*conversations: list[dict]) -> pl.DataFrame:
    return with_row_ids(
        conform(
            pl.DataFrame(
                {
                    "kind": ["conversation"] * len(conversations),
                    "messages": [encode(canonical_messages(c)) for c in conversations],
                }
            )
        )
    )


def test_turn_offsets_cut_the_transcript_into_its_turns():
    frame = rows(TOOL_CHAT)
    text = frame["text"][0]
    cut = turns(frame).to_dicts()
    assert [text[t["start"] : t["end"]] for t in cut] == [t["body"] for t in cut]
    assert [t["body"] for t in cut] == [
        "user: 6 times 7?",
        'assistant: calculator({"expression": "6*7"})',
        "tool: 42",
        "assistant: 42.",
    ]
    # What the assistant says: the view rules about responses read.
    assert frame["response"][0] == 'calculator({"expression": "6*7"})\n\n42.'


def test_row_ids_follow_every_turn_and_role():
    base = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]
    later = [*base, {"role": "user", "content": "Bye"}, {"role": "assistant", "content": "Bye"}]
    swapped = [{"role": "user", "content": "Hello"}, {"role": "assistant", "content": "Hi"}]
    ids = compute_row_ids(rows(base, later, swapped, base))
    assert ids[0] == ids[3] and len(set(ids[:3])) == 3


@pytest.mark.parametrize(
    ("messages", "problem"),
    [
        ([], "non-empty list"),
        ([{"role": "user", "content": 3}], "turn 1: content is int"),
        ([{"role": "user", "content": "a"}, {"role": "tool"}], "turn 2: has no content"),
        ([{"role": "user", "content": "a"}, "b"], "turn 2: is str"),
        (
            [{"role": "user", "content": "a", "tool_calls": [{"function": {"name": "f"}}]}],
            "only an assistant turn makes tool calls",
        ),
        ([{"role": "system", "content": "a"}], "no user turn"),
    ],
)
def test_bad_turns_are_named(messages, problem):
    with pytest.raises(ConversationError, match=problem):
        canonical_messages(messages)


def test_trace_shows_each_turn_with_the_call_that_wrote_it():
    row = rows(TOOL_CHAT).to_dicts()[0]
    row["attributes"] = json.dumps(
        {"turn_calls": [None, "call-a", None, "call-b"], "turn_generators": [None, "g", None, "g"]}
    )
    shown = conversation_turns(row)
    assert [(t["turn"], t["role"], t["call_id"]) for t in shown] == [
        (1, "user", None),
        (2, "assistant", "call-a"),
        (3, "tool", None),
        (4, "assistant", "call-b"),
    ]
    assert shown[1]["tool_calls"][0]["function"]["name"] == "calculator"
    assert conversation_turns({"kind": "instruction", "messages": None}) == []
