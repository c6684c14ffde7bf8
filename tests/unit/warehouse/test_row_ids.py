"""The row-id contract: content-addressed, the same content always the same id; a preference
pair's rejected side is part of its content."""

from __future__ import annotations

import hashlib
import json

import polars as pl

from assets.dedup.exact import ExactDedup
from warehouse.rows import compute_row_ids, conform


def rows(*records: dict) -> pl.DataFrame:
    return conform(pl.DataFrame(list(records)))


def pair(rejected: str, **extra: object) -> dict:
    return {
        "kind": "preference",
        "instruction": "Name a prime number.",
        "response": "7",
        "attributes": json.dumps({"rejected": rejected, **extra}),
    }


def test_an_instruction_row_id_is_the_sha256_of_its_kind_and_normalized_content():
    frame = rows(
        {"kind": "instruction", "instruction": " Say hi.\r\n", "response": "Hi!  \nThere"},
    )
    content = "\x1f".join(["instruction", "Say hi.", "", "Hi!\nThere", ""])
    assert compute_row_ids(frame).to_list() == [hashlib.sha256(content.encode()).hexdigest()[:32]]


def test_attributes_do_not_move_the_id_of_a_row_that_is_not_a_preference_pair():
    plain = {"kind": "instruction", "instruction": "Say hi.", "response": "Hi!"}
    ids = compute_row_ids(rows(plain, {**plain, "attributes": '{"rejected": "Go away."}'}))
    assert ids[0] == ids[1]


def test_preference_pairs_that_reject_different_responses_are_different_rows():
    ids = compute_row_ids(rows(pair("9"), pair("4"), pair("  9 ", signal="checks")))
    assert ids[0] != ids[1]
    # The rejected side is normalized like the rest of the content; other attributes are
    # not content.
    assert ids[0] == ids[2]


def test_exact_dedup_keeps_both_pairs_and_merges_a_repeated_one():
    frame = rows(pair("9"), pair("4"), pair("9!"))
    frame = frame.with_columns(compute_row_ids(frame).alias("row_id"))
    clusters = ExactDedup().keys(frame)["cluster_id"].to_list()
    assert clusters[0] != clusters[1]
    # Exact dedup folds case and punctuation: "9!" rejects the same answer as "9".
    assert clusters[0] == clusters[2]
