"""Seed files with conversations: OpenAI `messages` and ShareGPT `conversations` import as
conversation rows; records whose turns are not a conversation are quarantined by line."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from assets.seed_readers.files import read_file
from warehouse.rows import conform, with_row_ids

OPENAI = [
    {
        "messages": [
            {"role": "system", "content": "You are terse."},
            {"role": "user", "content": "What is the capital of France?"},
            {"role": "assistant", "content": "Paris."},
        ]
    },
    {
        "messages": [
            {"role": "user", "content": "Add 2 and 3."},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "calculator", "arguments": '{"expression": "2+3"}'},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "call_1", "name": "calculator", "content": "5"},
            {"role": "assistant", "content": "5"},
        ]
    },
]
SHAREGPT = [
    {
        "conversations": [
            {"from": "human", "value": "Name a primary colour."},
            {"from": "gpt", "value": "Red."},
            {"from": "human", "value": "Another?"},
            {"from": "gpt", "value": "Blue."},
        ]
    }
]
BAD = [
    {"messages": [{"role": "robot", "content": "beep"}]},
    {"conversations": [{"from": "human", "value": "hi"}, {"from": "gpt"}]},
    {"messages": "not a list"},
    {"messages": [{"role": "assistant", "content": "no user turn"}]},
    {
        "messages": [
            {"role": "user", "content": "x"},
            {
                "role": "assistant",
                "tool_calls": [{"function": {"name": "calc", "arguments": "{oops"}}],
            },
        ]
    },
]


def _write(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def _messages(rows: pl.DataFrame) -> list[list[dict]]:
    return [json.loads(m) for m in rows["messages"]]


def test_openai_messages_import_as_conversations(tmp_path: Path):
    result = read_file(_write(tmp_path / "chat.jsonl", OPENAI), "auto", 20000)
    assert result.quarantined.is_empty()
    rows = with_row_ids(conform(result.rows))
    assert rows["kind"].to_list() == ["conversation", "conversation"]
    first, tools = _messages(rows)
    assert [m["role"] for m in first] == ["system", "user", "assistant"]
    assert tools[1]["tool_calls"][0]["function"] == {
        "name": "calculator",
        "arguments": '{"expression": "2+3"}',
    }
    assert tools[2]["tool_call_id"] == "call_1" and tools[2]["name"] == "calculator"
    # The transcript is every turn's text: what filters and the row id read.
    assert rows["text"][0] == (
        "system: You are terse.\n\nuser: What is the capital of France?\n\nassistant: Paris."
    )
    assert 'calculator({"expression": "2+3"})' in rows["text"][1]
    assert rows["source_line"].to_list() == [1, 2]


def test_sharegpt_conversations_import_with_roles_mapped(tmp_path: Path):
    result = read_file(_write(tmp_path / "share.jsonl", SHAREGPT), "auto", 20000)
    assert result.quarantined.is_empty()
    (messages,) = _messages(result.rows)
    assert [(m["role"], m["content"]) for m in messages] == [
        ("user", "Name a primary colour."),
        ("assistant", "Red."),
        ("user", "Another?"),
        ("assistant", "Blue."),
    ]


def test_a_sharegpt_parquet_file_imports_too(tmp_path: Path):
    path = tmp_path / "share.parquet"
    pl.DataFrame(SHAREGPT).write_parquet(path)
    result = read_file(path, "auto", 20000)
    assert result.quarantined.is_empty()
    assert result.rows["kind"].to_list() == ["conversation"]


def test_bad_layouts_are_quarantined_with_file_line_and_reason(tmp_path: Path):
    path = _write(tmp_path / "bad.jsonl", [*BAD, OPENAI[0]])
    result = read_file(path, "auto", 20000)
    assert result.rows.height == 1 and result.rows["source_line"].to_list() == [6]
    evidence = [json.loads(e) for e in result.quarantined["evidence"]]
    assert set(result.quarantined["rule"]) == {"bad_conversation"}
    assert [(e["file"], e["line"]) for e in evidence] == [(str(path), n) for n in range(1, 6)]
    reasons = [e["reason"] for e in evidence]
    assert "turn 1: role 'robot' is not one of" in reasons[0]
    assert "conversations: turn 2: has no content" in reasons[1]
    assert "messages is text but not a JSON list" in reasons[2]
    assert "no user turn" in reasons[3]
    assert "turn 2: tool call 1 arguments are not valid JSON" in reasons[4]
