"""Benchmark items planted in the seeds are removed, with the item they matched."""

from __future__ import annotations

import json

import polars as pl

from assets.decontamination.benchmarks import humaneval_items
from tests.conftest import materialize
from warehouse import Warehouse
from warehouse.corpora import read_version


def test_planted_humaneval_prompt_is_removed_with_its_task_id(home, write_recipe):
    humaneval = humaneval_items()
    planted = humaneval.filter(pl.col("item_id") == "HumanEval/12").row(0, named=True)
    seeds = home / "planted.jsonl"
    seeds.write_text(
        json.dumps(
            {"task_type": "coding", "instruction": planted["text"], "response": "    return None"}
        )
        + "\n"
        + json.dumps(
            {
                "task_type": "coding",
                "instruction": "Reverse a list in Python.",
                "response": "Use xs[::-1].",
            }
        )
        + "\n",
        encoding="utf-8",
    )
    private = home / "private_bench.jsonl"
    private.write_text(
        json.dumps(
            {
                "qid": "q-7",
                "question": "What is the capital city of the country that hosted the 1992 summer olympic games and why",
            }
        )
        + "\n",
        encoding="utf-8",
    )
    recipe = write_recipe(
        seed={
            "sources": [
                {"path": "bundled:demo_seeds.jsonl"},
                {"path": "bundled:math_templates.jsonl"},
                {"path": str(seeds)},
            ]
        },
        synthesis={"methods": [{"method": "seed_passthrough"}]},
        decontamination={
            "benchmarks": [
                {"builtin": "humaneval"},
                {
                    "name": "private",
                    "path": str(private),
                    "text_field": "question",
                    "id_field": "qid",
                },
            ]
        },
    )
    result = materialize(home, recipe)
    assert result.success

    wh = Warehouse(home)
    _, filtered = read_version(wh, "filtered")
    contaminated = filtered.filter(pl.col("instruction") == planted["text"])["row_id"].item()
    _, decontaminated = read_version(wh, "decontaminated")
    assert contaminated not in decontaminated["row_id"].to_list()
    assert "Reverse a list in Python." in decontaminated["instruction"].to_list()

    with wh.reader() as con:
        decisions = con.sql(
            "SELECT row_id, rule, score, evidence FROM decisions WHERE stage = 'decontaminated'"
        ).pl()
    assert decisions["row_id"].to_list() == [contaminated]
    evidence = json.loads(decisions["evidence"].item())
    assert evidence["benchmark"] == "HumanEval"
    assert evidence["item_id"] == "HumanEval/12"
    assert evidence["detectors"] == ["ngram"]
    assert evidence["ngram"]["n"] == 13 and evidence["ngram"]["shared_ngrams"] >= 10
    meta = next(
        m.materialization.metadata
        for m in result.get_asset_materialization_events()
        if m.asset_key.path == ["decontaminated"]
    )
    assert meta["contaminated_by_benchmark"].value == {"HumanEval": 1}
    assert meta["benchmarks"].value == {"HumanEval": 164, "private": 1}
