"""A version that fails a blocking expectation is rejected; the previous one stays current."""

from __future__ import annotations

import json

import yaml

from tests.conftest import PUBLISHED_RECIPE, copy_home, home_env, materialize
from warehouse import Warehouse
from warehouse.corpora import current_version, list_versions


def _checks(result) -> dict:
    return {e.asset_key.to_user_string(): e for e in result.get_asset_check_evaluations()}


def test_failed_expectation_rejects_version_and_stops_downstream(base_flow, tmp_path):
    # The session's promoted base flow (copied: this test adds versions), then the same
    # recipe with a gate no synthesized version can pass.
    home = copy_home(base_flow.home, tmp_path)
    quality = {**PUBLISHED_RECIPE["quality"], "min_rows": {"synthesized": 1_000_000}}
    strict = home / "strict.yaml"
    strict.write_text(yaml.safe_dump({**PUBLISHED_RECIPE, "quality": quality}), encoding="utf-8")
    with home_env(home):
        result = materialize(home, strict)
    assert not result.success
    checks = _checks(result)
    assert checks["seed"].passed
    assert not checks["synthesized"].passed
    failed = checks["synthesized"].metadata["failed_expectations"].value
    assert [f["expectation"] for f in failed] == ["expect_column_values_to_be_between"]
    assert failed[0]["column"] == "row_count"

    materialized = {m.asset_key.to_user_string() for m in result.get_asset_materialization_events()}
    assert materialized == {"seed", "synthesized"}

    wh = Warehouse(home)
    versions = list_versions(wh, "synthesized").select("version", "status").rows()
    assert versions == [(1, "promoted"), (2, "rejected")]
    assert current_version(wh, "synthesized") == 1
    assert current_version(wh, "filtered") == 1
    with wh.reader() as con:
        stored = con.sql(
            "SELECT check_results FROM corpus_versions WHERE corpus = 'synthesized' AND version = 2"
        ).fetchall()[0][0]
    assert json.loads(stored)["passed"] is False


def test_failing_rows_are_named_by_row_id(home, write_recipe):
    recipe = write_recipe(quality={"max_text_chars": 60})
    result = materialize(home, recipe, selection="seed")
    check = _checks(result)["seed"]
    assert not check.passed
    failures = {f["column"]: f for f in check.metadata["failed_expectations"].value}
    assert failures["instruction"]["expectation"] == "expect_column_value_lengths_to_be_between"
    samples = failures["instruction"]["sample_row_ids"]
    assert samples and all(len(row_id) == 32 for row_id in samples)
    with Warehouse(home).reader() as con:
        long_ones = {
            r[0]
            for r in con.sql(
                "SELECT row_id FROM corpus_seed WHERE length(instruction) > 60"
            ).fetchall()
        }
    assert set(samples) <= long_ones
    assert current_version(Warehouse(home), "seed") is None
