"""Personal data never reaches a published export: redacted (or dropped) in the filtered stage
with a decision per row and type whose evidence holds no raw value."""

from __future__ import annotations

import polars as pl

from assets.filters.pii import PiiConfig, scan_pii
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
