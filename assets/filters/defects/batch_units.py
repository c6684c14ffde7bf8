"""The units of the batch the defect rules are judging, decoded once and read by each rule.

Every defect rule splits its candidate rows into units (`units.units`), and a conversation's
units cost a JSON decode, an explode, window functions and a self-join: about 3 us a row each
time, some twenty times a batch. The batch a later rule gets is the earlier batch minus the
rows dropped, so the earlier batch's units, filtered to the rows asked for, are those units.

Only the last batch's units are held (one per thread: a Spark worker or a thread judging
another batch keeps its own), and a frame is served from them only when it is rows of that
batch, in its order, with the same content in every column units read: any other frame (another
batch, a rule's rewritten copy, rows reordered) is decoded afresh. So a reuse can never hand a
frame units that its own decode would not give.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import polars as pl

# The columns units are made of: two frames equal in these have the same units.
SOURCE_COLUMNS = (
    "row_id",
    "kind",
    "instruction",
    "input",
    "response",
    "attributes",
    "text",
    "messages",
)
# A unit's row: its position in the batch decoded.
ROW = "_batch_row"

# A frame of fewer than one in this many of the judged batch's rows is decoded alone.
FEW_ROWS = 4
# Decodes rows into units of every field and role (with `ROW`).
Decode = Callable[[pl.DataFrame], pl.DataFrame]


@dataclass(frozen=True)
class DecodedBatch:
    """One batch's source columns and every unit of it (all fields and roles), each unit
    with its row's position in the batch (`ROW`): per field, in a decode's order."""

    rows: pl.DataFrame
    units: dict[str, pl.DataFrame]
    # No unit, in the units' schema.
    empty: pl.DataFrame

    def rows_in(self, rows: pl.DataFrame) -> pl.Series | None:
        """Which rows of this batch `rows` are (a mask over the batch), when they are rows of
        it in its order with the same source columns and content; None otherwise."""
        source = rows.select(c for c in SOURCE_COLUMNS if c in rows.columns)
        if source.columns != self.rows.columns or rows.height > self.rows.height:
            return None
        if rows.height == self.rows.height:
            mask = pl.repeat(True, rows.height, eager=True)
            held = self.rows
        else:
            mask = self.rows["row_id"].is_in(source["row_id"].implode())
            held = self.rows.filter(mask)
        # The same rows in the same order, and in content, not just in name: a rule may pass
        # a rewritten copy.
        return mask if held.equals(source, null_equal=True) else None

    def units_of(self, mask: pl.Series, fields: set[str], roles: set[str]) -> pl.DataFrame:
        """The units of the rows `mask` picks, of the given fields (turns of `roles`), in the
        order a decode of those rows gives them."""
        parts = []
        for field, part in self.units.items():
            if field not in fields:
                continue
            keep = mask.gather(part[ROW])
            if field == "messages":
                keep = keep & part["role"].is_in(list(roles))
            parts.append(part.filter(keep).drop(ROW))
        return pl.concat(parts) if parts else self.empty


class _Local(threading.local):
    last: DecodedBatch | None = None
    # The whole input of the rule now judging (`judging`): decoded whole, in place of the
    # rows asked for, on the rule's first call for a quarter of it or more (`FEW_ROWS`).
    batch: pl.DataFrame | None = None


_local = _Local()


def decode_batch(rows: pl.DataFrame, decode: Decode) -> DecodedBatch | None:
    """`rows` decoded for reuse; None when a row_id is not unique (a unit's row would be
    ambiguous) or missing."""
    source = rows.select(c for c in SOURCE_COLUMNS if c in rows.columns)
    if "row_id" not in source.columns or source["row_id"].null_count():
        return None
    if source["row_id"].n_unique() != source.height:
        return None
    every = decode(source.with_row_index(ROW))
    # Per field, in the order the decode concatenated them (each field's units in one run).
    by_field = {
        field: every.filter(pl.col("field") == field)
        for field in every["field"].unique(maintain_order=True)
    }
    return DecodedBatch(source, by_field, every.clear().drop(ROW))


@contextmanager
def judging(batch: pl.DataFrame) -> Iterator[None]:
    """While a rule judges `batch`: units of rows of it are decoded from the whole batch,
    once, and held for the rules after it."""
    before = _local.batch
    _local.batch = batch
    try:
        yield
    finally:
        _local.batch = before


def shared_units(
    rows: pl.DataFrame, fields: set[str], roles: set[str], decode: Decode
) -> pl.DataFrame | None:
    """The units of `rows` from the held batch (decoding the judged batch first when it is
    not held yet); None when `rows` are no rows of either (the caller decodes them)."""
    last = _local.last
    if last is not None:
        mask = last.rows_in(rows)
        if mask is not None:
            return last.units_of(mask, fields, roles)
    batch = _local.batch
    if batch is None or rows.height * FEW_ROWS < batch.height:
        # A rule that reads few of the batch's rows (its candidates) decodes those alone: a
        # batch decoded whole for them would cost more than it saves the rules after it.
        return None
    # Once per judged batch: the rule's other calls read the held batch or decode their own.
    _local.batch = None
    if last is not None and last.rows_in(batch) is not None:
        # The judged batch is held already: `rows` are another frame (a rewritten copy).
        return None
    decoded = decode_batch(batch, decode)
    if decoded is None:
        return None
    _local.last = decoded
    mask = decoded.rows_in(rows)
    return None if mask is None else decoded.units_of(mask, fields, roles)


def forget() -> None:
    """Drop the held batch (tests; memory)."""
    _local.last = None
    _local.batch = None
