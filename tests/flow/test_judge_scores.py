"""Judge scores in the filtered stage: columns on rows, floors as decisions, judge in lineage."""

from __future__ import annotations

import json

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
                "sampling": {"temperature": 0.0, "max_tokens": 12},
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
    # Held to {"score"}, the judge scores every row.
    assert kept["judge_score"].null_count() == 0 and (kept["judge_score"] >= 5.0).all()
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
