"""Lineage integrity: rows whose seed ids are not in the parent seed version fail the gate,
named by row id."""

from __future__ import annotations

from warehouse import Warehouse
from warehouse.corpora import now


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


def test_a_row_made_from_no_seed_passes_only_with_its_generators_calls(tmp_path):
    """Magpie rows have no seed row: their model calls are their lineage. A row with neither
    seed ids nor calls still fails, named by row id."""
    import polars as pl

    from assets.recipe.loader import load_recipe
    from quality.gate import audit
    from warehouse.corpora import stage_version
    from warehouse.rows import conform, with_row_ids

    wh = Warehouse(tmp_path)
    recipe = load_recipe("bundled:demo_recipe.yaml", tmp_path)
    made = with_row_ids(
        conform(pl.DataFrame({"kind": ["instruction"] * 2, "instruction": ["Drawn.", "Nowhere."]}))
    ).with_columns(
        pl.Series("seed_ids", [[], []], dtype=pl.List(pl.String)),
        pl.Series("call_ids", [["c" * 64, "d" * 64], []], dtype=pl.List(pl.String)),
        pl.lit("gen-x").alias("generator_id"),
        pl.lit("magpie").alias("method"),
        pl.lit("r").alias("run_id"),
        pl.lit(now()).alias("created_at"),
    )
    version = stage_version(wh, "synthesized", made, run_id="r")
    report = audit(wh, "synthesized", version, recipe.gate_policy())
    failures = {(o.expectation, o.column): o for o in report.failures}
    nowhere = made.filter(pl.col("instruction") == "Nowhere.")["row_id"].item()
    roots = failures[("expect_column_values_to_be_between", "lineage_roots")]
    assert roots.sample_row_ids == [nowhere]
