"""The row suite's figures come from DuckDB aggregates over the whole version: they must match
what great-expectations finds validating every row, whatever part of the version it sees."""

from __future__ import annotations

import hashlib

import numpy as np
import polars as pl
import pytest

from quality.gates import QualityConfig
from warehouse import ParentVersion, Warehouse
from warehouse.corpora import now, stage_version
from warehouse.rows import conform


def _row_id(label: str) -> str:
    return hashlib.md5(label.encode()).hexdigest()


def _version_with_offenders(wh: Warehouse) -> tuple[int, dict[str, str]]:
    """A synthesized version that breaks most row expectations, each by named rows."""
    seed_id = _row_id("seed")
    seeds = conform(
        pl.DataFrame(
            {
                "row_id": [seed_id],
                "kind": ["instruction"],
                "instruction": ["Seed task."],
                "seed_ids": [[seed_id]],
                "parent_ids": [[]],
                "generator_id": ["gen-seed"],
                "method": ["seed"],
                "run_id": ["r"],
                "created_at": [now()],
            }
        )
    )
    seed_version = stage_version(wh, "seed", seeds, run_id="r")
    ids = {label: _row_id(label) for label in ("ok", "dup", "long", "long2", "template")}
    ids |= {"bogus_kind": _row_id("bogus"), "no_generator": _row_id("nogen")}
    ids |= {"orphan": _row_id("orphan"), "no_lineage": _row_id("nolineage"), "short_id": "abc"}
    kinds = {"template": "template", "bogus_kind": "bogus"}
    texts = {"long": "x" * 80, "long2": "y" * 81}
    labels = [*ids, "dup"]  # the duplicate row appears twice
    rows = conform(
        pl.DataFrame(
            {
                "row_id": [ids[k] for k in labels],
                "kind": [kinds.get(k, "instruction") for k in labels],
                "instruction": [texts.get(k, f"Task {k}.") for k in labels],
                "seed_ids": [
                    ["f" * 32] if k == "orphan" else [] if k == "no_lineage" else [seed_id]
                    for k in labels
                ],
                "parent_ids": [[] for _ in labels],
                "generator_id": [
                    None if k in ("no_generator", "no_lineage") else "g" for k in labels
                ],
                "method": ["self_instruct"] * len(labels),
                "run_id": ["r"] * len(labels),
                "created_at": [now()] * len(labels),
            }
        )
    )
    version = stage_version(
        wh, "synthesized", rows, run_id="r", parents=[ParentVersion("seed", seed_version)]
    )
    return version, ids


def _whole_version_outcomes(wh: Warehouse, version: int, quality: QualityConfig) -> dict:
    """What great-expectations alone finds validating every row of the version at once."""
    from quality.suites import row_expectations, validate
    from warehouse.audit import audit_rows

    with wh.reader() as con:
        every = [r[0] for r in con.sql("SELECT row_id FROM corpus_synthesized").fetchall()]
    frame = audit_rows(wh, "synthesized", version, every, spot_rows=0)
    assert frame.height == len(every)
    outcomes: dict = {}
    validate(
        frame, row_expectations("synthesized", quality), outcomes, quality.sample_size, "synth"
    )
    return {(o.expectation, o.column): o for o in outcomes.values()}


@pytest.mark.parametrize("spot_rows", [0, 1_000])
def test_sql_figures_match_great_expectations_on_every_row(tmp_path, monkeypatch, spot_rows):
    """With no spot sample GX sees only the rows the figures name; the counts, verdicts and
    sampled row ids are still those of the whole version."""
    from quality import gate
    from quality.gate import GatePolicy, audit

    wh = Warehouse(tmp_path)
    version, ids = _version_with_offenders(wh)
    quality = QualityConfig(max_text_chars=60, sample_size=100, data_docs=False)
    expected = _whole_version_outcomes(wh, version, quality)
    failed = {key for key, o in expected.items() if not o.success}
    assert failed == {
        ("expect_column_values_to_be_unique", "row_id"),
        ("expect_column_values_to_be_between", "row_id_occurrences"),
        ("expect_column_value_lengths_to_be_between", "row_id"),
        ("expect_column_values_to_not_be_null", "generator_id"),
        ("expect_column_values_to_be_in_set", "kind"),
        ("expect_column_values_to_not_be_in_set", "kind"),
        ("expect_column_values_to_be_between", "lineage_roots"),
        ("expect_column_values_to_be_between", "unresolved_seed_ids"),
        ("expect_column_value_lengths_to_be_between", "instruction"),
    }

    monkeypatch.setattr(gate, "SPOT_ROWS", spot_rows)
    report = audit(wh, "synthesized", version, GatePolicy(quality=quality))
    got = {(o.expectation, o.column): o for o in report.outcomes if o.gate == "schema"}
    assert set(got) == set(expected)
    for key, want in expected.items():
        assert got[key].success == want.success, key
        assert got[key].unexpected_count == want.unexpected_count, key
        assert sorted(got[key].sample_row_ids) == sorted(want.sample_row_ids), key
    lengths = got[("expect_column_value_lengths_to_be_between", "instruction")]
    assert lengths.sample_row_ids == sorted([ids["long"], ids["long2"]])
    assert got[("expect_column_values_to_be_unique", "row_id")].sample_row_ids == [ids["dup"]] * 2


