"""A run's budget against a loopback OpenAI-compatible server that counts what it receives:
exactly the calls the budget allows are sent (concurrent calls included), the run stops with
a message naming the limit, nothing it half-made is promoted, and a re-run reuses the calls
already paid for at no cost."""

from __future__ import annotations

import pytest

from assets.models.backends import build_backend
from assets.models.budget import Budget, BudgetConfig, BudgetExhausted
from assets.models.call_cache import CachedModel
from assets.models.context import ModelContext
from assets.models.generators import OpenAICompatibleModel, Sampling
from assets.models.pricing import Price
from tests.conftest import BASE_RECIPE, SELF_INSTRUCT, materialize
from tests.servers import fault_server
from warehouse import Warehouse

PRICE = {"input_per_million": 3.0, "output_per_million": 15.0}


def _generator(base_url: str, **changes: object) -> dict:
    return {
        "backend": "openai",
        "base_url": base_url,
        "model": "budget-model",
        "max_in_flight": 4,
        "backoff_base_s": 0.01,
        "backoff_max_s": 0.05,
        "price": PRICE,
        **changes,
    }


def _query(home, query: str) -> list[dict]:
    with Warehouse(home).reader() as con:
        return con.sql(query).pl().to_dicts()


def test_concurrent_calls_stop_at_exactly_the_budget(home):
    with fault_server() as server:
        config = OpenAICompatibleModel.model_validate(_generator(server.base_url))
        ctx = ModelContext(
            wh=Warehouse(home), run_id="budget", budget=Budget(BudgetConfig(max_calls=5))
        )
        model = CachedModel(build_backend(config), "gen-budget", ctx, price=config.price)
        prompts = [(f"question number {n}", 0) for n in range(20)]
        with pytest.raises(BudgetExhausted, match="max_calls = 5 reached"):
            model.complete_many(prompts, Sampling(max_tokens=16))
        sent = len(server.requests)
        # A second pass under the same (spent) budget sends nothing, even what is cached.
        with pytest.raises(BudgetExhausted):
            model.complete_many(prompts, Sampling(max_tokens=16))
        again = len(server.requests)
    assert sent == again == 5
    calls = _query(home, "SELECT * FROM model_calls")
    assert len(calls) == 5 and all(c["status"] == "ok" for c in calls)
    # Each call's cost is its tokens at the price: prompt words and completion words here.
    price = Price(**PRICE)
    for call in calls:
        expected = price.cost(call["prompt_tokens"], call["completion_tokens"])
        assert call["cost"] == pytest.approx(expected) and call["cost"] > 0
        assert call["mode"] == "online"


def test_a_run_over_its_call_budget_stops_cleanly_and_a_rerun_reuses_its_calls(home, write_recipe):
    with fault_server() as server:
        methods = [
            *BASE_RECIPE["synthesis"]["methods"],
            {**SELF_INSTRUCT, "generator": _generator(server.base_url)},
        ]
        recipe = write_recipe(
            synthesis={"methods": methods, "budget": {"max_calls": 2}},
        )
        result = materialize(home, recipe)
        sent_first = len(server.requests)

        assert not result.success
        [failure] = [e for e in result.all_events if e.is_step_failure]
        message = str(failure.step_failure_data.user_failure_data.description)
        assert "self_instruct: synthesis.budget.max_calls = 2 reached" in message
        assert sent_first == 2
        assert len(_query(home, "SELECT * FROM model_calls")) == 2
        # The version it made is recorded, rejected, with the decision naming the budget.
        [version] = _query(home, "SELECT * FROM corpus_versions WHERE corpus = 'synthesized'")
        assert version["status"] == "rejected"
        [decision] = _query(home, "SELECT * FROM decisions WHERE rule LIKE 'budget.%'")
        assert decision["rule"] == "budget.max_calls" and decision["action"] == "drop"
        assert _query(home, "SELECT count(*) AS n FROM synthesized")[0]["n"] == 0
        # What the earlier methods made is in the rejected version, usable by SQL.
        made = _query(
            home,
            "SELECT count(*) AS n FROM corpus_synthesized WHERE version = "
            f"{version['version']} AND method = 'programmatic_math'",
        )
        assert made[0]["n"] > 0

        # Without the budget the re-run pays only for the calls not made yet.
        recipe = write_recipe(synthesis={"methods": methods})
        rerun = materialize(home, recipe)
        assert rerun.success
        [materialization] = rerun.asset_materializations_for_node("synthesized")
        [spent] = materialization.metadata["model_spend"].value
        needed = len(_query(home, "SELECT * FROM model_calls"))
        assert needed > 2
        assert len(server.requests) == needed  # the first two were not sent again
        spend = _query(
            home,
            "SELECT run_id, sum(calls) AS calls, sum(cost) AS cost FROM generator_cost "
            "GROUP BY run_id ORDER BY min(first_call_at)",
        )
        assert [row["calls"] for row in spend] == [2, needed - 2]
        assert (spent["mode"], spent["calls"]) == ("online", needed - 2)
        assert spent["cost"] == pytest.approx(spend[1]["cost"])
        assert all(row["cost"] > 0 for row in spend)
