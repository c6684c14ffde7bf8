"""The reward scorer with a real CrossEncoder folder on disk (the packaged all-MiniLM-L6-v2
encoder with a one-output head, seeded: its scores mean nothing, its plumbing is real): a
`reward_score` column, the floor's decisions, the warehouse cache on a re-run, and a clear
error for a path that holds no model."""

from __future__ import annotations

import json

import polars as pl
import pytest

from assets.filters.reward_score import RewardModelError, RewardScores, RewardScoring
from tests.defect_set import defect_rows, without_labels
from warehouse import Warehouse

pytestmark = pytest.mark.flow


def test_rows_get_a_reward_score_and_the_floor_drops_with_evidence(cross_encoder, home):
    rows = without_labels(defect_rows(split="tune").head(40))
    wh = Warehouse(home)
    scorer = RewardScores(RewardScoring(enabled=True, model_path=str(cross_encoder)), wh)
    first = scorer.apply(rows)
    scored = first.rows.select("row_id", "reward_score")
    assert scored["reward_score"].null_count() == 0
    median = float(scored["reward_score"].median())

    floored = RewardScores(
        RewardScoring(enabled=True, model_path=str(cross_encoder), min_score=median), wh
    )
    out = floored.apply(rows)
    below = scored.filter(pl.col("reward_score") < median)["row_id"].to_list()
    assert sorted(out.decisions["row_id"].to_list()) == sorted(below)
    assert set(out.decisions["rule"]) == {"reward.min_score"}
    evidence = json.loads(out.decisions["evidence"][0])
    assert evidence["min_score"] == median and evidence["reward_score"] < median
    # Every pair was scored by the first run: the second read them all from the cache.
    assert floored.stats()["reward"]["new_scores"] == 0
    assert floored.stats()["reward"]["cached_scores"] == rows.height


def test_a_path_without_a_model_is_a_clear_error(tmp_path):
    scorer = RewardScores(RewardScoring(enabled=True, model_path=str(tmp_path)))
    rows = without_labels(defect_rows(split="tune").head(2))
    with pytest.raises(RewardModelError, match="no model folder there"):
        scorer.apply(rows)
    with pytest.raises(ValueError, match="needs `model_path`"):
        RewardScoring(enabled=True)
