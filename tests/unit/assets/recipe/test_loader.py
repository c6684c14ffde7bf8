"""Recipe mistakes are caught on load, naming the file and the key."""

from __future__ import annotations

import pytest

from assets.recipe.loader import RecipeError, load_recipe, parse_recipe


def test_bundled_demo_recipe_is_valid(tmp_path):
    recipe = load_recipe("bundled:demo_recipe.yaml", tmp_path)
    assert [m.method for m in recipe.synthesis.methods] == [
        "seed_passthrough",
        "programmatic_math",
        "self_instruct",
        "evol_instruct",
        "rephrase",
        "verified_cot",
        "grounded_qa",
        "constrained_instruct",
        "preference_pairs",
        "back_translation",
        "self_chat",
        "magpie",
        "tool_use",
        "code_instruct",
        "program_of_thought",
    ]
    assert recipe.filters.code_verify.enabled
    methods = {m.method: m for m in recipe.synthesis.methods}
    assert methods["preference_pairs"].signal == "checks"
    assert set(methods["self_instruct"].attributes) == {"topic", "persona"}
    assert set(recipe.synthesis.samplers) == {"topics", "personas", "difficulty"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "name: x\nseed: {sources: [{path: a.jsonl}]}\nsynthesis: {methods: [{method: seed_passthrough}]}\nfilters: {min_response_chars: many}\n",
            "filters.length_bounds.min_response_chars: Input should be a valid integer",
        ),
        (
            "name: x\nseed: {sources: [{path: a.jsonl}]}\nsynthesis: {methods: [{method: dream_up}]}\n",
            "synthesis.methods.0",
        ),
        (
            "name: x\nseed: {sources: [{path: a.jsonl}]}\nsynthesis: {methods: [{method: seed_passthrough}]}\nfilterz: {}\n",
            "filterz: Extra inputs are not permitted",
        ),
        ("name: x\nsynthesis: {methods: [{method: seed_passthrough}]}\n", "seed: Field required"),
        (
            "name: x\nseed: {sources: []}\nsynthesis: {methods: [{method: seed_passthrough}]}\n",
            "seed.sources",
        ),
        ("name: [unclosed\n", "not valid YAML"),
    ],
)
def test_invalid_recipe_names_the_key(text, expected):
    with pytest.raises(RecipeError) as error:
        parse_recipe(text, "my_recipe.yaml")
    assert str(error.value).startswith("my_recipe.yaml")
    assert expected in str(error.value)


def test_missing_recipe_file_is_named(tmp_path):
    with pytest.raises(RecipeError, match="nope.yaml: cannot read recipe"):
        load_recipe(str(tmp_path / "nope.yaml"), tmp_path)
