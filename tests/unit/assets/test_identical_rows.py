"""Identical rows merged across batches: the same rows kept and the same decisions (evidence
naming the row kept) as merging the whole version at once."""

from __future__ import annotations

import polars as pl
import pytest

from assets.identical_rows import IdenticalRows
from assets.spill import Spill
from warehouse.rows import merge_identical_rows

DESCRIBE = ("method", "generator_id")


@pytest.mark.parametrize("batch_rows", [1, 2, 3, 7])
def test_batches_merge_as_the_whole_version_does(batch_rows: int):
    rows = pl.DataFrame(
        {
            "row_id": ["a", "b", "a", "c", "b", "a", "d"],
            "method": ["m1", "m2", "m3", "m1", "m2", "m3", "m1"],
            "generator_id": ["g1", "g2", "g3", "g4", "g5", "g6", "g7"],
        }
    )
    first, decisions = merge_identical_rows(rows, stage="s", rule="r", describe=DESCRIBE)
    with Spill.temporary() as spill:
        identical = IdenticalRows(spill, "s", "r", DESCRIBE)
        merged = [
            identical.merge(rows.slice(start, batch_rows))
            for start in range(0, rows.height, batch_rows)
        ]
    assert pl.concat([kept for kept, _ in merged]).equals(first)
    streamed = pl.concat([decided for _, decided in merged])
    assert decisions.height == 3
    assert streamed.sort("row_id", "evidence").equals(decisions.sort("row_id", "evidence"))
    assert identical.merged == 3
