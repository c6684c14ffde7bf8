"""The recipe picks the engine; which steps the Spark engine keeps in this process."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from assets.decontamination.benchmarks import humaneval_items
from assets.decontamination.embedding import EmbeddingDetector, EmbeddingNearest
from assets.decontamination.ngram import NgramOverlap
from assets.dedup.exact import ExactDedup
from assets.engine import ExecutionConfig
from assets.filters.judge_score import JudgeScores, JudgeScoring
from assets.filters.pii import PiiConfig, PiiRedaction
from assets.recipe.loader import RecipeError, load_recipe, parse_recipe
from assets.spark_steps import engine_of, runs_on_driver
from assets.synthesis.context import SynthesisContext
from warehouse import Warehouse

RECIPE = (
    "name: x\nseed: {sources: [{path: a.jsonl}]}\n"
    "synthesis: {methods: [{method: seed_passthrough}]}\n"
)


def test_the_local_engine_leaves_the_recipe_hash_unchanged(tmp_path):
    demo = load_recipe("bundled:demo_recipe.yaml", tmp_path)
    assert demo.execution == ExecutionConfig()
    assert "execution" not in json.loads(demo.model_dump_json())
    on_spark = demo.model_copy(update={"execution": ExecutionConfig(engine="spark")})
    assert json.loads(on_spark.model_dump_json())["execution"]["engine"] == "spark"
    assert on_spark.sha256 != demo.sha256


def test_the_recipe_picks_the_engine_and_names_a_wrong_one():
    recipe = parse_recipe(
        RECIPE + "execution: {engine: spark, chunk_rows: 500}\nspark: {master: 'spark://h:7077'}\n",
        "r.yaml",
    )
    assert (recipe.execution.engine, recipe.execution.chunk_rows) == ("spark", 500)
    assert recipe.spark.master == "spark://h:7077"
    with pytest.raises(RecipeError, match="execution.engine: Input should be 'local' or 'spark'"):
        parse_recipe(RECIPE + "execution: {engine: flink}\n", "r.yaml")


def test_steps_that_hold_the_warehouse_or_submit_spark_jobs_stay_on_the_driver(tmp_path: Path):
    wh = Warehouse(tmp_path)
    ctx = SynthesisContext(wh=wh, run_id="t", created_at=datetime(2026, 1, 1), random_seed=0)
    items = humaneval_items()
    assert not runs_on_driver(PiiRedaction(PiiConfig()))
    assert not runs_on_driver(NgramOverlap(items))
    assert runs_on_driver(NgramOverlap(items, backend="spark"))
    assert runs_on_driver(JudgeScores(JudgeScoring(), ctx))
    assert runs_on_driver(ExactDedup())
    # The embedding detector holds the warehouse but ships a copy without it.
    detector = EmbeddingNearest(items, wh, EmbeddingDetector(enabled=True))
    assert not runs_on_driver(detector)
    assert [engine_of(s) for s in (detector, ExactDedup(), JudgeScores(JudgeScoring(), ctx))] == [
        "spark executors",
        "spark executors",
        "spark driver",
    ]
