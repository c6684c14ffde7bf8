"""JSON schemas for model outputs: checked when built, canonical sha256, and the parse of an
output naming the schema and the first problem."""

from __future__ import annotations

import pytest

from assets.models.json_schema import JsonSchema, SchemaMismatch
from assets.models.rubric_judge import score_schema

QA = {
    "type": "object",
    "properties": {"question": {"type": "string", "minLength": 1}, "answer": {"type": "string"}},
    "required": ["question", "answer"],
    "additionalProperties": False,
}


def test_sha256_is_over_canonical_json_so_key_order_does_not_matter():
    reordered = dict(reversed(list(QA.items())))
    assert JsonSchema("qa", QA).sha256 == JsonSchema("qa", reordered).sha256
    changed = {**QA, "required": ["question"]}
    assert JsonSchema("qa", QA).sha256 != JsonSchema("qa", changed).sha256
    assert JsonSchema("qa", QA).canonical.startswith('{"additionalProperties":false,')


def test_a_broken_schema_or_name_fails_where_it_is_written():
    with pytest.raises(ValueError, match="'qa' is not a valid schema"):
        JsonSchema("qa", {"type": "objekt"})
    with pytest.raises(ValueError, match="name 'q a'"):
        JsonSchema("q a", QA)


@pytest.mark.parametrize(
    ("output", "problem"),
    [
        ('{"question": "Why?", "answer": "Because."}', None),
        # Raw newlines in strings, as llama.cpp's grammars allow, are read.
        ('{"question": "Why?",\n "answer": "Because\n."}', None),
        ('{"question": "Why?"', "not JSON"),
        ('{"question": "", "answer": "x"}', "at question: '' should be non-empty"),
        ('{"question": "Why?"}', "at (root): 'answer' is a required property"),
        ('{"question": "Why?", "answer": "x", "extra": 1}', "Additional properties"),
    ],
)
def test_outputs_are_checked_with_the_first_problem_named(output, problem):
    schema = JsonSchema("qa", QA)
    found = schema.problem(output)
    if problem is None:
        assert found is None
        assert schema.parse(output)["question"] == "Why?"
    else:
        assert problem in found
        with pytest.raises(SchemaMismatch, match=r"schema 'qa' \(sha256 [0-9a-f]{12}\)"):
            schema.parse(output)


@pytest.mark.parametrize(
    ("output", "scale", "score"),
    [('{"score": 7}', 10, 7), ('{"score": 5}', 5, 5), ('{"score": 7}', 5, None)],
)
def test_rubric_scores_are_held_to_the_scale(output, scale, score):
    schema = score_schema(scale)
    assert (schema.parse(output)["score"] if schema.problem(output) is None else None) == score
    assert score_schema(5).sha256 != score_schema(10).sha256
