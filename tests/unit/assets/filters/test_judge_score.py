"""Judge score floors: the first failed floor names the decision, with its evidence."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import polars as pl
import pytest

from assets.filters.judge_score import JudgeScoring, _floor_decisions
from assets.models.generators import OpenAICompatibleModel


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


def test_the_recipe_names_its_own_criteria_next_to_the_built_in_ones():
    from pydantic import ValidationError

    from assets.filters.judge_score import JudgeScoring

    config = JudgeScoring.model_validate(
        {
            "criteria": [
                "consistency",
                {"name": "cites_sources", "question": "does it name where its facts come from?"},
            ],
            "min_criterion": {"cites_sources": 3},
        }
    )
    assert config.criterion_names == ["consistency", "cites_sources"]
    assert config.rubric[0].question.startswith("does it never contradict itself")
    for bad, message in [
        ({"criteria": ["honesty"]}, "unknown judge criterion 'honesty'"),
        ({"criteria": ["clarity", "clarity"]}, "named twice: clarity"),
        ({"criteria": ["clarity"], "min_criterion": {"correctness": 3}}, "not judged: correctness"),
        ({"criteria": [{"name": "Bad Name", "question": "is it good?"}]}, "name"),
    ]:
        with pytest.raises(ValidationError, match=message):
            JudgeScoring.model_validate(bad)


def _scorers_bench():
    """bench/synthetic_quality/scorers.py, the judge measured on the defect set."""
    path = Path(__file__).resolve().parents[4] / "bench" / "synthetic_quality" / "scorers.py"
    spec = importlib.util.spec_from_file_location("scorers_bench", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_scorers_bench_takes_a_served_model_and_never_echoes_a_credential():
    bench = _scorers_bench()
    served = bench.generator_config(
        '{backend: openai, base_url: "http://127.0.0.1:8000/v1", model: judge-7b}'
    )
    assert isinstance(served, OpenAICompatibleModel) and served.model == "judge-7b"
    with pytest.raises(SystemExit) as leaked:
        bench.generator_config(
            '{backend: openai, base_url: "http://me:s3cret-token@judge.example/v1", model: m}'
        )
    assert "--generator: invalid generator" in str(leaked.value)
    assert "credentials" in str(leaked.value) and "s3cret-token" not in str(leaked.value)
    with pytest.raises(SystemExit, match=r"openai\.base_url: .*pattern"):
        bench.generator_config('{backend: openai, base_url: "file:///etc/passwd", model: m}')
    with pytest.raises(SystemExit, match="--generator: not valid YAML"):
        bench.generator_config("{backend: openai")
