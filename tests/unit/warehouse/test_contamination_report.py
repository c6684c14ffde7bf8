"""The contamination report has one definition (the `contamination_report` view): the HTML
report and the asset's metadata read a version's rows of it; detectors are read from each
decision's evidence, a plug-in's as well as the built-ins'."""

from __future__ import annotations

import json

import polars as pl

from tests.unit.warehouse.test_generator_yield import KEEPER, LOSER, _rows
from warehouse import Warehouse
from warehouse.corpora import ParentVersion, decide_version, stage_version
from warehouse.reports import contamination
from warehouse.rows import DECISION_SCHEMA


def _drop(row_id: str, item: str, detectors: list[str], similarity: float | None) -> dict:
    evidence = {
        "benchmark": "HumanEval",
        "item_id": item,
        "detectors": detectors,
        "embedding": {"similarity": similarity} if similarity is not None else None,
    }
    return {
        "row_id": row_id,
        "stage": "decontaminated",
        "rule": "benchmark_contamination",
        "action": "drop",
        "score": similarity,
        "evidence": json.dumps(evidence),
    }


def test_the_view_the_report_and_the_metadata_agree(tmp_path):
    wh = Warehouse(tmp_path / "home")
    rows = _rows(("r1", KEEPER, "keep"), ("r2", KEEPER, "keep"), ("r3", LOSER, "lose"))
    filtered = stage_version(wh, "filtered", rows)
    decide_version(wh, "filtered", filtered, promote=True, check_results={})
    decisions = pl.DataFrame(
        [
            _drop("r1", "HumanEval/1", ["ngram", "embedding"], 0.9),
            _drop("r2", "HumanEval/1", ["embedding", "my_detector"], 0.7),
            _drop("r3", "HumanEval/2", ["my_detector"], None),
        ],
        schema=DECISION_SCHEMA,
    )
    number = stage_version(
        wh,
        "decontaminated",
        rows.clear(),
        decisions=decisions,
        parents=[ParentVersion("filtered", filtered)],
    )
    # Staged, not yet promoted: the asset's metadata reads it before its checks decide.
    report = contamination(wh, number)
    assert report.columns[:5] == [
        "benchmark",
        "generator_id",
        "method",
        "contaminated_rows",
        "benchmark_items",
    ]
    by_generator = {r["generator_id"]: r for r in report.to_dicts()}
    keeper = by_generator[KEEPER.generator_id]
    assert (keeper["method"], keeper["contaminated_rows"], keeper["benchmark_items"]) == (
        "keep",
        2,
        1,
    )
    assert keeper["detectors"] == "embedding 2, my_detector 1, ngram 1"
    assert by_generator[LOSER.generator_id]["detectors"] == "my_detector 1"

    decide_version(wh, "decontaminated", number, promote=True, check_results={})
    with wh.reader() as con:
        view = con.sql(
            "SELECT generator_id, contaminated_rows, by_detector['my_detector'] AS mine, "
            "by_ngram, by_embedding, by_judge, max_similarity, is_current, status "
            "FROM contamination_report ORDER BY contaminated_rows DESC"
        ).fetchall()
    assert view == [
        (KEEPER.generator_id, 2, 1, 1, 2, 0, 0.9, True, "promoted"),
        (LOSER.generator_id, 1, 1, 0, 0, 0, None, True, "promoted"),
    ]
