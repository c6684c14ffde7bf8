"""`generator_yield` and `generator_drops` count rows, not decisions, over the current versions,
and list every generator that ran, kept rows or not."""

from __future__ import annotations

import json

import polars as pl
import pytest

from warehouse import Warehouse
from warehouse.corpora import ParentVersion, decide_version, stage_version
from warehouse.lineage import CALL_COLUMNS, GeneratorRecord, log_calls, register_generators
from warehouse.rows import DECISION_SCHEMA, conform

KEEPER = GeneratorRecord(backend="local", model="m", template_name="keeper")
LOSER = GeneratorRecord(backend="local", model="m", template_name="loser")
ECHO = GeneratorRecord(backend="local", model="m", template_name="echo")


def _rows(*specs: tuple[str, GeneratorRecord, str]) -> pl.DataFrame:
    return conform(
        pl.DataFrame(
            [
                {
                    "row_id": row_id,
                    "kind": "instruction",
                    "instruction": row_id,
                    "response": "r",
                    "generator_id": g.generator_id,
                    "method": method,
                }
                for row_id, g, method in specs
            ]
        )
    )


def _decisions(*specs: tuple[str, str, str, str, dict]) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                "row_id": row_id,
                "stage": stage,
                "rule": rule,
                "action": action,
                "score": None,
                "evidence": json.dumps(evidence),
            }
            for row_id, stage, rule, action, evidence in specs
        ],
        schema=DECISION_SCHEMA,
    )


def _calls(*specs: tuple[str, GeneratorRecord]) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {column: None for column in CALL_COLUMNS}
            | {"request_hash": call, "generator_id": g.generator_id, "status": "ok"}
            for call, g in specs
        ],
        schema_overrides={
            "sample_index": pl.Int32,
            "prompt_tokens": pl.Int32,
            "completion_tokens": pl.Int32,
            "latency_ms": pl.Float64,
        },
    )


def _one_run(wh: Warehouse) -> None:
    """A run's three versions: keeper makes 3 rows and 1 rejected candidate (two rules), loser
    makes only rejected candidates, echo only a repeat of a keeper row."""
    kept_rows = _rows(("r1", KEEPER, "keep"), ("r2", KEEPER, "keep"), ("r3", KEEPER, "keep"))
    synthesized = stage_version(
        wh,
        "synthesized",
        kept_rows,
        decisions=_decisions(
            ("c" * 32, "synthesized", "empty_output", "drop", {"call_id": "c" * 64}),
            ("c" * 32, "synthesized", "rouge_l_similar", "drop", {"call_id": "c" * 64}),
            ("a" * 32, "synthesized", "refusal", "drop", {"call_id": "a" * 64}),
            ("b" * 32, "synthesized", "refusal", "drop", {"call_id": "b" * 64}),
            (
                "d" * 32,
                "synthesized",
                "too_few_scored_responses",
                "drop",
                {"scored_call_ids": ["d" * 64]},
            ),
            (
                "r2",
                "synthesized",
                "identical_row",
                "merge",
                {
                    "method": "echo",
                    "generator_id": ECHO.generator_id,
                    "kept_method": "keep",
                    "kept_generator_id": KEEPER.generator_id,
                },
            ),
        ),
    )
    decide_version(wh, "synthesized", synthesized, promote=True, check_results={})
    filtered = stage_version(
        wh,
        "filtered",
        kept_rows.filter(pl.col("row_id") == "r1"),
        decisions=_decisions(
            ("r2", "filtered", "min_response_chars", "drop", {}),
            ("r2", "filtered", "refusal", "drop", {}),
            ("r3", "filtered", "refusal", "drop", {}),
            ("r1", "filtered", "pii.email", "redact", {}),
        ),
        parents=[ParentVersion("synthesized", synthesized)],
    )
    decide_version(wh, "filtered", filtered, promote=True, check_results={})
    decontaminated = stage_version(
        wh,
        "decontaminated",
        kept_rows.filter(pl.col("row_id") == "r1"),
        parents=[ParentVersion("filtered", filtered)],
    )
    decide_version(wh, "decontaminated", decontaminated, promote=True, check_results={})


@pytest.fixture(scope="module")
def wh(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    warehouse = Warehouse(tmp_path_factory.mktemp("yield") / "home")
    register_generators(warehouse, [KEEPER, LOSER, ECHO])
    log_calls(
        warehouse,
        _calls(("c" * 64, KEEPER), ("a" * 64, LOSER), ("b" * 64, LOSER), ("d" * 64, LOSER)),
    )
    _one_run(warehouse)
    # A second run of the same: the views read the current versions, so nothing doubles.
    _one_run(warehouse)
    return warehouse


def _query(wh: Warehouse, query: str) -> pl.DataFrame:
    with wh.reader() as con:
        return con.sql(query).pl()


def test_yield_counts_rows_for_every_generator_that_ran(wh):
    yields = {
        row["template_name"]: row
        for row in _query(wh, "SELECT * FROM generator_yield").iter_rows(named=True)
    }
    assert set(yields) == {"keeper", "loser", "echo"}
    keeper = yields["keeper"]
    # r2 was dropped by two rules: one row; the rejected candidate c failed two rules: one.
    assert {
        k: keeper[k]
        for k in (
            "generated",
            "dropped_synthesized",
            "merged",
            "synthesized",
            "dropped_filtered",
            "dropped_decontaminated",
            "kept",
        )
    } == {
        "generated": 4,
        "dropped_synthesized": 1,
        "merged": 0,
        "synthesized": 3,
        "dropped_filtered": 2,
        "dropped_decontaminated": 0,
        "kept": 1,
    }
    assert keeper["method"] == "keep" and keeper["yield"] == 0.25
    assert keeper["top_drop_reasons"] == [
        "filtered.refusal (2)",
        "filtered.min_response_chars (1)",
        "synthesized.empty_output (1)",
    ]
    loser = yields["loser"]
    assert (loser["generated"], loser["dropped_synthesized"], loser["kept"]) == (3, 3, 0)
    assert loser["yield"] == 0.0
    assert loser["top_drop_reasons"][0] == "synthesized.refusal (2)"
    echo = yields["echo"]
    assert (echo["method"], echo["generated"], echo["merged"], echo["kept"]) == ("echo", 1, 1, 0)


def test_drops_count_each_row_once_per_rule(wh):
    drops = _query(
        wh,
        "SELECT template_name, stage, rule, action, dropped, decisions FROM generator_drops "
        "JOIN generators USING (generator_id) ORDER BY ALL",
    )
    assert drops.rows() == [
        ("echo", "synthesized", "identical_row", "merge", 1, 1),
        ("keeper", "filtered", "min_response_chars", "drop", 1, 1),
        ("keeper", "filtered", "refusal", "drop", 2, 2),
        ("keeper", "synthesized", "empty_output", "drop", 1, 1),
        ("keeper", "synthesized", "rouge_l_similar", "drop", 1, 1),
        ("loser", "synthesized", "refusal", "drop", 2, 2),
        ("loser", "synthesized", "too_few_scored_responses", "drop", 1, 1),
    ]
