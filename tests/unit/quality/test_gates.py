"""Distribution gates evaluated on figures: verified share, language share, judge score."""

from __future__ import annotations

import polars as pl

from quality.gates import QualityConfig
from quality.suites import Outcome, gate_expectations, validate


def _evaluate(quality: QualityConfig, distribution: dict) -> dict[str, Outcome]:
    suite = gate_expectations("filtered", quality, distribution, None, allowed_languages=["en"])
    outcomes: dict[str, Outcome] = {}
    validate(
        pl.DataFrame({k: [v] for k, v in suite.figures.items()}),
        suite.expectations,
        outcomes,
        5,
        "gates",
        gates=suite.gates,
    )
    return {o.column: o for o in outcomes.values()}, suite.notes


def test_verified_language_and_judge_score_gates():
    distribution = {
        "row_count": 100,
        "p50_chars": 120.0,
        "p95_chars": 900.0,
        "verifiable_rows": 10,
        "verified_share": 0.9,
        "allowed_language_share": 0.8,
        "has_lang": True,
        "has_judge_score": True,
        "judge_mean": 6.5,
        "judge_min": 2.0,
        "duplicate_rate": 0.0,
    }
    quality = QualityConfig(gates={"judge_score": {"min_mean": 7.0, "min_value": 1.0}})
    outcomes, notes = _evaluate(quality, distribution)
    assert not outcomes["verified_share"].success
    assert outcomes["verified_share"].severity == "blocking"
    assert not outcomes["allowed_language_share"].success
    assert not outcomes["judge_mean"].success and outcomes["judge_mean"].severity == "warning"
    assert outcomes["judge_min"].success
    assert outcomes["p95_chars"].success
    assert notes == ["drift: skipped, no previous promoted version"]

    no_judge = {**distribution, "has_judge_score": False, "judge_mean": None, "judge_min": None}
    outcomes, notes = _evaluate(quality, no_judge)
    assert "judge_mean" not in outcomes
    assert "judge_score: skipped, no judge_score column" in notes


def test_the_reward_score_gate_floors_the_reward_model_scores():
    distribution = {
        "row_count": 100,
        "p50_chars": 120.0,
        "p95_chars": 900.0,
        "verifiable_rows": 0,
        "verified_share": None,
        "allowed_language_share": 1.0,
        "has_lang": True,
        "has_judge_score": False,
        "has_reward_score": True,
        "reward_mean": -0.4,
        "reward_min": -3.0,
        "duplicate_rate": 0.0,
    }
    quality = QualityConfig(gates={"reward_score": {"min_mean": 0.0, "severity": "blocking"}})
    outcomes, _ = _evaluate(quality, distribution)
    assert not outcomes["reward_mean"].success and outcomes["reward_mean"].severity == "blocking"
    outcomes, notes = _evaluate(quality, {**distribution, "has_reward_score": False})
    assert "reward_mean" not in outcomes
    assert "reward_score: skipped, no reward_score column" in notes
