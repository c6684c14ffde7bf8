"""The coverage and diversity gates on stored versions: collapsed versions (a few
instructions repeated with small edits, one template filled with different nouns) are
rejected and sound ones (the demo's seeds, re-sampled) pass, with their figures in the
report; a version off its attribute targets, or missing a targeted value, fails coverage.

Embeddings here are hashed bags of words and bigrams stored in the warehouse's embedding
cache, standing in for the sentence model's: the gate reads whatever vectors the cache has."""

from __future__ import annotations

import hashlib
import json
import random
import re
from datetime import datetime

import numpy as np
import polars as pl
import pytest

from assets.paths import bundled_path
from quality.attribute_gates import diversity_figures
from quality.diversity import row_texts
from quality.gate import GatePolicy, audit, gate_run
from quality.gates import DiversityGate, QualityConfig
from warehouse import Warehouse
from warehouse.corpora import current_version, stage_version
from warehouse.embeddings import store_embeddings, text_key
from warehouse.lineage import GeneratorRecord, register_generators
from warehouse.rows import conform, with_row_ids

MODEL = "all-MiniLM-L6-v2"
DIM = 512
NOUNS = [
    "sea",
    "moon",
    "forest",
    "river",
    "city",
    "garden",
    "winter",
    "mountain",
    "desert",
    "train",
    "library",
    "storm",
    "lighthouse",
    "market",
    "bridge",
    "harbor",
    "orchard",
    "violin",
    "candle",
    "island",
    "meadow",
    "castle",
    "kitchen",
    "glacier",
    "festival",
    "bakery",
    "village",
    "comet",
    "canyon",
]
DIVERSITY = {"diversity": {"enabled": True}}


def _embed(text: str) -> np.ndarray:
    """A unit vector of hashed word unigrams and bigrams."""
    tokens = re.findall(r"\w+", text.lower())
    vector = np.zeros(DIM, dtype=np.float32)
    for gram in [*tokens, *(" ".join(p) for p in zip(tokens, tokens[1:], strict=False))]:
        vector[int.from_bytes(hashlib.sha256(gram.encode()).digest()[:4], "big") % DIM] += 1.0
    return vector / max(float(np.linalg.norm(vector)), 1e-12)


def _lineage(method: str = "self_instruct", generator_id: str = "g") -> dict:
    """Lineage columns the schema gate holds not null."""
    return {
        # A row from no seed row, rooted in its call (as Magpie's rows are).
        "seed_ids": [],
        "call_ids": ["c" * 64],
        "parent_ids": [],
        "generator_id": generator_id,
        "method": method,
        "run_id": "r",
        "created_at": datetime(2026, 1, 1),
    }


def _seeds() -> list[dict]:
    seeds = pl.read_ndjson(bundled_path("demo_seeds.jsonl"))
    return seeds.select("instruction", "response").to_dicts()


def _store(wh: Warehouse, rows: list[dict], run_id: str | None = None) -> int:
    frame = with_row_ids(
        conform(
            pl.DataFrame([{"kind": "instruction", "input": "", **_lineage(), **r} for r in rows])
        )
    )
    texts = row_texts(frame).to_list()
    store_embeddings(wh, MODEL, [text_key(t) for t in texts], np.stack([_embed(t) for t in texts]))
    return stage_version(wh, "filtered", frame, run_id=run_id)


def collapsed(index: int) -> list[dict]:
    rng = random.Random(index)
    if index % 2:
        # One template filled with different nouns.
        verb = rng.choice(
            ["Write a short poem about", "Describe in two sentences", "List facts about"]
        )
        return [
            {"instruction": f"{verb} the {noun}.", "response": f"Here is a text about the {noun}."}
            for noun in NOUNS
        ]
    # A few instructions repeated with small edits.
    bases = rng.sample(_seeds(), 3)
    edits = [
        "",
        " Please.",
        " Be brief.",
        " Thanks!",
        " Answer clearly.",
        " Keep it short.",
        " Be precise.",
        " Explain.",
        " Quickly.",
        " In English.",
    ]
    return [
        {"instruction": base["instruction"] + edit, "response": base["response"]}
        for base in bases
        for edit in edits
    ]


def sound(index: int) -> list[dict]:
    return random.Random(100 + index).sample(_seeds(), 30)


def _rejects(figures: dict, gate: DiversityGate) -> bool:
    """The diversity gate's verdict on figures (its two expectations)."""
    near = figures.get("near_duplicate_share")
    return figures["distinct_2"] < gate.min_distinct_2 or (
        near is not None and near > gate.max_near_share
    )


def test_the_diversity_gate_rejects_10_collapsed_versions_and_passes_10_sound_ones(tmp_path):
    wh = Warehouse(tmp_path / "home")
    gate = DiversityGate(enabled=True)
    for index in range(10):
        bad = diversity_figures(wh, "filtered", _store(wh, collapsed(index)), gate)["figures"]
        good = diversity_figures(wh, "filtered", _store(wh, sound(index)), gate)["figures"]
        assert _rejects(bad, gate), (index, bad)
        assert not _rejects(good, gate), (index, good)
        assert "near_duplicate_share" in good


