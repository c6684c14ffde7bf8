"""The run budget's arithmetic (calls exact, tokens and cost reserved at their worst case
before sending, settled to what calls used) and the recipe keys that configure it."""

from __future__ import annotations

import pytest
import yaml

from assets.models.budget import Budget, BudgetConfig, estimated_prompt_tokens
from assets.models.pricing import Price
from assets.recipe.loader import RecipeError, parse_recipe
from tests.conftest import SELF_INSTRUCT, recipe_dict

PRICE = Price(input_per_million=1_000_000.0, output_per_million=2_000_000.0)  # 1 and 2 a token


def test_max_calls_is_exact_and_the_stop_is_sticky():
    budget = Budget(BudgetConfig(max_calls=2))
    assert budget.reserve("h1", 10, 1, 5, None) is None
    assert budget.reserve("h2", 10, 1, 5, None) is None
    stop = budget.reserve("h3", 10, 1, 5, None)
    assert stop is not None and stop.rule == "budget.max_calls" and stop.request_hash == "h3"
    assert "synthesis.budget.max_calls = 2 reached: 2 calls sent" in str(stop)
    # Once stopped, nothing more goes, even a call that would fit after a release.
    budget.release("h2")
    assert budget.reserve("h4", 1, 1, 1, None) is stop
    assert budget.figures()["calls"] == 1


def test_tokens_reserve_the_worst_case_then_settle_to_what_was_used():
    # 30 characters: 10 estimated prompt tokens + 4 for the message, + max_tokens 20 = 34.
    assert estimated_prompt_tokens(30, 1) == 14
    budget = Budget(BudgetConfig(max_tokens=70))
    assert budget.reserve("h1", 30, 1, 20, None) is None
    assert budget.reserve("h2", 30, 1, 20, None) is None  # 68 reserved
    assert budget.reserve("h3", 30, 1, 20, None) is not None
    budget = Budget(BudgetConfig(max_tokens=70))
    assert budget.reserve("h1", 30, 1, 20, None) is None
    budget.settle("h1", 8, 2, None)  # used 10 of its 34
    assert budget.reserve("h2", 30, 1, 20, None) is None  # 10 + 34
    assert budget.reserve("h3", 30, 1, 20, None) is not None  # 10 + 34 + 34 > 70
    assert budget.figures() == {"calls": 2, "tokens": 10, "cost": 0.0}


def test_cost_counts_at_the_generator_price_and_unpriced_calls_stop_a_cost_limit():
    budget = Budget(BudgetConfig(max_cost=100.0))
    # Worst case: 14 prompt tokens * 1 + 20 completion tokens * 2 = 54.
    assert budget.reserve("h1", 30, 1, 20, PRICE) is None
    budget.settle("h1", 10, 5, PRICE.cost(10, 5))  # 20
    assert budget.reserve("h2", 30, 1, 20, PRICE) is None  # 20 + 54 = 74
    stop = budget.reserve("h3", 30, 1, 20, PRICE)
    assert stop is not None and stop.limit == "max_cost"
    unpriced = Budget(BudgetConfig(max_cost=100.0)).reserve("h", 1, 1, 1, None)
    assert unpriced is not None and "has no `price`" in str(unpriced)


def test_a_call_without_reported_usage_keeps_its_reservation():
    budget = Budget(BudgetConfig(max_tokens=100))
    budget.reserve("h1", 30, 1, 20, None)
    budget.settle("h1", None, None, None)
    assert budget.figures()["tokens"] == 34


def _recipe(budget: dict | None, generator: dict | None = None) -> str:
    method = {**SELF_INSTRUCT, **({"generator": generator} if generator else {})}
    synthesis = {"methods": [method], **({"budget": budget} if budget is not None else {})}
    return yaml.safe_dump(recipe_dict(synthesis=synthesis))


def test_recipes_without_price_or_budget_dump_as_before():
    recipe = parse_recipe(_recipe(None), "plain.yaml")
    dumped = recipe.model_dump()
    assert "budget" not in dumped["synthesis"]
    assert "price" not in dumped["synthesis"]["methods"][0]["generator"]
    priced = parse_recipe(
        _recipe({"max_calls": 3}, {"price": {"input_per_million": 1, "output_per_million": 2}}),
        "priced.yaml",
    )
    assert priced.synthesis.budget == BudgetConfig(max_calls=3)
    assert priced.model_dump()["synthesis"]["methods"][0]["generator"]["price"] is not None
    assert priced.sha256 != recipe.sha256


def test_a_cost_limit_needs_a_price_on_every_generator():
    with pytest.raises(RecipeError, match=r"budget.max_cost needs a price .*methods.0 "):
        parse_recipe(_recipe({"max_cost": 1.0}), "unpriced.yaml")
    free = {"price": {"input_per_million": 0, "output_per_million": 0}}
    assert parse_recipe(_recipe({"max_cost": 1.0}, free), "free.yaml").synthesis.budget
    with pytest.raises(RecipeError, match="max_calls"):
        parse_recipe(_recipe({"max_calls": -1}), "negative.yaml")
