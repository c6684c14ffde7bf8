"""Personal data never reaches a published export: redacted (or dropped) in the filtered stage
with a decision per row and type whose evidence holds no raw value."""

from __future__ import annotations

import json

import polars as pl

from assets.filters.pii import PiiConfig, scan_pii
from tests.conftest import materialize
from warehouse import Warehouse
from warehouse.rows import conform, with_row_ids

EMAIL = "jane.roe@example.org"
PHONE = "+44 20 7946 0958"
CARD = "4111 1111 1111 1111"
NOT_A_CARD = "4111 1111 1111 1112"  # fails the Luhn check
SSN = "078-05-1120"
IBAN = "DE89 3704 0044 0532 0130 00"
NOT_AN_IBAN = "DE88 3704 0044 0532 0130 00"  # fails the mod-97 check
IPV4 = "203.0.113.54"
IPV6 = "2001:db8::ff00:42:8329"


def _rows(texts: list[str]) -> pl.DataFrame:
    frame = pl.DataFrame(
        {
            "kind": ["instruction"] * len(texts),
            "instruction": texts,
            "response": ["Done."] * len(texts),
        }
    )
    return with_row_ids(conform(frame))


def test_each_entity_type_is_redacted_with_a_typed_placeholder():
    rows = _rows(
        [
            f"Mail {EMAIL} or ring {PHONE} today.",
            f"Pay with {CARD}, not {NOT_A_CARD}; SSN {SSN}.",
            f"Wire to {IBAN} from host {IPV4} or {IPV6}.",
            f"Account {NOT_AN_IBAN} is a typo.",
            "Compute 1234 5678 + 90 and 3.14159 * 2.",
        ]
    )
    result = scan_pii(rows, PiiConfig())
    texts = result.rows["instruction"].to_list()
    assert texts == [
        "Mail <EMAIL> or ring <PHONE> today.",
        f"Pay with <CREDIT_CARD>, not {NOT_A_CARD}; SSN <NATIONAL_ID>.",
        "Wire to <IBAN> from host <IP_ADDRESS> or <IP_ADDRESS>.",
        f"Account {NOT_AN_IBAN} is a typo.",
        "Compute 1234 5678 + 90 and 3.14159 * 2.",
    ]
    assert set(result.decisions["action"]) == {"redact"}
    assert sorted(result.decisions["rule"]) == [
        "pii.credit_card",
        "pii.email",
        "pii.iban",
        "pii.ip_address",
        "pii.national_id",
        "pii.phone",
    ]
    assert result.summary["names"].startswith("not checked, no recognizer")


def test_drop_action_drops_the_row_with_one_drop_decision():
    rows = _rows([f"Mail {EMAIL} please.", f"Card {CARD} and mail {EMAIL}.", "Nothing here."])
    result = scan_pii(rows, PiiConfig(credit_card="drop", email="redact"))
    assert result.rows["instruction"].to_list() == ["Mail <EMAIL> please.", "Nothing here."]
    card_row = rows["row_id"][1]
    mine = result.decisions.filter(pl.col("row_id") == card_row)
    assert mine.select("rule", "action").rows() == [("pii.credit_card", "drop")]


def test_a_value_is_redacted_only_in_the_row_it_was_found_in():
    # The card's digits inside a longer number are no card there: that row keeps its text,
    # whichever rows are scanned together.
    rows = _rows([f"Pay with {CARD} please.", f"Order 9{CARD} has shipped."])
    result = scan_pii(rows, PiiConfig())
    assert result.rows["instruction"].to_list() == [
        "Pay with <CREDIT_CARD> please.",
        f"Order 9{CARD} has shipped.",
    ]
    assert result.decisions["row_id"].to_list() == [rows["row_id"][0]]


def test_a_longer_value_is_replaced_whole_where_a_shorter_one_is_its_prefix():
    rows = _rows(["Hosts 10.0.0.1 and 10.0.0.12 are up."])
    result = scan_pii(rows, PiiConfig())
    assert result.rows["instruction"].to_list() == ["Hosts <IP_ADDRESS> and <IP_ADDRESS> are up."]


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
