"""The whole flow on the embedded offline default: lineage, accounting, caching, exports.

One run (base recipe, a self-instruct job on SmolLM2 and two seeds the filtered stage drops)
is shared by the tests of this module; the re-run test works on a copy of its home."""

from __future__ import annotations

import json

import duckdb
import polars as pl
import pytest
import yaml

from tests.conftest import (
    BASE_RECIPE,
    SELF_INSTRUCT,
    SharedRun,
    copy_home,
    home_env,
    materialize,
    recipe_dict,
)
from warehouse import Warehouse
from warehouse.corpora import read_version

STAGES = [("synthesized", "filtered"), ("filtered", "decontaminated")]


@pytest.fixture(scope="module")
def llm_flow(tmp_path_factory) -> SharedRun:
    """The base recipe plus a self-instruct job and BAD_SEEDS, materialized once."""
    home = tmp_path_factory.mktemp("flow") / "home"
    with home_env(home):
        bad = home / "bad_seeds.jsonl"
        bad.write_text("\n".join(json.dumps(row) for row in BAD_SEEDS) + "\n", encoding="utf-8")
        recipe = home / "recipe.yaml"
        recipe.write_text(
            yaml.safe_dump(
                recipe_dict(
                    seed={"sources": [*BASE_RECIPE["seed"]["sources"], {"path": str(bad)}]},
                    synthesis={"methods": [*BASE_RECIPE["synthesis"]["methods"], SELF_INSTRUCT]},
                ),
                sort_keys=False,
            ),
            encoding="utf-8",
        )
        result = materialize(home, recipe)
    assert result.success
    return SharedRun(home, recipe, result)


def _query(home, sql: str, params: list | None = None) -> pl.DataFrame:
    with Warehouse(home).reader() as con:
        return con.sql(sql, params=params or []).pl()


def test_full_flow_traces_every_row_and_accounts_for_every_drop(llm_flow):
    home, result = llm_flow.home, llm_flow.result
    assert all(e.passed for e in result.get_asset_check_evaluations())

    wh = Warehouse(home)
    _, decontaminated = read_version(wh, "decontaminated")
    assert decontaminated.height > 0
    lineage = _query(
        home,
        "SELECT row_id, count(seed_text) AS seeds, count(backend) AS generators "
        "FROM row_lineage WHERE corpus = 'decontaminated' GROUP BY row_id",
    )
    assert lineage.height == decontaminated.height
    assert lineage.filter((pl.col("seeds") < 1) | (pl.col("generators") < 1)).is_empty()

    # The LLM rows point at their logged model calls: prompt and raw output are replayable.
    llm_rows = _query(
        home, "SELECT row_id, call_ids FROM synthesized WHERE method = 'self_instruct'"
    )
    assert llm_rows.height > 0
    calls = _query(
        home, "SELECT request_hash, prompt, raw_output FROM model_calls WHERE status = 'ok'"
    )
    assert set(llm_rows.explode("call_ids")["call_ids"]) <= set(calls["request_hash"])

    for upstream, stage in STAGES:
        versions = _query(
            home,
            "SELECT v.corpus, v.version, v.row_count, v.parent_versions[1].version AS parent "
            "FROM corpus_versions v WHERE corpus = ?",
            [stage],
        ).row(0, named=True)
        rows_in = _query(
            home,
            "SELECT row_count FROM corpus_versions WHERE corpus = ? AND version = ?",
            [upstream, versions["parent"]],
        ).item()
        dropped = _query(
            home,
            "SELECT count(DISTINCT row_id) FROM decisions WHERE corpus = ? AND version = ? AND action = 'drop'",
            [stage, versions["version"]],
        ).item()
        assert rows_in == versions["row_count"] + dropped, stage

    yields = _query(home, "SELECT * FROM generator_yield")
    assert set(yields["method"]) == {"seed_passthrough", "programmatic_math", "self_instruct"}
    for row in yields.iter_rows(named=True):
        assert row["generated"] == (
            row["dropped_synthesized"]
            + row["merged"]
            + row["dropped_filtered"]
            + row["dropped_decontaminated"]
            + row["kept"]
        )
        assert row["published"] == row["kept"]
    assert yields["kept"].sum() == decontaminated.height

    manifest_path = home / "exports" / "decontaminated" / "v1" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    assert manifest["row_count"] == decontaminated.height
    assert {"corpus": "filtered", "version": 1} in manifest["built_from"]
    exported = pl.read_parquet(manifest_path.parent / "data.parquet")
    assert sorted(exported["row_id"]) == sorted(decontaminated["row_id"])


