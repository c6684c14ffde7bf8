"""`attribute_coverage`: per method, attribute and value of the current versions, target and
realized shares, candidates generated, rows lost per stage with reasons, kept and published;
configured values no row drew appear with zeros."""

from __future__ import annotations

import json

import polars as pl
import pytest

from warehouse import Warehouse
from warehouse.corpora import ParentVersion, decide_version, stage_version
from warehouse.lineage import CALL_COLUMNS, GeneratorRecord, log_calls, register_generators
from warehouse.rows import DECISION_SCHEMA, conform

TARGETS = {"easy": 0.5, "medium": 0.3, "hard": 0.2}
STEERED = GeneratorRecord(
    backend="local",
    model="m",
    template_name="steered",
    params={
        "attributes": {"level": {"sampler": "levels", "targets": TARGETS}, "n": {"sampler": "r"}}
    },
)
PLAIN = GeneratorRecord(backend="local", model="m", template_name="plain")


def _row(row_id: str, level: str | None, n: int = 1) -> dict:
    attributes = {"finish_reason": "stop"}
    if level is not None:
        attributes["sampled"] = {"level": level, "n": n}
    generator = STEERED if level is not None else PLAIN
    return {
        "row_id": row_id,
        "kind": "instruction",
        "instruction": row_id,
        "response": "r",
        "attributes": json.dumps(attributes),
        "generator_id": generator.generator_id,
        "method": "self_instruct" if level is not None else "plain",
    }


def _decision(row_id: str, stage: str, rule: str, evidence: dict) -> dict:
    return {
        "row_id": row_id,
        "stage": stage,
        "rule": rule,
        "action": "drop",
        "score": None,
        "evidence": json.dumps(evidence),
    }


@pytest.fixture(scope="module")
def wh(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    warehouse = Warehouse(tmp_path_factory.mktemp("coverage") / "home")
    register_generators(warehouse, [STEERED, PLAIN])
    log_calls(
        warehouse,
        pl.DataFrame(
            [
                {column: None for column in CALL_COLUMNS}
                | {"request_hash": "c" * 64, "generator_id": STEERED.generator_id, "status": "ok"}
            ],
            schema_overrides={
                "sample_index": pl.Int32,
                "prompt_tokens": pl.Int32,
                "completion_tokens": pl.Int32,
                "latency_ms": pl.Float64,
            },
        ),
    )
    rows = conform(
        pl.DataFrame(
            [
                _row("e1", "easy"),
                _row("e2", "easy", 2),
                _row("e3", "easy", 3),
                _row("m1", "medium"),
                _row("p1", None),
            ]
        )
    )
    for _ in range(2):  # a second run: the view reads the current versions, nothing doubles
        synthesized = stage_version(
            wh := warehouse,
            "synthesized",
            rows,
            decisions=pl.DataFrame(
                [
                    _decision(
                        "x" * 32,
                        "synthesized",
                        "rouge_l_similar",
                        {"call_id": "c" * 64, "sampled": {"level": "medium", "n": 1}},
                    )
                ],
                schema=DECISION_SCHEMA,
            ),
        )
        decide_version(wh, "synthesized", synthesized, promote=True, check_results={})
        kept = rows.filter(pl.col("row_id").is_in(["e1", "e2", "m1", "p1"]))
        filtered = stage_version(
            wh,
            "filtered",
            kept,
            decisions=pl.DataFrame(
                [
                    _decision("e3", "filtered", "refusal", {}),
                    _decision("e3", "filtered", "min_response_chars", {}),
                ],
                schema=DECISION_SCHEMA,
            ),
            parents=[ParentVersion("synthesized", synthesized)],
        )
        decide_version(wh, "filtered", filtered, promote=True, check_results={})
        decontaminated = stage_version(
            wh, "decontaminated", kept, parents=[ParentVersion("filtered", filtered)]
        )
        decide_version(wh, "decontaminated", decontaminated, promote=True, check_results={})
    return warehouse


def test_coverage_counts_each_value_through_the_stages(wh):
    with wh.reader() as con:
        frame = con.sql(
            "SELECT * FROM attribute_coverage WHERE attribute = 'level' ORDER BY value"
        ).pl()
    by_value = {row["value"]: row for row in frame.iter_rows(named=True)}
    assert set(by_value) == {"easy", "hard", "medium"}
    easy, hard, medium = by_value["easy"], by_value["hard"], by_value["medium"]
    assert (easy["target_share"], medium["target_share"], hard["target_share"]) == (0.5, 0.3, 0.2)
    assert (easy["generated"], easy["dropped_filtered"], easy["kept"]) == (3, 1, 2)
    assert easy["top_drop_reasons"] == ["filtered.min_response_chars (1)", "filtered.refusal (1)"]
    assert (medium["generated"], medium["dropped_synthesized"], medium["kept"]) == (2, 1, 1)
    assert medium["top_drop_reasons"] == ["synthesized.rouge_l_similar (1)"]
    # A configured value no row drew: its line, with zeros.
    assert (hard["generated"], hard["kept"], hard["realized_share"]) == (0, 0, 0.0)
    assert easy["realized_share"] == pytest.approx(2 / 3)
    assert all(row["method"] == "self_instruct" for row in frame.iter_rows(named=True))


def test_values_without_targets_are_counted_too(wh):
    with wh.reader() as con:
        frame = con.sql(
            "SELECT value, target_share, generated, kept FROM attribute_coverage "
            "WHERE attribute = 'n' ORDER BY value"
        ).pl()
    assert frame.to_dicts() == [
        {"value": "1", "target_share": None, "generated": 3, "kept": 2},
        {"value": "2", "target_share": None, "generated": 1, "kept": 1},
        {"value": "3", "target_share": None, "generated": 1, "kept": 0},
    ]
