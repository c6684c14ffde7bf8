"""Every constraint checker against hand-written (response, constraint, verdict) triples
(tests/data/constraint_triples.jsonl): edge cases of Unicode, code blocks and nested lists
included, at least four a kind, all must agree."""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path

import pytest

from assets.constraints import (
    Constraint,
    ConstraintDraw,
    constraint_kind,
    draw,
    render,
    verify,
)
from assets.recipe.loader import RecipeError, parse_recipe
from assets.registry import CONSTRAINTS

TRIPLES_FILE = Path(__file__).resolve().parents[3] / "data" / "constraint_triples.jsonl"
TRIPLES = [json.loads(line) for line in TRIPLES_FILE.read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize(
    "triple", TRIPLES, ids=[f"{t['constraint']['kind']}-{i}" for i, t in enumerate(TRIPLES)]
)
def test_checker_agrees_with_the_hand_written_verdict(triple):
    (result,) = verify(triple["response"], [Constraint(**triple["constraint"])])
    assert result["passed"] is triple["passed"], (triple["note"], result["reason"])
    # A failure always says why; a pass says nothing.
    assert (result["reason"] is None) is triple["passed"]


def test_every_kind_has_at_least_four_triples_both_ways():
    kinds = Counter(t["constraint"]["kind"] for t in TRIPLES)
    assert set(kinds) == set(CONSTRAINTS.names())
    assert len(kinds) >= 20 and len(TRIPLES) >= 120
    assert min(kinds.values()) >= 4
    for verdict in (True, False):
        assert {t["constraint"]["kind"] for t in TRIPLES if t["passed"] is verdict} == set(kinds)


def test_draws_are_deterministic_compatible_and_rendered():
    names = CONSTRAINTS.names()
    for index in range(200):
        drawn = draw(random.Random(f"7:{index}"), names, 1, 3)
        assert drawn == draw(random.Random(f"7:{index}"), names, 1, 3)
        assert 1 <= len(drawn) <= 3
        kinds = [constraint_kind(c.kind) for c in drawn]
        assert all(a.compatible(b) for a in kinds for b in kinds if a is not b)
        text = render("Explain rain.", drawn)
        assert text.startswith("Explain rain.\n") and len(text.splitlines()) >= len(drawn) + 1
    draws = [draw(random.Random(i), names, 3, 3) for i in range(300)]
    with_json = [d for d in draws if "json_schema" in {c.kind for c in d}]
    assert with_json and all(len(d) == 1 for d in with_json), "an exclusive kind went with others"


def test_conflicting_kinds_are_never_drawn_together():
    # Only the two case kinds to choose from: one of them, never both.
    for index in range(20):
        drawn = draw(random.Random(index), ["lowercase", "uppercase"], 2, 2)
        assert len(drawn) == 1


def test_unknown_kind_and_bad_parameters_are_errors():
    with pytest.raises(LookupError, match="no constraint kind named 'shouting'"):
        verify("x", [Constraint(kind="shouting")])
    with pytest.raises(ValueError, match="relation"):
        verify("x", [Constraint(kind="word_count", params={"relation": "around", "count": 3})])


def test_recipes_name_only_registered_kinds_with_sane_bounds():
    base = (
        "name: x\nseed: {sources: [{path: a.jsonl}]}\nsynthesis: {methods: [{method: "
        "constrained_instruct, %s}]}\n"
    )
    recipe = parse_recipe(base % "constraints: {kinds: [no_commas, title]}", "r.yaml")
    assert recipe.synthesis.methods[0].constraints.kinds == ["no_commas", "title"]
    with pytest.raises(RecipeError, match="unknown constraint kinds \\['shouting'\\]"):
        parse_recipe(base % "constraints: {kinds: [shouting]}", "r.yaml")
    with pytest.raises(RecipeError, match="min_constraints is larger"):
        parse_recipe(base % "constraints: {min_constraints: 3, max_constraints: 2}", "r.yaml")


def test_carried_constraints_win_over_drawn_ones():
    carried = [{"kind": "no_commas", "params": {}}]
    row = {"attributes": json.dumps({"constraints": carried})}
    constraints, drawn = ConstraintDraw().for_row(row, "key")
    assert [c.model_dump() for c in constraints] == carried and not drawn
    constraints, drawn = ConstraintDraw(kinds=["title"]).for_row({"attributes": None}, "key")
    assert [c.kind for c in constraints] == ["title"] and drawn


def test_fixed_params_override_only_what_they_name():
    kinds = ["word_count", "sentence_count", "no_commas"]
    free = ConstraintDraw(kinds=kinds, max_constraints=3)
    fixed = ConstraintDraw(
        kinds=kinds, max_constraints=3, params={"word_count": {"relation": "at_most"}}
    )
    counts = set()
    for index in range(100):
        row = {"attributes": None}
        before, _ = free.for_row(row, f"7:{index}")
        after, drawn = fixed.for_row(row, f"7:{index}")
        assert drawn and [c.kind for c in after] == [c.kind for c in before]
        for old, new in zip(before, after, strict=True):
            if new.kind == "word_count":
                # The relation is fixed; the count is still the one drawn.
                assert new.params == {**old.params, "relation": "at_most"}
                counts.add(new.params["count"])
            else:
                assert new == old
    assert len(counts) > 5
    # Without `params` the dump is what it was before the key existed.
    assert "params" not in free.model_dump() and fixed.model_dump()["params"]


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ("{title: {}}", "params names 'title', which is not among the kinds drawn"),
        ("{word_count: {relations: at_most}}", "Count has no relations \\(it has relation, count"),
        ("{word_count: {relation: around}}", "params.word_count: Input should be"),
        ("{word_count: {count: -1}}", "params.word_count: Input should be greater than"),
    ],
)
def test_fixed_params_are_checked_when_the_recipe_is_read(params, error):
    recipe = (
        "name: x\nseed: {sources: [{path: a.jsonl}]}\nsynthesis: {methods: [{method: "
        "constrained_instruct, constraints: {kinds: [word_count, no_commas], params: %s}}]}\n"
    )
    with pytest.raises(RecipeError, match=error):
        parse_recipe(recipe % params, "r.yaml")
