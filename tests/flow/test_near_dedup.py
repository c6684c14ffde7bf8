"""Near dedup in the filtered stage: every drop is explained in the warehouse."""

from __future__ import annotations

import json

import pytest

from tests.conftest import materialize
from tests.unit.assets.dedup.test_near import base_text, substituted, word_jaccard
from warehouse import Warehouse
from warehouse.corpora import read_version


def test_flow_records_near_duplicate_decisions_in_the_warehouse(home, write_recipe):
    seeds = home / "near.jsonl"
    base = base_text(7, words=120)
    variants = {
        "original": " ".join(base),
        "one_edit": " ".join(substituted(base, 1)),
        "far": " ".join(substituted(base, 9)),
    }
    lines = [
        json.dumps({"task_type": "open_qa", "instruction": text, "response": f"Answer {name}."})
        for name, text in variants.items()
    ]
    seeds.write_text("\n".join(lines) + "\n", encoding="utf-8")
    recipe = write_recipe(
        seed={"sources": [{"path": "bundled:demo_seeds.jsonl"}, {"path": str(seeds)}]},
        synthesis={"methods": [{"method": "seed_passthrough"}]},
        dedup={"near": {"threshold": 0.8, "bands": 16, "rows": 8, "verify": True}},
        # The planted texts are random words: no language, and web-document rules would judge
        # them before dedup could.
        filters={"language": {"enabled": False}, "document_scope": {"responses": False}},
    )
    result = materialize(home, recipe, selection="*filtered")
    assert result.success

    wh = Warehouse(home)
    _, synthesized = read_version(wh, "synthesized")
    ids = dict(synthesized.select("instruction", "row_id").iter_rows())
    original, one_edit, far = (ids[variants[k]] for k in ("original", "one_edit", "far"))
    _, filtered = read_version(wh, "filtered")
    kept = set(filtered["row_id"])
    representative = min(original, one_edit)
    dropped = max(original, one_edit)
    assert representative in kept and far in kept and dropped not in kept
    with wh.reader() as con:
        decisions = con.sql(
            "SELECT row_id, score, evidence->>'$.duplicate_of' AS duplicate_of, "
            "evidence->>'$.similarity_kind' AS kind, evidence->>'$.method' AS method "
            "FROM decisions WHERE stage = 'filtered' AND rule = 'near_duplicate'"
        ).pl()
    assert decisions.rows() == [
        (
            dropped,
            pytest.approx(
                word_jaccard(
                    variants["original"] + " answer original",
                    variants["one_edit"] + " answer one_edit",
                )
            ),
            representative,
            "jaccard",
            "near_dedup",
        )
    ]
