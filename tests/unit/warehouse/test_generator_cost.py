"""`generator_cost` and the cost columns of `generator_yield` against figures worked out by hand
from the calls logged: tokens times the recipe's price per million, online and batch."""

from __future__ import annotations

import polars as pl
import pytest

from assets.models.call_log_writer import CallRecord, calls_frame
from assets.models.pricing import Price
from tests.unit.warehouse.test_generator_yield import KEEPER, LOSER, _one_run
from warehouse import Warehouse
from warehouse.lineage import log_calls, register_generators

PRICE = Price(
    input_per_million=2.0,
    output_per_million=10.0,
    batch_input_per_million=1.0,
    batch_output_per_million=5.0,
)


def _call(request_hash, generator, run, prompt_tokens, completion_tokens, mode="online"):
    ok = prompt_tokens is not None
    return CallRecord(
        request_hash, generator.generator_id, "openai", "m", "p", "{}", 0,
        "out" if ok else None, "stop" if ok else None, prompt_tokens, completion_tokens,
        1.0, "ok" if ok else "error", None if ok else "HTTP 500", run,
        PRICE.cost(prompt_tokens, completion_tokens, mode) if ok else None, mode,
    )  # fmt: skip


@pytest.fixture(scope="module")
def wh(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    warehouse = Warehouse(tmp_path_factory.mktemp("cost") / "home")
    register_generators(warehouse, [KEEPER, LOSER])
    calls = [
        # keeper: 1,000 in + 500 out online = (2,000 + 5,000) / 1e6 = 0.007
        _call("c" * 64, KEEPER, "run-1", 1000, 500),
        # keeper: 2,000 in + 1,000 out in a batch = (2,000 + 5,000) / 1e6 = 0.007
        _call("k" * 64, KEEPER, "run-2", 2000, 1000, "batch"),
        # loser: 3 calls of 100 in + 80 out online = 3 * (200 + 800) / 1e6 = 0.003, one error
        _call("a" * 64, LOSER, "run-1", 100, 80),
        _call("b" * 64, LOSER, "run-1", 100, 80),
        _call("d" * 64, LOSER, "run-1", 100, 80),
        _call("e" * 64, LOSER, "run-1", None, None),
    ]
    log_calls(warehouse, calls_frame(calls))
    _one_run(warehouse)
    return warehouse


def _query(wh: Warehouse, query: str) -> pl.DataFrame:
    with wh.reader() as con:
        return con.sql(query).pl()


def test_price_per_million_tokens_online_and_batch():
    assert PRICE.cost(1000, 500) == pytest.approx(0.007)
    assert PRICE.cost(2000, 1000, "batch") == pytest.approx(0.007)
    # Batch prices left out are the online ones: never an assumed discount.
    plain = Price(input_per_million=2.0, output_per_million=10.0)
    assert plain.cost(2000, 1000, "batch") == plain.cost(2000, 1000) == pytest.approx(0.014)


def test_generator_cost_per_generator_run_and_mode(wh):
    rows = {
        (r["template_name"], r["run_id"], r["mode"]): r
        for r in _query(wh, "SELECT * FROM generator_cost").iter_rows(named=True)
    }
    assert set(rows) == {("keeper", "run-1", "online"), ("keeper", "run-2", "batch"),
                         ("loser", "run-1", "online")}  # fmt: skip
    keeper_online = rows["keeper", "run-1", "online"]
    assert (keeper_online["calls"], keeper_online["tokens"]) == (1, 1500)
    assert keeper_online["cost"] == pytest.approx(0.007)
    keeper_batch = rows["keeper", "run-2", "batch"]
    assert (keeper_batch["prompt_tokens"], keeper_batch["completion_tokens"]) == (2000, 1000)
    assert keeper_batch["cost"] == pytest.approx(0.007)
    loser = rows["loser", "run-1", "online"]
    assert (loser["calls"], loser["ok_calls"], loser["tokens"]) == (4, 3, 540)
    assert loser["cost"] == pytest.approx(0.003)
    per_run = _query(
        wh, "SELECT run_id, sum(cost) AS cost FROM generator_cost GROUP BY run_id ORDER BY run_id"
    )
    assert per_run["cost"].to_list() == pytest.approx([0.010, 0.007])


def test_generator_yield_cost_per_kept_row(wh):
    yields = {
        r["template_name"]: r
        for r in _query(wh, "SELECT * FROM generator_yield").iter_rows(named=True)
    }
    # keeper kept one row (r1) in the current decontaminated version: 0.014 for it.
    assert yields["keeper"]["kept"] == 1
    assert yields["keeper"]["cost"] == pytest.approx(0.014)
    assert yields["keeper"]["cost_per_kept_row"] == pytest.approx(0.014)
    # loser kept nothing: its spend shows, a cost per kept row does not exist.
    assert yields["loser"]["cost"] == pytest.approx(0.003)
    assert yields["loser"]["cost_per_kept_row"] is None
