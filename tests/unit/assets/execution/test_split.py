"""Splitting tests into computed and expected sides, and judging the reported values."""

from __future__ import annotations

import math

import pytest

from assets.execution.split import Check, split_tests
from assets.execution.verdict import Forged, Judge, RunReport, decode, parse_report

SOLUTION = "import math\n\ndef f(x):\n    return x * 2\n"


def solution_text(plan) -> str:
    return "\n".join(step[3] for step in plan.run_steps("solution"))


def test_expected_sides_never_reach_the_solution_run():
    tests = (
        "want = [7777, 8888]\n"
        "data = [1, 2]\n"
        "assert [f(x) for x in data] != want\n"
        "assert f(3) == 6 and 9999 > f(1)\n"
        "assert 6666 == f(3333)\n"
        "assert f(2) in {4, 5555}\n"
        "assert sorted([4444, 1]) != f(1)\n"
    )
    plan = split_tests(tests, SOLUTION)
    sent = solution_text(plan)
    for expected in ("7777", "8888", "9999", "6666", "5555", "4444", "want"):
        assert expected not in sent
    assert "data = [1, 2]" in sent and "f(3333)" in sent  # the inputs do go
    expected_run = "\n".join(step[3] for step in plan.run_steps("expected"))
    assert "sorted([4444, 1])" in expected_run and "want = [7777, 8888]" in expected_run
    assert "f(" not in expected_run
    assert plan.needs_expected_run and all(t.unverifiable is None for t in plan.tests)


def test_setup_that_uses_the_solution_taints_what_it_touches():
    tests = "a = {'x': 1}\nmerge(a, {'x': 1})\nassert a == {'x': 1}\n"
    plan = split_tests(tests, "def merge(a, b):\n    return {**a, **b}\n")
    ((check,),) = [t.body for t in plan.tests]
    left, right = check.tree[1]
    assert (left.run, right.run, right.value) == ("solution", "literal", {"x": 1})
    assert solution_text(plan).splitlines() == ["a = {'x': 1}", "merge(a, {'x': 1})", "a"]
    assert not plan.needs_expected_run


@pytest.mark.parametrize(
    ("tests", "reason"),
    [
        ("for x in [1, 2]:\n    assert f(x) > 0\n", "holding an assert"),
        ("assert f(1) is f(1)\n", "identity"),
        ("assert (y := f(1)) == 2\n", "assignment inside an assert"),
        ("def test_a(tmp_path):\n    assert f(1) == 2\n", "parameters"),
        ("def test_a():\n    if f(1):\n        return\n    assert f(2) == 4\n", "holding"),
        ("def test_a():\n    print(f(1))\n", "without an assert"),
        ("try:\n    f(None)\n    assert False\nexcept Exception:\n    pass\n", "own failure"),
        ("import json\ntry:\n    f(1)\nexcept json.JSONDecodeError:\n    pass\nelse:\n"
         "    raise AssertionError\n", "except clause"),
    ],
)  # fmt: skip
def test_shapes_that_cannot_be_split_are_unverifiable_with_their_reason(tests, reason):
    plan = split_tests(tests, SOLUTION)
    (test,) = plan.tests
    assert test.unverifiable is not None and reason in test.unverifiable
    outcome = Judge(plan, RunReport("passed", None, None), None).outcomes()[0]
    assert not outcome["passed"] and outcome["kind"] == "unverifiable"


def test_exception_tests_in_each_of_their_forms():
    tests = (
        "def test_negative():\n    try:\n        f(-1)\n    except ValueError:\n        return\n"
        "    raise AssertionError('f(-1) must raise')\n"
        "try:\n    f(None)\nexcept (TypeError, Oops):\n    pass\nelse:\n    assert False\n"
        "try:\n    f('')\n    raise AssertionError('no error')\nexcept IOError:\n    pass\n"
    )
    plan = split_tests(tests, SOLUTION + "class Oops(Exception):\n    pass\n")
    trees = {t.name.split("\n")[0]: next(c for c in t.body if isinstance(c, Check)).tree
             for t in plan.tests}  # fmt: skip
    assert trees["test_negative"][2:] == (["builtins.ValueError"], "f(-1) must raise")
    assert trees["try:"][2] in (["builtins.TypeError", "solution.Oops"], ["builtins.OSError"])
    assert all(tree[0] == "raises" and tree[1].run == "solution" for tree in trees.values())


def report(values: dict, plan) -> RunReport:
    return RunReport("passed", None, None, dict(values), {}, [])


def test_the_parent_compares_decoded_plain_values_by_the_tests_operators():
    tests = (
        "assert f(1) == (1, 2)\nassert f(2) == {1, 2}\nassert f(3) is True\n"
        "assert f(4) != f(4)\nassert f(5) < 3 <= f(6)\nassert not f(7)\nassert f(8) == 2\n"
    )
    plan = split_tests(tests, SOLUTION)
    ids = [s[2] for s in plan.run_steps("solution")]
    values = [
        {"t": [1, 2]},
        {"z": [1, 2]},
        True,
        {"f": "nan"},
        {"f": "nan"},
        2,
        3,
        [],
        {"f": "2.0"},
    ]
    outcomes = Judge(plan, report(dict(zip(ids, values, strict=True)), plan), None).outcomes()
    assert [o["passed"] for o in outcomes] == [True, True, True, True, True, True, True]
    values = [[1, 2], [1, 2], 1, 0, 0, 3, 3, [0], "2"]
    outcomes = Judge(plan, report(dict(zip(ids, values, strict=True)), plan), None).outcomes()
    assert [o["passed"] for o in outcomes] == [False] * 7
    assert outcomes[0]["message"] == "f(1) (computed [1, 2]) == (1, 2) is false"


def test_decoding_keeps_the_types_json_would_lose():
    assert decode({"t": [1, {"s": ["a"]}]}) == (1, {"a"})
    assert decode({"d": [[{"t": [1, 2]}, None], ["k", {"b": "ff"}]]}) == {
        (1, 2): None,
        "k": b"\xff",
    }
    assert math.isnan(decode({"f": "nan"})) and decode({"c": [1, {"f": "-0.5"}]}) == 1 - 0.5j
    for bad in ({"x": 1}, {"t": 1, "s": []}, {"s": [[1]]}, {"d": [[1]]}):
        with pytest.raises((ValueError, TypeError)):
            decode(bad)


def test_only_one_report_of_this_run_is_accepted():
    good = b'{"nonce":"n1","status":"passed","violations":[],"stopped":{},"values":{"3":1}}'
    assert parse_report(good, "n1", {3}, {0}).values == {3: 1}
    assert parse_report(b"", "n1", {3}, {0}) is None
    for forged, nonce, valued in [
        (good, "n2", {3}),  # another run's report
        (good + good, "n1", {3}),  # a second document
        (b"x" + good, "n1", {3}),  # something written before the report
        (good, "n1", {4}),  # a value for a step this run was not given
        (good.replace(b'"3":1', b'"3":1,"3":2'), "n1", {3}),  # a step reported twice
        (good.replace(b'"3":1', b'"3":' + b"[" * 100000 + b"]" * 100000), "n1", {3}),
    ]:
        with pytest.raises(Forged):
            parse_report(forged, nonce, valued, {0})


@pytest.mark.parametrize("depth", ["-" * 20000 + "f(1)", "f(" + "1+" * 20000 + "1)"])
def test_tests_too_deep_to_parse_are_a_syntax_error_not_a_crash(depth):
    plan = split_tests(f"assert {depth}\n", SOLUTION)
    assert plan.syntax_error is not None and plan.tests == []
