"""Method attributes in the recipe: sampler names and template placeholders are checked on
load, naming the method, the template and the attribute; recipes without samplers hash as
before."""

from __future__ import annotations

import pytest

from assets.recipe.loader import RecipeError, parse_recipe

HEAD = "name: x\nseed: {sources: [{path: a.jsonl}]}\n"
SAMPLERS = (
    "  samplers:\n"
    "    topics: {type: taxonomy, path: bundled:topics.yaml}\n"
    "    personas: {type: persona, path: bundled:personas.jsonl}\n"
    "    level: {type: category, values: [easy, hard]}\n"
)


def _recipe(method: str) -> str:
    return f"{HEAD}synthesis:\n{SAMPLERS}  methods:\n    - {method}\n"


def test_steered_methods_load():
    recipe = parse_recipe(
        _recipe(
            "{method: self_instruct, instruction_template: self_instruct_steered, "
            "attributes: {topic: topics, persona: personas}}\n"
            "    - {method: evol_instruct, depth_template: evol_depth_steered, "
            "breadth_template: evol_breadth_steered, attributes: {difficulty: level}}"
        ),
        "r.yaml",
    )
    self_instruct, evol = recipe.synthesis.methods
    assert self_instruct.attributes == {"topic": "topics", "persona": "personas"}
    assert evol.attributes == {"difficulty": "level"}
    assert set(recipe.synthesis.samplers) == {"topics", "personas", "level"}


@pytest.mark.parametrize(
    ("method", "problem"),
    [
        (
            "{method: self_instruct, instruction_template: self_instruct_steered, "
            "attributes: {topic: topics}}",
            "methods.0 (self_instruct): template 'self_instruct_steered' "
            "names $persona, which is not an attribute of self_instruct (attributes: ['topic'])",
        ),
        (
            "{method: self_instruct, attributes: {topic: topics}}",
            "attribute 'topic' is named by none of its templates",
        ),
        (
            "{method: self_instruct, instruction_template: self_instruct_steered, "
            "attributes: {topic: topics, persona: people}}",
            "attribute 'persona' names sampler 'people', which is not in synthesis.samplers",
        ),
        (
            "{method: evol_instruct, depth_template: evol_depth_steered, attributes: {}}",
            "template 'evol_depth_steered' names $difficulty",
        ),
    ],
)
def test_attribute_mistakes_name_the_method_template_and_attribute(method, problem):
    with pytest.raises(RecipeError) as error:
        parse_recipe(_recipe(method), "r.yaml")
    assert problem in str(error.value)


def test_rephrase_checks_each_style_template():
    steered = (
        "{method: rephrase, template_prefix: rephrase_for, styles: [plain], "
        "attributes: {persona: personas}}"
    )
    (rephrase,) = parse_recipe(_recipe(steered), "r.yaml").synthesis.methods
    assert rephrase.attributes == {"persona": "personas"}
    with pytest.raises(RecipeError, match="no prompt template named 'rephrase_for_qa'"):
        parse_recipe(_recipe(steered.replace("[plain]", "[plain, qa]")), "r.yaml")
    with pytest.raises(RecipeError, match="attribute 'persona' is named by none of its templates"):
        parse_recipe(_recipe(steered.replace("rephrase_for", "rephrase")), "r.yaml")


def test_recipes_without_samplers_hash_as_before():
    plain = parse_recipe(f"{HEAD}synthesis: {{methods: [{{method: self_instruct}}]}}\n", "r")
    dumped = plain.model_dump()
    assert "samplers" not in dumped["synthesis"]
    assert "attributes" not in dumped["synthesis"]["methods"][0]


def test_recipes_without_a_budget_hash_as_before_too():
    plain = parse_recipe(f"{HEAD}synthesis: {{methods: [{{method: seed_passthrough}}]}}\n", "r")
    assert "budget" not in plain.model_dump()["synthesis"]
