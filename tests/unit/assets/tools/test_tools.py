"""Each bundled tool computes real answers and refuses hostile arguments with a `ToolError`
(never Python's own evaluation, never SQL from its arguments)."""

from __future__ import annotations

import json

import pytest

from assets.registry import TOOLS
from assets.tools.base import ToolError, argument_problem, spec
from assets.tools.calculator import Calculator, evaluate
from assets.tools.dates import DateArithmetic
from assets.tools.document_search import DocumentSearch
from assets.tools.table_query import PlanetTable
from assets.tools.units import UnitConversion


@pytest.mark.parametrize(
    ("expression", "value"),
    [
        ("1 + 2 * 3", 7),
        ("(1 + 2) * 3", 9),
        ("2 ^ 3 ^ 2", 512),
        ("2 ** 10", 1024),
        ("-2 ^ 2", -4),
        ("17.5 / 100 * 2340", 409.5),
        ("7 // 2 + 7 % 2", 4),
        ("sqrt(16) + abs(-3)", 7),
        ("1e3 + .5", 1000.5),
        ("round(pi * 100)", 314),
    ],
)
def test_calculator_arithmetic(expression: str, value: float):
    assert evaluate(expression) == pytest.approx(value)


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("__import__('os').system('true')", "unexpected character"),
        ("open('/etc/passwd')", "unexpected character"),
        ("exit(1)", "unexpected 'exit'"),
        ("1; 2", "unexpected character"),
        ("x + 1", "unexpected 'x'"),
        ("1 / 0", "division by zero"),
        ("9 ^ 9 ^ 9", "exponent"),
        ("10 ^ 999", "out of range"),
        ("(-8) ^ 0.5", "out of range"),
        ("(" * 60 + "1" + ")" * 60, "nests deeper"),
        ("1 +", "ends too early"),
        ("(1 + 2", "ends too early"),
        ("(1 + 2 3", "not closed"),
        ("sqrt(-1)", "sqrt"),
        ("1" * 300, "longer than"),
        ("", "empty"),
    ],
)
def test_calculator_refuses_hostile_or_broken_expressions(expression: str, message: str):
    with pytest.raises(ToolError, match=message):
        evaluate(expression)


def test_calculator_formats_integers_plainly():
    assert Calculator().run({"expression": "6 * 7"}) == "42"
    assert Calculator().run({"expression": "1 / 3"}) == "0.333333333333"


def test_unit_conversion():
    tool = UnitConversion()
    assert (
        tool.run({"value": 26.2, "from_unit": "mi", "to_unit": "km"}) == "26.2 mi = 42.1648128 km"
    )
    assert tool.run({"value": 100, "from_unit": "C", "to_unit": "F"}) == "100 C = 212 F"
    assert tool.run({"value": 2, "from_unit": "h", "to_unit": "min"}) == "2 h = 120 min"
    with pytest.raises(ToolError, match="cannot convert kg"):
        tool.run({"value": 1, "from_unit": "kg", "to_unit": "km"})
    with pytest.raises(ToolError, match="not both temperatures"):
        tool.run({"value": 1, "from_unit": "C", "to_unit": "m"})
    with pytest.raises(ToolError, match="below absolute zero"):
        tool.run({"value": -500, "from_unit": "C", "to_unit": "K"})
    with pytest.raises(ToolError, match="out of range"):
        tool.run({"value": float("inf"), "from_unit": "m", "to_unit": "km"})
    assert argument_problem(tool, {"value": 1, "from_unit": "parsec", "to_unit": "m"})


def test_date_arithmetic():
    tool = DateArithmetic()
    assert tool.run({"operation": "add_days", "date": "2024-03-15", "days": 90}) == "2024-06-13"
    assert tool.run({"operation": "weekday", "date": "1969-07-20"}) == "Sunday"
    assert (
        tool.run({"operation": "days_between", "date": "2024-01-01", "other_date": "2025-01-01"})
        == "366"
    )
    with pytest.raises(ToolError, match="not a date"):
        tool.run({"operation": "weekday", "date": "2024-02-30"})
    with pytest.raises(ToolError, match="outside years"):
        tool.run({"operation": "add_days", "date": "9999-12-01", "days": 3_000_000})
    with pytest.raises(ToolError, match="needs `days`"):
        tool.run({"operation": "add_days", "date": "2024-01-01"})
    assert argument_problem(tool, {"operation": "weekday", "date": "2024-1-1"})
    assert argument_problem(tool, {"operation": "rm -rf", "date": "2024-01-01"})


def test_planet_table_runs_fixed_queries_only():
    tool = PlanetTable()
    assert json.loads(tool.run({"query": "lookup", "planet": "mars"}))["moons"] == 2
    ranked = json.loads(tool.run({"query": "rank", "metric": "moons", "limit": 2}))
    assert [r["name"] for r in ranked] == ["Saturn", "Jupiter"]
    smallest = json.loads(
        tool.run({"query": "rank", "metric": "mean_radius_km", "order": "ascending", "limit": 1})
    )
    assert smallest == [{"name": "Mercury", "mean_radius_km": 2439.7}]
    # A value is a parameter, never SQL: an injection attempt is just an unknown planet.
    with pytest.raises(ToolError, match="no planet named"):
        tool.run({"query": "lookup", "planet": "x' OR '1'='1"})
    with pytest.raises(ToolError, match="no metric"):
        tool.run({"query": "rank", "metric": "name; DROP TABLE planets"})
    assert argument_problem(tool, {"query": "rank", "metric": "name; DROP TABLE planets"})
    assert argument_problem(tool, {"query": "lookup", "sql": "SELECT 1"})
    assert json.loads(tool.run({"query": "lookup", "planet": "Earth"}))["moons"] == 1


def test_document_search_finds_the_bundled_passage():
    tool = DocumentSearch()
    (best,) = json.loads(tool.run({"query": "chlorophyll light"}))
    assert best["text"].startswith("Photosynthesis")
    with pytest.raises(ToolError, match="no words"):
        tool.run({"query": "?!"})
    with pytest.raises(ToolError, match="no document mentions"):
        tool.run({"query": "zzzqqq"})
    assert argument_problem(tool, {"query": "light", "limit": 1000})


def test_every_registered_tool_has_a_valid_openai_spec():
    for name in TOOLS.names():
        tool = TOOLS.get(name)()
        described = spec(tool)
        assert described["function"]["name"] == name
        assert described["function"]["parameters"]["type"] == "object"
