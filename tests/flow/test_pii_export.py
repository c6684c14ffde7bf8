"""Personal data never reaches a published export: redacted (or dropped) in the filtered stage
with a decision per row and type whose evidence holds no raw value."""

from __future__ import annotations

import json

import polars as pl

from tests.conftest import materialize
from warehouse import Warehouse

EMAIL = "jane.roe@example.org"


PHONE = "+44 20 7946 0958"


CARD = "4111 1111 1111 1111"


SSN = "078-05-1120"


IPV4 = "203.0.113.54"


IPV6 = "2001:db8::ff00:42:8329"


def test_published_export_holds_no_raw_personal_data(home, write_recipe):
    seeds = [
        {
            "task_type": "open_qa",
            "instruction": f"Write a short reply to {EMAIL} about the meeting.",
            "response": f"Thanks for your note. Call me on {PHONE} or write to {EMAIL}.",
        },
        {
            "task_type": "open_qa",
            "instruction": "How should a shop store payment cards safely today?",
            "response": f"Never keep a number such as {CARD} in plain text; tokenize it.",
        },
        {
            "task_type": "open_qa",
            "instruction": "Which server answered the health check this morning?",
            "response": f"The host {IPV4} answered; its IPv6 address is {IPV6}. SSN {SSN}.",
        },
        {
            "task_type": "open_qa",
            "instruction": "Why is the sky blue on a clear day?",
            "response": "Air scatters blue light more than red light.",
        },
    ]
    (home / "seeds.jsonl").write_text("\n".join(json.dumps(s) for s in seeds) + "\n")
    recipe = write_recipe(
        seed={"sources": [{"path": "home:seeds.jsonl"}]},
        synthesis={"methods": [{"method": "seed_passthrough"}]},
        quality={"min_rows": {"seed": 1, "synthesized": 1, "filtered": 1, "decontaminated": 1}},
    )
    result = materialize(home, recipe)
    assert result.success

    exports = list((home / "exports").rglob("data.*"))
    assert {p.name for p in exports} == {"data.parquet", "data.jsonl"}
    jsonl = next(p for p in exports if p.suffix == ".jsonl").read_text()
    parquet = pl.read_parquet(next(p for p in exports if p.suffix == ".parquet"))
    assert parquet.height == 4
    for raw in (EMAIL, PHONE, CARD, IPV4, IPV6, SSN):
        assert raw not in jsonl
        assert not parquet.select(
            pl.concat_str(pl.col("instruction", "response")).str.contains(raw, literal=True).any()
        ).item()
    assert "<EMAIL>" in jsonl and "<CREDIT_CARD>" in jsonl and "<PHONE>" in jsonl

    with Warehouse(home).reader() as con:
        decisions = con.sql(
            "SELECT rule, action, evidence FROM decisions WHERE corpus = 'filtered'"
        ).fetchall()
        redactions = dict(
            con.sql("SELECT entity_type, rows FROM redactions WHERE corpus = 'filtered'").fetchall()
        )
        dropped = con.sql(
            "SELECT dropped_count FROM corpus_versions WHERE corpus = 'filtered'"
        ).fetchall()[0][0]
    assert {r for r, a, _ in decisions if a == "redact"} >= {
        "pii.email",
        "pii.phone",
        "pii.credit_card",
        "pii.ip_address",
        "pii.national_id",
    }
    assert redactions["email"] == 1
    assert dropped == 0  # a redaction is not a removal
    for _, _, evidence in decisions:
        for raw in (EMAIL, PHONE, CARD, IPV4, IPV6, SSN, CARD.replace(" ", "")):
            assert raw not in evidence
    email = json.loads(next(e for r, _, e in decisions if r == "pii.email"))
    assert email["count"] == 2 and {m["field"] for m in email["matches"]} == {
        "instruction",
        "response",
    }
    assert all(len(m["sha256"]) == 16 for m in email["matches"])
    pii = result.asset_materializations_for_node("filtered")[0].metadata["pii"].value
    assert pii["names"].startswith("not checked, no recognizer")
    assert pii["found"]["email"] == 2
