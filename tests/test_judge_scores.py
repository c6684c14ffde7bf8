"""Judge scores in the filtered stage: columns on rows, floors as decisions, judge in lineage."""

from __future__ import annotations

import json

import polars as pl

from assets.filters.judge_score import JudgeScoring, _floor_decisions
from tests.conftest import materialize
from warehouse import Warehouse
from warehouse.corpora import read_version

SEEDS = [
    {"task_type": "open_qa", "instruction": "What is the capital of France?", "response": "Paris."},
    {
        "task_type": "open_qa",
        "instruction": "Name a primary colour.",
        "response": "Blue is a primary colour.",
    },
    {"task_type": "open_qa", "instruction": "How many legs does a spider have?", "response": "3"},
]


def test_floors_drop_rows_with_the_first_failed_floor_and_its_evidence():
    config = JudgeScoring(
        enabled=True,
        criteria=["helpfulness", "correctness"],
        min_score=3.0,
        min_criterion={"correctness": 2.0},
        drop_unscored=True,
    )
    scores = pl.DataFrame(
        {
            "row_id": ["keep", "low_mean", "low_correctness", "unscored"],
            "judge_helpfulness": [4.0, 2.0, 5.0, None],
            "judge_correctness": [3.0, 3.0, 1.0, None],
        }
    ).with_columns(
        pl.mean_horizontal("judge_helpfulness", "judge_correctness").alias("judge_score"),
        pl.lit("gen-judge").alias("judge_generator_id"),
        pl.concat_list(pl.lit("call-a"), pl.lit("call-b")).alias("judge_call_ids"),
    )
    decisions = _floor_decisions(scores, config).sort("row_id")
    assert decisions["row_id"].to_list() == ["low_correctness", "low_mean", "unscored"]
    assert decisions["rule"].to_list() == [
        "judge.min_correctness",
        "judge.min_score",
        "judge.unscored",
    ]
    assert decisions["score"].to_list()[:2] == [1.0, 2.5]
    evidence = json.loads(decisions.filter(pl.col("row_id") == "low_mean")["evidence"][0])
    assert evidence["threshold"] == 3.0
    assert evidence["scores"] == {"judge_helpfulness": 2.0, "judge_correctness": 3.0}
    assert evidence["judge_generator_id"] == "gen-judge"
    assert evidence["judge_call_ids"] == ["call-a", "call-b"]


def test_filtered_rows_carry_judge_scores_and_the_judge_is_in_lineage(home, write_recipe):
    seeds = home / "seeds.jsonl"
    seeds.write_text("\n".join(json.dumps(s) for s in SEEDS) + "\n", encoding="utf-8")
    recipe = write_recipe(
        seed={"sources": [{"path": str(seeds)}]},
        synthesis={"methods": [{"method": "seed_passthrough"}]},
        filters={
            "judge": {
                "enabled": True,
                "generator": {"n_threads": 1},
                "criteria": ["helpfulness"],
                "sampling": {"temperature": 0.0, "max_tokens": 6},
                "min_score": 5.0,
            }
        },
        quality={"min_rows": {"seed": 1, "synthesized": 1, "filtered": 0, "decontaminated": 0}},
    )
    result = materialize(home, recipe, selection="*filtered")
    assert result.success
    wh = Warehouse(home)
    _, kept = read_version(wh, "filtered")
    with wh.reader() as con:
        decisions = con.sql(
            "SELECT row_id, rule, score, evidence FROM decisions "
            "WHERE corpus = 'filtered' AND rule LIKE 'judge.%'"
        ).pl()
        judges = con.sql(
            "SELECT generator_id, template_name, model FROM generators "
            "WHERE template_name = 'quality_judge'"
        ).pl()
        calls = con.sql("SELECT request_hash FROM model_calls WHERE status = 'ok'").pl()
    # Every graded row is either kept at or above the floor, or dropped below it.
    assert kept.height + decisions.height == len(SEEDS)
    assert (kept["judge_score"].drop_nulls() >= 5.0).all()
    assert all(score < 5.0 for score in decisions["score"].to_list())
    assert judges.height == 1 and judges["model"][0].endswith(".gguf")
    assert set(kept["judge_generator_id"].drop_nulls()) <= {judges["generator_id"][0]}
    judged_calls = {c for ids in kept["judge_call_ids"].drop_nulls() for c in ids}
    for evidence in decisions["evidence"]:
        found = json.loads(evidence)
        assert found["judge_generator_id"] == judges["generator_id"][0]
        judged_calls.update(found["judge_call_ids"])
    assert len(judged_calls) == len(SEEDS)
    assert judged_calls <= set(calls["request_hash"])
