"""Finding code and tests in text a model or a seed file wrote."""

from __future__ import annotations

import json

from assets.execution.code_blocks import (
    as_response,
    first_python_block,
    python_blocks,
    row_tests,
    sections,
)
from assets.synthesis.methods.program_of_thought import check_printed, program_of


def test_python_blocks_prefer_labelled_ones_and_ignore_other_languages():
    text = "Run:\n```bash\nls\n```\n```python\nx = 1\n```\nthen\n```py\ny = 2\n```"
    assert python_blocks(text) == ["x = 1\n", "y = 2\n"]
    assert first_python_block("```\nprint(1)\n```") == "print(1)\n"
    assert first_python_block("```sql\nSELECT 1\n```") is None
    assert first_python_block("```python\nunclosed") is None
    assert first_python_block(None) is None


def test_row_tests_read_a_string_or_a_list_and_nothing_else():
    assert row_tests(json.dumps({"tests": "assert f()\n"})) == "assert f()\n"
    assert (
        row_tests(json.dumps({"tests": ["assert f()", "assert g()"]})) == "assert f()\nassert g()"
    )
    for attributes in (
        None,
        "",
        "{}",
        "not json",
        "[1]",
        json.dumps({"tests": 3}),
        '{"tests": " "}',
    ):
        assert row_tests(attributes) is None


def test_sections_split_a_model_answer_and_take_the_code_of_code_sections():
    answer = (
        "**PROBLEM:**\nReverse a string.\n\nSOLUTION:\n```python\ndef rev(s):\n    return s[::-1]\n```"
        "\nExplanation.\nTESTS:\n```python\nassert rev('ab') == 'ba'\n```\n"
    )
    assert sections(answer) == {
        "problem": "Reverse a string.",
        "solution": "def rev(s):\n    return s[::-1]\n",
        "tests": "assert rev('ab') == 'ba'\n",
    }
    assert sections("no headings at all") == {}
    assert sections("PROBLEM:\nOnly a problem.") == {"problem": "Only a problem."}
    assert as_response("x = 1\n", "Done.") == "```python\nx = 1\n```\nDone."


def test_programs_and_printed_answers():
    assert program_of("print(6 * 7)\n```\nThis prints 42.") == "print(6 * 7)\n"
    assert program_of("Here:\n```python\nprint(1)\n```") == "print(1)\n"
    assert check_printed("42", "42", 1e-6, 1e-9).matched
    assert check_printed("0.25", "1/4", 1e-6, 1e-9).matched
    assert check_printed("$1,200", "1200", 1e-6, 1e-9).matched
    assert not check_printed("41.9", "42", 1e-6, 1e-9).matched
    assert check_printed("Paris", "paris", 1e-6, 1e-9).how == "string"