def test_rerun_reproduces_row_ids_from_the_call_cache(llm_flow, tmp_path):
    # The second run writes new versions: into a copy of the shared run's home.
    home = copy_home(llm_flow.home, tmp_path)
    recipe = home / llm_flow.recipe.name
    calls_after_first = _query(home, "SELECT count(*) FROM model_calls").item()
    assert calls_after_first > 0

    with home_env(home):
        second = materialize(home, recipe)
    assert second.success
    synthesized_meta = next(
        m.materialization.metadata
        for m in second.get_asset_materialization_events()
        if m.asset_key.to_user_string() == "synthesized"
    )
    assert synthesized_meta["model_calls"].value == 0
    assert synthesized_meta["cached_model_calls"].value == calls_after_first
    assert _query(home, "SELECT count(*) FROM model_calls").item() == calls_after_first

    wh = Warehouse(home)
    for corpus in ("synthesized", "decontaminated"):
        first_ids = read_version(wh, corpus, 1, columns=["row_id"])[1]["row_id"].to_list()
        second_ids = read_version(wh, corpus, 2, columns=["row_id"])[1]["row_id"].to_list()
        assert first_ids == second_ids


# Seeds the filtered stage drops: the first by two rules of one step (Gopher's symbol-to-word
# ratio and ellipsis lines), the second by one (a refusal).
TIDES = [
    "Tides rise when the moon pulls ocean water toward it",
    "Sunlight warms the surface while deeper layers stay cold",
    "Coastal towns notice two high waters almost every day",
    "Spring tides happen when sun and moon line up",
    "Neap tides arrive when they pull at right angles",
    "Harbour pilots read printed tables before guiding large ships",
    "Wide shallow bays can amplify the range quite dramatically",
    "Some enclosed seas barely show any change at all",
    "Fishermen plan early departures around the falling water",
    "Sandbars appear briefly and vanish again within hours",
    "Engineers once built mills that turned with the flow",
    "Modern turbines capture similar energy beneath busy estuaries",
]
BAD_SEEDS = [
    {
        "instruction": "Explain how tides work, in a few lines.",
        "response": "\n".join(line + "…" for line in TIDES),
    },
    {"instruction": "List three prime numbers below twenty.", "response": "As an AI, I won't."},
]


def test_warehouse_is_a_plain_duckdb_file_and_yield_counts_rows(llm_flow):
    home = llm_flow.home
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        current = dict(con.sql("SELECT corpus, version FROM current_versions").fetchall())
        assert current == {"seed": 1, "synthesized": 1, "filtered": 1, "decontaminated": 1}
        assert con.sql("SELECT count(*) FROM seed").fetchall()[0][0] > 0
        twice = con.sql(
            "SELECT d.row_id, list(d.rule ORDER BY d.rule) FROM current_decisions AS d "
            "JOIN synthesized AS s USING (row_id) WHERE s.instruction = ? GROUP BY ALL",
            params=[BAD_SEEDS[0]["instruction"]],
        ).fetchall()
        assert [rules for _, rules in twice] == [
            ["gopher_quality.ellipsis_lines", "gopher_quality.symbol_word_ratio"]
        ]
        # Rows each generator lost in filtering, counted here from the tables themselves.
        lost = dict(
            con.sql(
                "SELECT s.generator_id, count(DISTINCT d.row_id) FROM current_decisions AS d "
                "JOIN synthesized AS s USING (row_id) "
                "WHERE d.corpus = 'filtered' AND d.action = 'drop' GROUP BY ALL"
            ).fetchall()
        )
        yields = con.sql("SELECT * FROM generator_yield").pl()
        decisions = dict(
            con.sql(
                "SELECT generator_id, sum(decisions) FROM generator_drops "
                "WHERE stage = 'filtered' GROUP BY ALL"
            ).fetchall()
        )
    finally:
        con.close()
    assert set(yields["method"]) == {"seed_passthrough", "programmatic_math", "self_instruct"}
    for row in yields.iter_rows(named=True):
        assert row["dropped_filtered"] == lost.get(row["generator_id"], 0)
        if row["method"] == "self_instruct":
            continue  # its candidates can also be screened out in synthesis (test above)
        assert (
            row["generated"]
            == row["synthesized"]
            == (row["dropped_filtered"] + row["dropped_decontaminated"] + row["kept"])
        )
    passthrough = yields.filter(pl.col("method") == "seed_passthrough").row(0, named=True)
    assert decisions[passthrough["generator_id"]] > passthrough["dropped_filtered"] >= 2
    assert "filtered.refusal" in " ".join(passthrough["top_drop_reasons"])