def test_samples_are_the_smallest_offending_row_ids_and_counts_cover_the_version(tmp_path):
    from quality.gate import GatePolicy, audit

    wh = Warehouse(tmp_path)
    version, ids = _version_with_offenders(wh)
    quality = QualityConfig(max_text_chars=60, sample_size=1, data_docs=False)
    report = audit(wh, "synthesized", version, GatePolicy(quality=quality))
    lengths = next(o for o in report.failures if o.column == "instruction")
    assert lengths.unexpected_count == 2
    assert lengths.sample_row_ids == [min(ids["long"], ids["long2"])]


def test_great_expectations_judges_a_fixed_number_of_rows(tmp_path):
    """The frame GX validates is the named rows plus the spot sample, whatever the size."""
    from warehouse.audit import audit_rows

    wh = Warehouse(tmp_path)
    version, ids = _version_with_offenders(wh)
    spot = audit_rows(wh, "synthesized", version, [], spot_rows=3)
    with wh.reader() as con:
        smallest = [
            r[0]
            for r in con.sql(
                "SELECT row_id FROM corpus_synthesized ORDER BY row_id LIMIT 3"
            ).fetchall()
        ]
    assert spot["row_id"].to_list() == smallest
    named = audit_rows(wh, "synthesized", version, [ids["orphan"]], spot_rows=0)
    assert named["row_id"].to_list() == [ids["orphan"]]
    assert named["unresolved_seed_ids"].to_list() == [1]


class CountingEmbedder:
    """A stand-in sentence embedder: unit vectors from the text's hash, stored in the
    warehouse cache as the real one does; counts what it encodes."""

    model = "counting-test-model"

    def __init__(self) -> None:
        self.encoded: list[str] = []

    def embed(self, wh: Warehouse, texts: list[str]) -> np.ndarray:
        from warehouse.embeddings import store_embeddings, text_key

        self.encoded += texts
        vectors = np.stack(
            [np.random.default_rng(int(text_key(t)[:8], 16)).normal(size=8) for t in texts]
        ).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        store_embeddings(wh, self.model, [text_key(t) for t in texts], vectors)
        return vectors


def test_metadata_embeds_a_bounded_number_of_rows_and_reuses_the_cache(tmp_path):
    from quality.materialization import sample_vectors

    wh = Warehouse(tmp_path)
    embedder = CountingEmbedder()
    texts = [f"text number {i}" for i in range(10)]
    vectors, sources = sample_vectors(wh, embedder, texts, max_new=3)
    assert vectors.shape == (3, 8) and embedder.encoded == texts[:3]
    assert sources == {"cached_rows": 0, "encoded_rows": 3}

    vectors, sources = sample_vectors(wh, embedder, texts, max_new=3)
    assert vectors.shape == (6, 8) and embedder.encoded == texts[:6]
    assert sources == {"cached_rows": 3, "encoded_rows": 3}

    # A later version sharing rows: cached vectors count at no encoding cost.
    vectors, sources = sample_vectors(wh, embedder, texts[2:8], max_new=0)
    assert vectors.shape == (4, 8) and embedder.encoded == texts[:6]
    assert sources == {"cached_rows": 4, "encoded_rows": 0}


def test_metadata_embeds_the_text_semantic_dedup_embeds():
    """Same text, same cache key: the metadata reuses semantic dedup's vectors."""
    from assets.filters.text import body
    from quality.diversity import row_texts

    rows = conform(
        pl.DataFrame(
            {
                "kind": ["instruction", "instruction", "document", "conversation"],
                "instruction": ["Do it.", "Add.", None, None],
                "input": [None, "2 and 3", None, None],
                "response": ["Done.", "5", None, None],
                "text": [None, None, "A document.", None],
                "messages": [
                    None,
                    None,
                    None,
                    '[{"role":"user","content":"hi"},{"role":"assistant","content":"hello"}]',
                ],
            }
        )
    )
    assert row_texts(rows).to_list() == rows.select(body()).to_series().to_list()
