"""Attributes through the whole flow, against a loopback OpenAI-compatible server: two methods
steered by samplers (self_instruct by topic and persona, evol_instruct by difficulty), their
rows counted by `attribute_coverage` as the stored rows say; then a run whose server collapses
onto one template is stopped by the diversity gate in the same `dg.materialize` run, and the
previous filtered version stays current."""

from __future__ import annotations

import json
from collections import Counter

from tests.conftest import materialize
from tests.flow.test_attribute_methods import _answer
from tests.servers import Fault, completion_body, fault_server
from warehouse import Warehouse
from warehouse.corpora import current_version

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
]
SAMPLERS = {
    "topics": {"type": "taxonomy", "path": "bundled:topics.yaml"},
    "personas": {"type": "persona", "path": "bundled:personas.jsonl"},
    "level": {"type": "category", "values": {"easy": 3, "hard": 1}},
}


def _collapsed(prompt: str, attempt: int) -> Fault:
    """Every instruction one template with another noun; every answer the same."""
    if "example tasks" in prompt:
        noun = NOUNS[(len(prompt) + attempt) % len(NOUNS)]
        return Fault(text=f"Write a short poem about the {noun} at night.")
    return Fault(body=completion_body(prompt, {}, "Here is a short poem for you."))


def _recipe(write_recipe, server, *, evol: bool = True, diversity: bool = False):
    generator = {"backend": "openai", "base_url": server.base_url, "model": "stub"}
    methods = [
        {
            "method": "self_instruct",
            "generator": generator,
            "num_instructions": 40,
            "max_rouge_l": 0.9,
            "instruction_template": "self_instruct_steered",
            "attributes": {"topic": "topics", "persona": "personas"},
        }
    ]
    if evol:
        methods.append(
            {
                "method": "evol_instruct",
                "generator": generator,
                "num_instructions": 6,
                "rounds": 1,
                "depth_template": "evol_depth_steered",
                "breadth_template": "evol_breadth_steered",
                "attributes": {"difficulty": "level"},
            }
        )
    return write_recipe(
        seed={"sources": [{"path": "bundled:demo_seeds.jsonl"}]},
        synthesis={"random_seed": 3, "samplers": SAMPLERS, "methods": methods},
        dedup={"semantic": {"enabled": False}},
        quality={
            "min_rows": {"seed": 1, "synthesized": 1, "filtered": 1, "decontaminated": 1},
            "gates": {"diversity": {"enabled": diversity, "corpora": ["filtered"]}},
        },
        export={"formats": ["parquet"]},
        # The diversity gate's near-duplicate share reads the vectors that the metadata's
        # embedding dispersion caches.
        reports={"embedding_in_metadata": True},
    )


def test_coverage_matches_the_rows_and_the_diversity_gate_stops_a_collapsed_run(home, write_recipe):
    with fault_server(_answer) as server:
        result = materialize(home, _recipe(write_recipe, server))
    assert result.success
    wh = Warehouse(home)
    with wh.reader() as con:
        coverage = con.sql("SELECT * FROM attribute_coverage").pl()
        kept = con.sql("SELECT method, attributes FROM decontaminated").pl()
        synthesized = con.sql("SELECT method, attributes FROM synthesized").pl()
    expected_kept: Counter = Counter()
    expected_synthesized: Counter = Counter()
    for counter, frame in ((expected_kept, kept), (expected_synthesized, synthesized)):
        for method, attributes in frame.iter_rows():
            for name, value in json.loads(attributes).get("sampled", {}).items():
                counter[(method, name, str(value))] += 1
    assert {m for m, _, _ in expected_kept} == {"self_instruct", "evol_instruct"}
    assert {n for _, n, _ in expected_kept} == {"topic", "persona", "difficulty"}
    lines = {(r["method"], r["attribute"], r["value"]): r for r in coverage.iter_rows(named=True)}
    for key, count in expected_kept.items():
        assert lines[key]["kept"] == count
        assert lines[key]["generated"] >= expected_synthesized[key]
    # Every targeted value has its line: 106 personas, 56 topics, 2 levels, drawn or not.
    targeted = coverage.filter(coverage["target_share"].is_not_null())
    assert targeted.group_by("attribute").len().sort("attribute").rows() == [
        ("difficulty", 2),
        ("persona", 106),
        ("topic", 56),
    ]
    assert (coverage["kept"] <= coverage["generated"]).all()
    first = current_version(wh, "filtered")

    with fault_server(_collapsed) as server:
        result = materialize(home, _recipe(write_recipe, server, evol=False, diversity=True))
    assert not result.success
    checks = {(e.asset_key.path[-1], e.check_name): e for e in result.get_asset_check_evaluations()}
    failed = [e for (asset, _), e in checks.items() if asset == "filtered" and not e.passed]
    assert failed
    assert current_version(wh, "filtered") == first
    with wh.reader() as con:
        status = con.sql(
            "SELECT status FROM corpus_versions WHERE corpus = 'filtered' ORDER BY version DESC "
            "LIMIT 1"
        ).fetchall()[0][0]
        figures = con.sql(
            "SELECT check_results FROM corpus_versions WHERE corpus = 'filtered' "
            "ORDER BY version DESC LIMIT 1"
        ).fetchall()[0][0]
    assert status == "rejected"
    report = json.loads(figures)
    # The filtered stage's near dedup leaves few copies of the template, so distinct-2 stays
    # high; their embeddings (cached by the materialization's diversity sample) do not.
    assert report["figures"]["near_duplicate_share"] > 0.2
    assert {f["gate"] for f in report["failed"]} == {"diversity"}
