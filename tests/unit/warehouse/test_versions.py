"""Warehouse contracts: in-place migration, immutable versions readable by number, retention."""

from __future__ import annotations

from datetime import timedelta

import duckdb
import polars as pl
import pytest

from warehouse import ParentVersion, Warehouse
from warehouse.corpora import decide_version, list_versions, now, prune, read_version, stage_version
from warehouse.migrations import latest_schema_version, migrations
from warehouse.rows import conform, with_row_ids


def _rows(*texts: str) -> pl.DataFrame:
    frame = conform(
        pl.DataFrame(
            {
                "kind": ["instruction"] * len(texts),
                "instruction": list(texts),
                "response": ["ok"] * len(texts),
            }
        )
    )
    return with_row_ids(frame).with_columns(
        pl.concat_list("row_id").alias("seed_ids"), pl.lit(now()).alias("created_at")
    )


def test_older_warehouse_is_upgraded_in_place_without_losing_data(tmp_path):
    wh = Warehouse(tmp_path)
    tmp_path.mkdir(exist_ok=True)
    number, name, first_sql = migrations()[0]
    con = duckdb.connect(str(wh.path))
    con.execute(
        "CREATE TABLE schema_version (version INTEGER NOT NULL, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)"
    )
    con.execute(first_sql)
    con.execute("INSERT INTO schema_version VALUES (?, ?, now())", [number, name])
    con.execute(
        "INSERT INTO corpus_versions (corpus, version, status, row_count, created_at) VALUES ('seed', 1, 'promoted', 1, now())"
    )
    con.execute(
        "INSERT INTO corpus_seed (version, row_id, kind, instruction) VALUES (1, 'abc', 'instruction', 'kept')"
    )
    con.close()

    _, rows = read_version(wh, "seed")
    assert rows["instruction"].to_list() == ["kept"]
    with wh.reader() as reader:
        assert (
            reader.sql("SELECT max(version) FROM schema_version").fetchall()[0][0]
            == latest_schema_version()
        )
        assert reader.sql("SELECT instruction FROM seed").fetchall() == [("kept",)]


def test_versions_are_immutable_and_readable_by_number(tmp_path):
    wh = Warehouse(tmp_path)
    v1 = stage_version(wh, "seed", _rows("first"), run_id="r1")
    decide_version(wh, "seed", v1, promote=True, check_results={})
    v2 = stage_version(
        wh,
        "seed",
        _rows("second", "third").with_columns(pl.lit(0.5).alias("judge_score")),
        run_id="r2",
    )
    decide_version(wh, "seed", v2, promote=True, check_results={})

    assert read_version(wh, "seed", 1)[1]["instruction"].to_list() == ["first"]
    current_number, current = read_version(wh, "seed")
    assert current_number == 2 and sorted(current["instruction"]) == ["second", "third"]
    # The new column evolved the table; the old version reads it as null.
    assert read_version(wh, "seed", 1)[1]["judge_score"].to_list() == [None]
    with pytest.raises(ValueError, match="not a staged version"):
        decide_version(wh, "seed", 1, promote=False, check_results={})


def test_retention_keeps_current_recent_and_referenced_versions(tmp_path):
    wh = Warehouse(tmp_path)
    seed_v1 = stage_version(wh, "seed", _rows("a"), run_id="r")
    decide_version(wh, "seed", seed_v1, promote=True, check_results={})
    synth = stage_version(
        wh, "synthesized", _rows("a"), run_id="r", parents=[ParentVersion("seed", seed_v1)]
    )
    decide_version(wh, "synthesized", synth, promote=True, check_results={})
    for index in range(4):
        number = stage_version(wh, "seed", _rows(f"n{index}"), run_id="r")
        decide_version(wh, "seed", number, promote=index % 2 == 0, check_results={})

    pruned = prune(wh, "seed", keep_last=2, stale_staged_after=timedelta(hours=1))
    # v1 feeds the surviving synthesized v1; v4 (current) and v5 (rejected) are the newest two.
    assert pruned == [2, 3]
    status = dict(list_versions(wh, "seed").select("version", "status").rows())
    assert status == {1: "promoted", 2: "pruned", 3: "pruned", 4: "promoted", 5: "rejected"}
    assert read_version(wh, "seed", 1)[1]["instruction"].to_list() == ["a"]
    with pytest.raises(LookupError, match="pruned"):
        read_version(wh, "seed", 2)
