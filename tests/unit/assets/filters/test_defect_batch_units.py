"""The batch's units, decoded once for the defect rules (`batch_units`): a rule reading rows
of the batch gets the units a decode of those rows gives, a batch decoded once; any other
frame (another batch, a rewritten copy, rows reordered) is decoded afresh."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import polars as pl
import pytest

import assets.filters.defects.units as units_module
from assets.filters.defects import batch_units
from assets.filters.defects.batch_units import judging
from assets.filters.defects.units import ALL_FIELDS, units
from assets.filters.pipeline import filtered_steps
from assets.recipe.root import DedupConfig, FilterConfig
from assets.run_context import RunContext
from assets.stream import run_steps
from tests.defect_set import defect_rows, without_labels

pytestmark = pytest.mark.unit

# Every kind of row: instructions, pairs (a rejected side), conversations, documents.
ASKED = [
    (ALL_FIELDS, ("user", "assistant", "system", "tool")),
    (("response", "messages"), ("assistant",)),
    (("instruction", "messages"), ("user",)),
    (("messages",), ("user", "assistant")),
    (("response", "rejected", "text", "messages"), ("assistant",)),
    (("instruction",), ("user",)),
]


def fresh(rows: pl.DataFrame, fields: tuple[str, ...], roles: tuple[str, ...]) -> pl.DataFrame:
    """The units of `rows` decoded afresh, as without the shared batch."""
    return units_module._decoded_units(rows, set(fields), set(roles))


@pytest.fixture
def batch() -> pl.DataFrame:
    rows = without_labels(defect_rows(split="tune"))
    document = rows.head(1).with_columns(
        pl.lit("doc-1").alias("row_id"),
        pl.lit("document").alias("kind"),
        pl.lit("A web page's text.").alias("text"),
    )
    pairs = rows.slice(400).filter(pl.col("kind") == "preference")
    return pl.concat([rows.head(400), document, pairs])


@pytest.fixture(autouse=True)
def forgotten() -> Iterator[None]:
    batch_units.forget()
    yield
    batch_units.forget()


@pytest.fixture
def decodes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many frames were decoded whole for reuse."""
    seen: list[int] = []
    every = units_module._every_unit

    def counted(rows: pl.DataFrame) -> pl.DataFrame:
        seen.append(rows.height)
        return every(rows)

    monkeypatch.setattr(units_module, "_every_unit", counted)
    return seen


def test_the_set_has_every_kind(batch: pl.DataFrame) -> None:
    assert set(batch["kind"]) == {"instruction", "preference", "conversation", "document"}


@pytest.mark.parametrize(("fields", "roles"), ASKED)
def test_reuse_gives_the_units_of_a_fresh_decode(
    batch: pl.DataFrame, decodes: list[int], fields: tuple[str, ...], roles: tuple[str, ...]
) -> None:
    some = batch.filter(pl.int_range(pl.len()) % 3 != 1)
    with judging(batch):
        for rows in (batch, some, batch.tail(50), batch.head(0)):
            assert units(rows, fields, roles).equals(fresh(rows, fields, roles), null_equal=True)
    assert decodes == [batch.height]


def test_rows_dropped_by_an_earlier_rule_are_absent(
    batch: pl.DataFrame, decodes: list[int]
) -> None:
    dropped = batch.filter(pl.int_range(pl.len()) % 4 == 0)["row_id"]
    with judging(batch):
        units(batch)
    # The next rule gets what this one kept.
    kept = batch.filter(~pl.col("row_id").is_in(dropped.implode()))
    with judging(kept):
        found = units(kept, ("response", "messages"), ("assistant",))
    assert not found["row_id"].is_in(dropped.implode()).any()
    assert found.equals(fresh(kept, ("response", "messages"), ("assistant",)), null_equal=True)
    assert decodes == [batch.height]


def test_another_batch_never_gets_the_held_units(batch: pl.DataFrame, decodes: list[int]) -> None:
    with judging(batch):
        units(batch)
    fields, roles = ("response", "messages"), ("assistant",)
    # The same row ids with other content, another batch, the rows in another order, the rows
    # with a column missing: each is decoded afresh, not read from the held batch.
    rewritten = batch.with_columns(pl.col("response") + " (edited)")
    other = without_labels(defect_rows(split="tune")).slice(1000, 300)
    reordered = batch.reverse()
    narrower = batch.drop("attributes")
    for rows in (rewritten, other, reordered, narrower):
        assert units(rows, fields, roles).equals(fresh(rows, fields, roles), null_equal=True)
    assert decodes == [batch.height]
    assert units(rewritten, fields, roles)["text"].str.ends_with(" (edited)").any()


def test_a_new_batch_replaces_the_held_one(batch: pl.DataFrame, decodes: list[int]) -> None:
    other = without_labels(defect_rows(split="tune")).slice(1000, 300)
    with judging(batch):
        units(batch)
    with judging(other):
        assert units(other).equals(
            fresh(other, ALL_FIELDS, ("user", "assistant", "system", "tool"))
        )
    assert decodes == [batch.height, other.height]
    held = batch_units._local.last
    assert held is not None and held.rows["row_id"].equals(other["row_id"])


def test_row_ids_twice_are_decoded_afresh(batch: pl.DataFrame, decodes: list[int]) -> None:
    twice = pl.concat([batch.head(20), batch.head(20)])
    with judging(twice):
        assert units(twice).equals(
            fresh(twice, ALL_FIELDS, ("user", "assistant", "system", "tool"))
        )
    assert batch_units._local.last is None


def test_another_thread_holds_its_own(batch: pl.DataFrame) -> None:
    with judging(batch):
        units(batch)
    seen: list[object] = []
    worker = threading.Thread(target=lambda: seen.append(batch_units._local.last))
    worker.start()
    worker.join()
    assert seen == [None]
    assert batch_units._local.last is not None


def test_a_rule_reading_few_rows_decodes_them_alone(
    batch: pl.DataFrame, decodes: list[int]
) -> None:
    few = batch.head(batch.height // (batch_units.FEW_ROWS + 1))
    with judging(batch):
        assert units(few).equals(fresh(few, ALL_FIELDS, ("user", "assistant", "system", "tool")))
        assert decodes == [] and batch_units._local.last is None
        # ... and the batch is decoded whole when the rule reads most of it.
        units(batch.tail(batch.height - 10))
    assert decodes == [batch.height]


def test_outside_a_rule_nothing_is_held(batch: pl.DataFrame, decodes: list[int]) -> None:
    units(batch)
    assert decodes == [] and batch_units._local.last is None


def test_the_rules_decide_the_same_with_and_without_reuse(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Every category's first rows, each rule in the stage's order and the order reversed (a
    # rule's input is then another rule's leftovers), in batches that split them apart.
    labelled = defect_rows(split="tune")
    rows = without_labels(labelled.filter(pl.int_range(pl.len()).over("category") < 8))
    rules = [
        step
        for step in filtered_steps(FilterConfig(), DedupConfig(), RunContext())
        if type(step).__module__.startswith("assets.filters.defects") and step.name != "off_topic"
    ]

    def decided() -> list[pl.DataFrame]:
        return [
            run_steps(rows, order, "filtered", batch_rows=size).decisions
            for order, size in ((rules, None), (rules[::-1], 150))
        ]

    shared = decided()
    monkeypatch.setattr(units_module, "shared_units", lambda *_: None)
    alone = decided()
    assert shared[0].height > 50
    for with_reuse, without in zip(shared, alone, strict=True):
        assert with_reuse.equals(without, null_equal=True)
