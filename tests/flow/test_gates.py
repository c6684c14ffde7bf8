"""Distribution gates: a warning gate promotes with a WARN check, the same gate set to blocking
rejects; drift against the previous promoted version; Data Docs for every validated version."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from tests.conftest import DATA_DOCS, materialize
from warehouse import Warehouse
from warehouse.corpora import current_version, list_versions

SEED_AND_SYNTHESIZED = "key:seed or key:synthesized"
MIN_ROWS = {"seed": 1, "synthesized": 1, "filtered": 1, "decontaminated": 1}


def _check(result, corpus: str) -> dg.AssetCheckEvaluation:
    return next(
        e for e in result.get_asset_check_evaluations() if e.asset_key.to_user_string() == corpus
    )


def _length_gate(severity: str) -> dict:
    return {
        **DATA_DOCS,
        "min_rows": MIN_ROWS,
        "gates": {"length": {"severity": severity, "corpora": ["synthesized"], "p95_max": 10}},
    }


def test_warning_gate_promotes_with_warn_and_blocking_gate_rejects(home, write_recipe):
    warn = materialize(
        home, write_recipe("warn", quality=_length_gate("warning")), SEED_AND_SYNTHESIZED
    )
    assert warn.success
    check = _check(warn, "synthesized")
    assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN
    warnings = check.metadata["warnings"].value
    assert [(w["gate"], w["column"]) for w in warnings] == [("length", "p95_chars")]
    assert check.metadata["failed_expectations"].value == []
    # A check that passes reports no warning: WARN marks only the failed warning gate.
    seed_check = _check(warn, "seed")
    assert seed_check.passed and seed_check.severity != dg.AssetCheckSeverity.WARN
    wh = Warehouse(home)
    assert current_version(wh, "synthesized") == 1

    # Data Docs: an index and GE-rendered pages per validated version, linked from the check.
    docs = Path(check.metadata["data_docs"].value)
    assert docs == home / "data_docs" / "synthesized" / "v1" / "index.html"
    index = docs.read_text()
    assert "passed with 1 warning(s)" in index and "drift: skipped" in index
    gates_page = (docs.parent / "gates.html").read_text()
    assert "expect_column_values_to_be_between" in gates_page or "p95_chars" in gates_page
    assert (docs.parent / "rows.html").stat().st_size > 1000
    assert (home / "data_docs" / "seed" / "v1" / "index.html").exists()
    assert (
        "judge_score: skipped, no judge_score column" not in check.metadata["skipped_gates"].value
    )  # the judge gate's default corpora are filtered and decontaminated

    block = materialize(
        home, write_recipe("block", quality=_length_gate("blocking")), SEED_AND_SYNTHESIZED
    )
    assert not block.success
    check = _check(block, "synthesized")
    assert not check.passed and check.severity == dg.AssetCheckSeverity.ERROR
    assert [f["gate"] for f in check.metadata["failed_expectations"].value] == ["length"]
    assert list_versions(wh, "synthesized").select("version", "status").rows() == [
        (1, "promoted"),
        (2, "rejected"),
    ]
    assert current_version(wh, "synthesized") == 1
    assert (home / "data_docs" / "synthesized" / "v2" / "index.html").exists()


def test_drift_gate_compares_with_the_previous_promoted_version(home, write_recipe):
    quality = {"min_rows": MIN_ROWS, "gates": {"drift": {"severity": "blocking"}}}
    first = materialize(home, write_recipe("first", quality=quality), SEED_AND_SYNTHESIZED)
    assert first.success
    assert (
        "drift: skipped, no previous promoted version"
        in _check(first, "synthesized").metadata["skipped_gates"].value
    )

    # Only the coding seeds pass through: far fewer rows than the promoted version.
    shrunk = write_recipe(
        "shrunk",
        quality=quality,
        synthesis={"methods": [{"method": "seed_passthrough", "task_types": ["coding"]}]},
    )
    result = materialize(home, shrunk, SEED_AND_SYNTHESIZED)
    assert not result.success
    check = _check(result, "synthesized")
    failed = {f["column"]: f for f in check.metadata["failed_expectations"].value}
    assert set(failed) == {"row_ratio"} and failed["row_ratio"]["gate"] == "drift"
    figures = check.metadata["gate_figures"].value
    previous = list_versions(Warehouse(home), "synthesized")["row_count"][0]
    assert figures["row_ratio"] == figures["row_count"] / previous < 0.5
    assert current_version(Warehouse(home), "synthesized") == 1
