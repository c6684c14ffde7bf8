"""Conversations through the whole flow: a ShareGPT seed file and tool_use rows (against a
scripted OpenAI-compatible server) are filtered, decontaminated and published; the email in
a seed conversation's third turn is redacted in its turns with the turn named in the
decision, the published chat files hold every conversation, and `trace` shows the turns."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from tests.conftest import materialize
from tests.flow.test_tool_use import _answer
from tests.servers import fault_server
from warehouse import Warehouse
from warehouse.lineage import trace

EMAIL = "jane.doe@example.org"
CHATS = [
    {
        "conversations": [
            {"from": "human", "value": "Can you help me write a note to my landlord?"},
            {"from": "gpt", "value": "Of course. What should the note say?"},
            {"from": "human", "value": f"Ask him to reply to {EMAIL} about the heating."},
            {"from": "gpt", "value": "Dear landlord, please reply about the heating. Thanks!"},
        ]
    },
    {
        "conversations": [
            {"from": "human", "value": "Why do leaves change colour in autumn?"},
            {"from": "gpt", "value": "Chlorophyll breaks down and other pigments show."},
        ]
    },
]
TASKS = [
    {"kind": "instruction", "task_type": "tool_use", "instruction": "What is 6 times 7?"},
    {"kind": "instruction", "task_type": "tool_use", "instruction": "Divide 1 by 0."},
]


def test_conversations_are_filtered_decontaminated_published_and_traced(home, write_recipe):
    (home / "chats.jsonl").write_text("".join(json.dumps(c) + "\n" for c in CHATS))
    (home / "tasks.jsonl").write_text("".join(json.dumps(t) + "\n" for t in TASKS))
    with fault_server(_answer) as server:
        generator = {"backend": "openai", "base_url": server.base_url, "model": "stub"}
        recipe = write_recipe(
            seed={"sources": [{"path": "home:chats.jsonl"}, {"path": "home:tasks.jsonl"}]},
            synthesis={
                "methods": [
                    {"method": "seed_passthrough"},
                    {"method": "tool_use", "generator": generator, "tools": ["calculator"]},
                ]
            },
            dedup={"semantic": {"enabled": False}},
            quality={"min_rows": {"seed": 1, "synthesized": 1, "filtered": 1, "decontaminated": 1}},
            export={"formats": ["parquet", "messages", "openai"]},
        )
        result = materialize(home, recipe)
    assert result.success
    wh = Warehouse(home)
    with wh.reader() as con:
        published = con.sql(
            "SELECT row_id, method, messages FROM decontaminated WHERE kind = 'conversation'"
        ).pl()
        decisions = con.sql("SELECT rule, evidence FROM decisions WHERE rule = 'pii.email'").pl()
        folder = con.sql(
            "SELECT path FROM publications ORDER BY created_at DESC LIMIT 1"
        ).fetchall()[0]
    assert sorted(published["method"]) == ["seed_passthrough", "seed_passthrough", "tool_use"]
    assert EMAIL not in "".join(published["messages"])
    (evidence,) = [json.loads(e) for e in decisions["evidence"]]
    assert evidence["turn"] == "turn 3 (user)"

    target = Path(folder[0])
    chats = [json.loads(line) for line in (target / "messages.jsonl").read_text().splitlines()]
    assert len(chats) == 3 and all(EMAIL not in json.dumps(c) for c in chats)
    openai_file = target / "openai_finetune.jsonl"
    openai = [json.loads(line) for line in openai_file.read_text().splitlines()]
    (tool_row,) = [r for r in openai if "tools" in r]
    (call,) = tool_row["messages"][1]["tool_calls"]
    jsonschema.validate(
        json.loads(call["function"]["arguments"]), tool_row["tools"][0]["function"]["parameters"]
    )

    tool_use_id = published.filter(published["method"] == "tool_use")["row_id"][0]
    turns = trace(wh, tool_use_id)["turns"]
    assert [t["role"] for t in turns] == ["user", "assistant", "tool", "assistant"]
    assert turns[1]["call_id"] and turns[3]["call_id"] and turns[0]["call_id"] is None
