"""Semantic dedup: paraphrases go, different rows on the same topic stay, with evidence."""

from __future__ import annotations

import json

import polars as pl

from assets.dedup.semantic import (
    SemanticDedup,
    SemanticDedupConfig,
)
from tests.conftest import materialize
from warehouse import Warehouse
from warehouse.corpora import read_version
from warehouse.rows import conform, with_row_ids

# (group, instruction, response): rows of one group >= 1 are paraphrases of each other; group 0
# rows share a topic with a group but ask something else.
ROWS = [
    (1, "Explain why the sky is blue.", "Air molecules scatter sunlight, blue light the most."),
    (1, "Why is the sky blue? Explain.", "Sunlight is scattered by air molecules; blue the most."),
    (1, "Explain the reason the sky is blue.", "Air molecules scatter blue sunlight the most."),
    (
        0,
        "Explain why sunsets are red.",
        "Near sunset light crosses more air; blue is scattered out.",
    ),
    (2, "Write a Python function that reverses a string.", "def rev(s): return s[::-1]"),
    (2, "Write a Python function to reverse a string.", "def reverse(s): return s[::-1]"),
    (0, "Write a Python function that checks if a string is a palindrome.", "s == s[::-1]"),
    (0, "Name three primary colours.", "Red, yellow and blue."),
    (0, "What is the boiling point of water at sea level?", "100 degrees Celsius."),
    (0, "Write a Python function that counts the vowels in a string.", "sum(c in 'aeiou' ...)"),
]
THRESHOLD = 0.9


def corpus() -> pl.DataFrame:
    frame = pl.DataFrame(
        {
            "kind": ["instruction"] * len(ROWS),
            "task_type": ["open_qa"] * len(ROWS),
            "instruction": [r[1] for r in ROWS],
            "input": [""] * len(ROWS),
            "response": [r[2] for r in ROWS],
        }
    )
    return with_row_ids(conform(frame)).with_columns(pl.Series("group", [r[0] for r in ROWS]))


def expected_drops(rows: pl.DataFrame) -> dict[str, str]:
    """Each paraphrase group keeps its smallest row_id; every other member names it."""
    drops = {}
    for _, members in rows.filter(pl.col("group") > 0).group_by("group"):
        ids = sorted(members["row_id"])
        drops.update({i: ids[0] for i in ids[1:]})
    return drops


def test_paraphrases_dropped_same_topic_kept_whatever_the_row_order(home):
    rows = corpus()
    step = SemanticDedup(Warehouse(home), SemanticDedupConfig(enabled=True, threshold=THRESHOLD))
    flagged = step.flag(rows)
    evidence = {r: json.loads(e) for r, e in flagged.select("row_id", "evidence").iter_rows()}
    expected = expected_drops(rows)
    assert {r: e["duplicate_of"] for r, e in evidence.items()} == expected
    for row_id, score in flagged.select("row_id", "score").iter_rows():
        found = evidence[row_id]
        assert found["method"] == "semantic_dedup" and isinstance(found["cluster"], int)
        assert score == found["similarity"] >= THRESHOLD
    assert step.encoded == len(ROWS) and step.cache_hits == 0

    # Shuffled input, embeddings from the warehouse cache: the same decisions.
    again = SemanticDedup(Warehouse(home), SemanticDedupConfig(enabled=True, threshold=THRESHOLD))
    reflagged = again.flag(rows.sample(fraction=1.0, shuffle=True, seed=5))
    assert again.encoded == 0 and again.cache_hits == len(ROWS)
    assert sorted(reflagged["row_id"]) == sorted(expected)

    # A stricter threshold keeps the looser paraphrases.
    strict = SemanticDedup(Warehouse(home), SemanticDedupConfig(enabled=True, threshold=0.999))
    assert strict.flag(rows).is_empty()


def test_rows_of_excluded_methods_are_not_compared(home):
    rows = corpus().with_columns(pl.lit("programmatic_math").alias("method"))
    step = SemanticDedup(Warehouse(home), SemanticDedupConfig(enabled=True, threshold=THRESHOLD))
    assert step.flag(rows).is_empty()
    compared = SemanticDedup(
        Warehouse(home),
        SemanticDedupConfig(enabled=True, threshold=THRESHOLD, exclude_methods=[]),
    )
    assert sorted(compared.flag(rows)["row_id"]) == sorted(expected_drops(rows))


def test_filtered_stage_records_semantic_duplicates(home, write_recipe):
    rows = corpus()
    seeds = home / "paraphrases.jsonl"
    seeds.write_text(
        "\n".join(
            json.dumps({"task_type": "open_qa", "instruction": i, "response": r})
            for _, i, r in ROWS
        )
        + "\n",
        encoding="utf-8",
    )
    recipe = write_recipe(
        seed={"sources": [{"path": str(seeds)}]},
        synthesis={"methods": [{"method": "seed_passthrough"}]},
        dedup={"semantic": {"enabled": True, "threshold": THRESHOLD}},
    )
    result = materialize(home, recipe, selection="*filtered")
    assert result.success
    wh = Warehouse(home)
    _, filtered = read_version(wh, "filtered")
    expected = expected_drops(rows)
    assert set(filtered["row_id"]) == set(rows["row_id"]) - set(expected)
    with wh.reader() as con:
        decisions = con.sql(
            "SELECT row_id, rule, score, evidence->>'duplicate_of' AS duplicate_of "
            "FROM decisions WHERE corpus = 'filtered' AND rule = 'semantic_duplicate'"
        ).pl()
    assert dict(decisions.select("row_id", "duplicate_of").iter_rows()) == expected
    assert (decisions["score"] >= THRESHOLD).all()
    meta = next(
        m.materialization.metadata
        for m in result.get_asset_materialization_events()
        if m.asset_key.path == ["filtered"]
    )
    # The synthesized stage's diversity metadata embeds the same text into the shared cache,
    # so a row may come from the cache rather than be encoded here.
    stats = meta["semantic_dedup"].value
    assert stats["encoded"] + stats["embedding_cache_hits"] == len(ROWS)
