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


@pytest.mark.parametrize(
    ("entry", "template", "placeholder"),
    [
        ("verified_cot, template: cot_rationale_for", "cot_rationale_for", "persona"),
        ("grounded_qa, template: grounded_qa_for", "grounded_qa_for", "persona"),
        ("back_translation, template: translate_register", "translate_register", "register"),
        ("tool_use, answer_template: tool_answer_for", "tool_answer_for", "persona"),
        ("code_instruct, template: code_instruct_topic", "code_instruct_topic", "topic"),
        (
            "program_of_thought, template: program_of_thought_for",
            "program_of_thought_for",
            "persona",
        ),
        ("constrained_instruct, template: response_for", "response_for", "persona"),
        ("magpie, answer_template: response_for", "response_for", "persona"),
        ("preference_pairs, generators: [{template: response_for}]", "response_for", "persona"),
        ("critique_revise, template: response_for", "response_for", "persona"),
        # The critique and revise templates are held to the attributes as the draft's is.
        ("critique_revise, revise_template: response_for", "response_for", "persona"),
    ],
)
def test_every_method_names_the_template_and_attribute_it_was_not_given(
    entry, template, placeholder
):
    method = entry.split(",")[0]
    with pytest.raises(RecipeError) as error:
        parse_recipe(_recipe(f"{{method: {entry}, attributes: {{level: level}}}}"), "r.yaml")
    assert (
        f"({method}): template '{template}' names ${placeholder}, which is not an attribute of "
        f"{method} (attributes: ['level'])"
    ) in str(error.value)


def test_self_chat_takes_its_persona_from_an_attribute_or_its_list_not_both():
    (chat,) = parse_recipe(
        _recipe("{method: self_chat, attributes: {persona: personas}}"), "r.yaml"
    ).synthesis.methods
    assert chat.attributes == {"persona": "personas"}
    with pytest.raises(RecipeError, match="personas and the attribute `persona` both say"):
        parse_recipe(
            _recipe("{method: self_chat, personas: [a cook], attributes: {persona: personas}}"),
            "r.yaml",
        )
    # Without the attribute, `$persona` is the method's own, as before.
    with pytest.raises(RecipeError, match="attribute 'level' is named by none of its templates"):
        parse_recipe(_recipe("{method: self_chat, attributes: {level: level}}"), "r.yaml")


def test_magpie_prefix_is_a_template_only_with_attributes():
    prefix = "'<|im_start|>system\\nAbout $topic.<|im_end|>\\n<|im_start|>user\\n'"
    plain = parse_recipe(_recipe(f"{{method: magpie, user_prefix: {prefix}}}"), "r.yaml")
    assert "$topic" in plain.synthesis.methods[0].user_prefix
    (steered,) = parse_recipe(
        _recipe(f"{{method: magpie, user_prefix: {prefix}, attributes: {{topic: topics}}}}"),
        "r.yaml",
    ).synthesis.methods
    assert steered.attributes == {"topic": "topics"}
    with pytest.raises(RecipeError, match="template 'magpie_user_prefix' names \\$topic"):
        parse_recipe(
            _recipe(
                f"{{method: magpie, user_prefix: {prefix}, answer_template: response_for, "
                "attributes: {persona: personas}}"
            ),
            "r.yaml",
        )


def test_added_template_keys_stay_out_of_the_dump_at_their_defaults():
    methods = parse_recipe(
        _recipe("{method: tool_use}\n    - {method: self_chat}\n    - {method: magpie}"), "r.yaml"
    ).synthesis.methods
    for config in methods:
        dumped = config.model_dump()
        assert not set(type(config).added_keys) & set(dumped)
    changed = parse_recipe(_recipe("{method: tool_use, task_template: tool_task}"), "r.yaml")
    assert "task_template" not in changed.synthesis.methods[0].model_dump()
    other = parse_recipe(
        _recipe(
            "{method: tool_use, answer_template: tool_answer_for, attributes: {persona: personas}}"
        ),
        "r.yaml",
    )
    assert other.synthesis.methods[0].model_dump()["answer_template"] == "tool_answer_for"
