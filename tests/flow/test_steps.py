"""Row steps that call models (judge scores, decontamination detectors with embeddings and
the judge) give the same result whatever the batch size."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import polars as pl
import pytest

from assets.decontamination.benchmarks import humaneval_items
from assets.decontamination.detector import decontamination_steps
from assets.decontamination.embedding import EmbeddingDetector
from assets.decontamination.judge import JudgeConfig
from assets.decontamination.lexical import LexicalDetector
from assets.filters.judge_score import JudgeScores, JudgeScoring
from assets.recipe.sections import DecontaminationConfig
from assets.registry import DETECTORS
from assets.run_context import RunContext
from assets.steps import RowStep
from assets.stream import run_steps
from assets.synthesis.context import SynthesisContext
from tests.unit.assets.test_steps import check_batch_invariance, sample
from warehouse import Warehouse
from warehouse.rows import conform


@pytest.fixture
def ctx(home: Path) -> SynthesisContext:
    return SynthesisContext(
        wh=Warehouse(home), run_id="test", created_at=datetime(2026, 1, 1), random_seed=0
    )


def test_model_row_steps_are_the_same_whole_and_in_batches(ctx):
    # Judge scores (one criterion, a few rows: real SmolLM2 calls, cached for the second run)
    # and every decontamination detector, on rows with a benchmark copy and a rephrasing.
    rows = sample().filter(pl.col("kind") == "instruction").head(6)
    judge = JudgeScoring(
        enabled=True,
        generator={"n_threads": 1},
        criteria=["helpfulness"],
        sampling={"temperature": 0.0, "max_tokens": 8},
        min_score=3.0,
    )
    run = RunContext(ctx)
    assert check_batch_invariance(rows, lambda: JudgeScores.from_config(judge, run)) == ["judge"]
    scored = run_steps(rows, JudgeScores.from_config(judge, run), stage="filtered")
    assert "judge_score" in scored.rows.columns and scored.stats["judge"]["graded_rows"] > 0

    humaneval = humaneval_items()
    items = humaneval.filter(pl.col("item_id").is_in(["HumanEval/13", "HumanEval/23"]))
    planted = conform(
        pl.DataFrame(
            {
                "row_id": ["copy", "rephrased"],
                "kind": ["instruction", "instruction"],
                "instruction": [
                    items["text"][0],
                    "Write string_length(s) returning the length of the given string s; the "
                    "empty string has length 0.",
                ],
                "response": ["ok", "ok"],
            }
        )
    )
    corpus = pl.concat([planted, sample().filter(pl.col("kind") == "instruction").head(4)])
    config = DecontaminationConfig(
        embedding=EmbeddingDetector(),
        lexical=LexicalDetector(),
        judge=JudgeConfig(candidate_threshold=0.05, sampling={"temperature": 0.0, "max_tokens": 3}),
        rule="ngram or embedding or lexical or judge",
    )
    detection = RunContext(ctx, items)
    checked = check_batch_invariance(corpus, lambda: decontamination_steps(config, detection))
    row_detectors = [e.name for e in DETECTORS.built_in() if issubclass(e, RowStep)]
    assert checked == [*row_detectors, "benchmark_contamination"]
    decided = run_steps(corpus, decontamination_steps(config, detection), stage="decontaminated")
    assert {"copy", "rephrased"} <= set(decided.decisions["row_id"])
    assert decided.rows.columns == corpus.columns
