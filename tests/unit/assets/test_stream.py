"""The streamed runner: corpus steps decide from compact state exactly what the in-memory
algorithms decide, and a stage's result does not depend on its batch size."""

from __future__ import annotations

import polars as pl
import pytest

from assets.dedup.exact import ExactDedup
from assets.dedup.near import NearDedup, NearDedupConfig, find_near_duplicates
from assets.filters.defects.contradictions import SelfContradiction
from assets.filters.pipeline import filtered_steps
from assets.recipe.sections import DedupConfig, FilterConfig
from assets.run_context import RunContext
from assets.spill import Spill
from assets.stream import run_steps
from tests.defect_set import defect_rows, without_labels
from tests.unit.assets.dedup.test_near import base_text, frame, substituted
from tests.unit.assets.test_steps import sample
from warehouse.rows import conform


def _planted() -> pl.DataFrame:
    """Clusters of near duplicates at several edit distances (chains included), exact copies
    up to case and punctuation, an empty row, and distinct rows; ids out of text order."""
    texts = []
    for doc in range(12):
        base = base_text(doc, words=60 + doc)
        texts += [" ".join(substituted(base, k)) for k in range(doc % 4 + 1)]
    texts += ["Copy me, please!", "copy ME please", "", "Just one row."]
    ids = [f"{(i * 7919) % 10007:05d}" for i in range(len(texts))]
    return frame(texts, ids)


def test_banded_near_dedup_decides_what_the_in_memory_path_decides():
    rows = _planted()
    config = NearDedupConfig(threshold=0.7)
    reference = find_near_duplicates(rows, config)
    assert reference.height >= 10, "planted clusters must give drops"
    step = NearDedup(config)
    with Spill.temporary() as spill:
        for batch in rows.iter_slices(5):
            step.observe(batch, spill)
        found = step.decide(spill).flags
        # Only band hashes and signatures were kept, never the rows' text.
        assert set(spill.con.sql("DESCRIBE near_bands").pl()["column_name"]) == {
            "row_id",
            "idx",
            "band",
            "bh",
        }
    decided = found.select(
        "row_id",
        pl.col("evidence").str.json_path_match("$.duplicate_of").alias("duplicate_of"),
        pl.col("score").alias("similarity"),
        pl.col("evidence")
        .str.json_path_match("$.cluster_size")
        .cast(pl.UInt32)
        .alias("cluster_size"),
    )
    assert decided.sort("row_id").equals(reference.sort("row_id"))


def test_exact_dedup_groups_in_duckdb_and_keeps_the_smallest_id():
    rows = _planted()
    flags = ExactDedup().flag(rows)
    copies = rows.filter(pl.col("instruction").str.to_lowercase().str.starts_with("copy"))
    kept, dropped = sorted(copies["row_id"])
    assert flags["row_id"].to_list() == [dropped]
    assert flags["evidence"].str.json_path_match("$.duplicate_of").to_list() == [kept]


# 50 rows: batches of 7 end with a one-row batch, batches of 4 cut the planted clusters elsewhere
# (batches of 1 took 12 s and cover nothing these do not).
@pytest.mark.parametrize("batch_rows", [4, 7])
def test_the_filtered_stage_is_the_same_in_any_batch_size(batch_rows):
    rows = pl.concat([sample(), conform(_planted())])
    assert rows.height % 7 == 1
    # The planted texts are made-up words: no language to identify, and no task in them.
    filters = FilterConfig.model_validate(
        {"language": {"enabled": False}, "not_a_task": {"enabled": False}}
    )
    whole = run_steps(rows, filtered_steps(filters, DedupConfig(), RunContext()), "filtered")
    batched = run_steps(
        rows, filtered_steps(filters, DedupConfig(), RunContext()), "filtered", batch_rows
    )
    assert {"exact_duplicate", "near_duplicate"} <= set(whole.decisions["rule"])
    assert batched.rows.sort("row_id").equals(whole.rows.sort("row_id"))
    assert batched.decisions.sort("row_id", "rule").equals(whole.decisions.sort("row_id", "rule"))
    assert batched.funnel.equals(whole.funnel)


def test_a_slice_of_a_frame_made_of_several_chunks_is_filtered_like_one_chunk():
    # Polars 2.1 panicked in self_contradiction's string expressions on such a slice (a
    # version concatenated, then cut into batches); the runner now rechunks each batch.
    rows = without_labels(defect_rows(split="tune"))
    copies = [rows.with_columns(pl.col("row_id") + f"-{n}") for n in range(4)]
    sliced = pl.concat(copies, rechunk=False).head(4 * rows.height - 7)
    assert max(sliced.n_chunks("all")) > 1
    steps = [SelfContradiction()]
    found = run_steps(sliced, steps, "filtered").decisions
    assert not found.is_empty()
    assert found.equals(run_steps(sliced.rechunk(), steps, "filtered").decisions)