def test_the_gate_reports_its_figures_and_fails_only_on_diversity(tmp_path):
    wh = Warehouse(tmp_path / "home")
    policy = GatePolicy(quality=QualityConfig(gates=DIVERSITY, data_docs=False))
    bad = audit(wh, "filtered", _store(wh, collapsed(0)), policy)
    good = audit(wh, "filtered", _store(wh, sound(0)), policy)
    assert {o.column for o in bad.failures} == {"distinct_2", "near_duplicate_share"}
    assert {o.gate for o in bad.failures} == {"diversity"}
    assert good.passed, good.failures
    assert {"distinct_2", "near_duplicate_share"} <= set(good.figures)


def test_a_rejected_version_leaves_the_previous_one_current(tmp_path):
    wh = Warehouse(tmp_path / "home")
    policy = GatePolicy(quality=QualityConfig(gates=DIVERSITY, data_docs=False))
    _store(wh, sound(0), run_id="first")
    assert gate_run(wh, "filtered", "first", policy).promoted
    first = current_version(wh, "filtered")
    _store(wh, collapsed(1), run_id="second")
    report = gate_run(wh, "filtered", "second", policy)
    assert not report.promoted
    assert current_version(wh, "filtered") == first
    assert report.figures["distinct_2"] < 0.25


def test_without_cached_vectors_only_distinct_2_is_gated(tmp_path):
    wh = Warehouse(tmp_path / "home")
    frame = with_row_ids(
        conform(pl.DataFrame([{"kind": "instruction", **_lineage(), **r} for r in sound(0)]))
    )
    version = stage_version(wh, "filtered", frame)
    report = audit(wh, "filtered", version, GatePolicy(quality=QualityConfig(gates=DIVERSITY)))
    assert report.passed and "near_duplicate_share" not in report.figures
    assert any("near_duplicate_share skipped, 0 of 30 rows" in n for n in report.notes)


TARGETS = {"easy": 0.5, "medium": 0.3, "hard": 0.2}
STEERED = GeneratorRecord(
    backend="local",
    model="m",
    template_name="steered",
    params={"attributes": {"level": {"sampler": "levels", "targets": TARGETS}}},
)


def _steered_version(wh: Warehouse, counts: dict[str, int]) -> int:
    rows = [
        {
            "kind": "instruction",
            "instruction": f"Task {level} {i}",
            "response": "r",
            **_lineage(generator_id=STEERED.generator_id),
            "attributes": json.dumps({"sampled": {"level": level}}),
        }
        for level, count in counts.items()
        for i in range(count)
    ]
    return stage_version(wh, "decontaminated", with_row_ids(conform(pl.DataFrame(rows))))


@pytest.mark.parametrize(
    ("counts", "passed", "failing"),
    [
        ({"easy": 50, "medium": 31, "hard": 19}, True, set()),
        ({"easy": 70, "medium": 20, "hard": 10}, False, {"coverage_max_deviation"}),
        ({"easy": 52, "medium": 48}, False, {"coverage_max_deviation", "coverage_missing_values"}),
    ],
)
def test_the_coverage_gate_holds_realized_shares_to_their_targets(
    tmp_path, counts, passed, failing
):
    wh = Warehouse(tmp_path / "home")
    register_generators(wh, [STEERED])
    policy = GatePolicy(
        quality=QualityConfig(gates={"coverage": {"enabled": True}}, data_docs=False)
    )
    report = audit(wh, "decontaminated", _steered_version(wh, counts), policy)
    assert report.passed is passed
    assert {o.column for o in report.failures} == failing
    if not passed:
        assert any(n.startswith("coverage: self_instruct.level=") for n in report.notes)


def test_gates_are_off_by_default(tmp_path):
    wh = Warehouse(tmp_path / "home")
    register_generators(wh, [STEERED])
    version = _steered_version(wh, {"easy": 99, "medium": 1})
    report = audit(
        wh, "decontaminated", version, GatePolicy(quality=QualityConfig(data_docs=False))
    )
    assert report.passed
    assert not {"coverage_max_deviation", "distinct_2"} & set(report.figures)


def test_the_coverage_plot_draws_targets_against_realized_shares(tmp_path):
    from quality.plots import coverage_plot
    from warehouse.audit import attribute_shares

    wh = Warehouse(tmp_path / "home")
    register_generators(wh, [STEERED])
    version = _steered_version(wh, {"easy": 52, "medium": 48})
    shares = attribute_shares(wh, "decontaminated", version)
    assert shares.select("value", "rows", "target_share").rows() == [
        ("easy", 52, 0.5),
        ("hard", 0, 0.2),
        ("medium", 48, 0.3),
    ]
    png = coverage_plot(shares, "coverage")
    assert png is not None and png.startswith(b"\x89PNG")
    assert coverage_plot(shares.filter(pl.col("value") == "none"), "coverage") is None
