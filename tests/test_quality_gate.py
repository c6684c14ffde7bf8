"""A version that fails a blocking expectation is rejected; the previous one stays current."""

from __future__ import annotations

import json

from tests.conftest import materialize
from warehouse import Warehouse
from warehouse.corpora import current_version, list_versions, now


def _checks(result) -> dict:
    return {e.asset_key.to_user_string(): e for e in result.get_asset_check_evaluations()}


def test_failed_expectation_rejects_version_and_stops_downstream(home, write_recipe):
    assert materialize(home, write_recipe()).success

    strict = write_recipe("strict", quality={"min_rows": {"synthesized": 1_000_000}})
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


def test_rows_whose_seed_ids_are_not_in_the_parent_seed_version_fail_lineage_integrity(tmp_path):
    import polars as pl

    from assets.recipe.loader import load_recipe
    from quality.gate import audit
    from warehouse import ParentVersion
    from warehouse.corpora import stage_version
    from warehouse.rows import conform, with_row_ids

    wh = Warehouse(tmp_path)
    recipe = load_recipe("bundled:demo_recipe.yaml", tmp_path)
    seeds = with_row_ids(
        conform(
            pl.DataFrame(
                {"kind": ["instruction"], "instruction": ["Seed task."], "response": ["ok"]}
            )
        )
    ).with_columns(
        pl.concat_list("row_id").alias("seed_ids"),
        pl.lit("gen-seed").alias("generator_id"),
        pl.lit("seed").alias("method"),
        pl.lit("r").alias("run_id"),
        pl.lit(now()).alias("created_at"),
    )
    seed_version = stage_version(wh, "seed", seeds, run_id="r")
    made = with_row_ids(
        conform(
            pl.DataFrame(
                {
                    "kind": ["instruction"] * 2,
                    "instruction": ["Good.", "Orphan."],
                    "response": ["a", "b"],
                }
            )
        )
    ).with_columns(
        pl.Series("seed_ids", [[seeds["row_id"].item()], ["f" * 32]]),
        pl.lit("gen-x").alias("generator_id"),
        pl.lit("self_instruct").alias("method"),
        pl.lit("r").alias("run_id"),
        pl.lit(now()).alias("created_at"),
    )
    version = stage_version(
        wh, "synthesized", made, run_id="r", parents=[ParentVersion("seed", seed_version)]
    )

    report = audit(wh, "synthesized", version, recipe.gate_policy())
    failures = {(o.expectation, o.column): o for o in report.failures}
    orphan = made.filter(pl.col("instruction") == "Orphan.")["row_id"].item()
    lineage = failures[("expect_column_values_to_be_between", "unresolved_seed_ids")]
    assert lineage.sample_row_ids == [orphan]
    assert failures[("expect_column_values_to_be_between", "row_count")].observed == [2]
