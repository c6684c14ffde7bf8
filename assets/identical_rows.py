"""Rows sharing a row id merged across the batches of a streamed stage (seed, synthesized): the
first row made stays, every repeat gets a `merge` decision naming the row kept, exactly as
`merge_identical_rows` does over a whole version."""

from __future__ import annotations

import polars as pl

from assets.spill import Spill
from warehouse.rows import merge_decisions, merge_identical_rows


class IdenticalRows:
    """`merge_identical_rows` over a stream of batches. Only the kept rows' ids and `describe`
    columns are held, in the stage's spill database (compact state, not rows)."""

    def __init__(self, spill: Spill, stage: str, rule: str, describe: tuple[str, ...]) -> None:
        self.spill = spill
        self.stage = stage
        self.rule = rule
        self.describe = describe
        self.table = f"{stage}_kept"
        self.merged = 0

    def merge(self, rows: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
        """(rows whose id no earlier row had, `merge` decisions of the others)."""
        earlier = self._earlier(rows["row_id"])
        # Repeats of a row kept in an earlier batch name that row, as over the whole version.
        repeats = rows.join(earlier, on="row_id", how="inner", maintain_order="left")
        fresh = rows.join(earlier, on="row_id", how="anti", maintain_order="left")
        first, merged = merge_identical_rows(
            fresh, stage=self.stage, rule=self.rule, describe=self.describe
        )
        if first.height:
            self.spill.append_state(self.table, first.select("row_id", *self.describe))
        decisions = pl.concat(
            [
                merge_decisions(repeats, stage=self.stage, rule=self.rule, describe=self.describe),
                merged,
            ]
        )
        self.merged += decisions.height
        return first, decisions

    def _earlier(self, ids: pl.Series) -> pl.DataFrame:
        """The kept rows of earlier batches among `ids`: row_id and `kept_<describe>`."""
        kept = [f"kept_{c}" for c in self.describe]
        if not self.spill.has_state(self.table) or ids.is_empty():
            return pl.DataFrame(schema={"row_id": pl.String, **dict.fromkeys(kept, pl.Null)})
        con = self.spill.con
        con.register("batch_ids", pl.DataFrame({"row_id": ids.unique()}).to_arrow())
        try:
            named = ", ".join(f'k."{c}" AS "kept_{c}"' for c in self.describe)
            found = con.sql(
                f"SELECT k.row_id, {named} FROM {self.table} AS k "  # noqa: S608 (names are ours)
                "SEMI JOIN batch_ids AS b ON k.row_id = b.row_id"
            ).pl()
        finally:
            con.unregister("batch_ids")
        return found
