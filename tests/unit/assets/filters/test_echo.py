"""A response that only repeats its instruction is dropped with the echo rule; answers that
share words with the question, or restate it and then answer it, are kept."""

from __future__ import annotations

import json

import polars as pl

from assets.filters.echo import EchoesInstruction, EchoRules
from assets.filters.pipeline import filtered_steps
from assets.recipe.sections import DedupConfig, FilterConfig
from assets.run_context import RunContext
from assets.stream import StageOutput, run_steps
from warehouse.rows import conform, with_row_ids

# instruction -> (response, dropped as an echo)
CASES = {
    "Name three rivers in Africa.": ("Name three rivers in Africa", True),
    "Explain why the sky is blue.": ("  EXPLAIN why the sky... is blue!!  ", True),
    "Describe the water cycle briefly.": ("Sure! Describe the water cycle briefly.", True),
    # Starting with the whole instruction is an echo, whatever follows.
    "Summarize the plot of Hamlet.": ("Summarize the plot of Hamlet. Hamlet is a prince.", True),
    # Copies of (part of) the instruction, as the demo's SmolLM2 made them.
    'Rewrite this so a child understands it: "The sky looks blue because air scatters '
    'blue light."': ("The sky looks blue because air scatters blue rays.", True),
    'Sentence 1: "The newest product is made of recycled materials.': (
        "The newest product is made of recycled materials.",
        True,
    ),
    # A short answer picked from the question is no copy.
    "Which is larger, the Pacific or the Atlantic?": ("The Pacific.", False),
    "What is the capital of France?": ("The capital of France is Paris.", False),
    "List two prime numbers please.": ("Two prime numbers: 2 and 3.", False),
    # Whole words only: "cat" repeated inside "cats" is no echo.
    "Define cat": ("Define cats and dogs", False),
}


def filter_rows(rows: pl.DataFrame, filters: FilterConfig | None = None) -> StageOutput:
    """The echo filter alone, as the recipe's `filters` configure it."""
    steps = EchoesInstruction.from_config((filters or FilterConfig()).echo, RunContext())
    return run_steps(rows, steps, stage="filtered")


def test_the_filtered_stage_runs_it_after_the_refusal_rule():
    names = [step.name for step in filtered_steps(FilterConfig(), DedupConfig(), RunContext())]
    assert names.index("echoes_instruction") == names.index("refusal") + 1


def _rows(cases: dict) -> pl.DataFrame:
    frame = pl.DataFrame(
        {
            "kind": ["instruction"] * len(cases),
            "instruction": list(cases),
            "response": [response for response, _ in cases.values()],
        }
    )
    return with_row_ids(conform(frame))


def test_echoes_are_dropped_with_their_evidence_and_answers_kept():
    rows = _rows(CASES)
    result = filter_rows(rows)
    dropped = result.decisions.join(rows.select("row_id", "instruction"), on="row_id")
    assert set(dropped["rule"]) == {"echoes_instruction"}
    assert sorted(dropped["instruction"]) == sorted(k for k, (_, echo) in CASES.items() if echo)
    assert sorted(result.rows["instruction"]) == sorted(
        k for k, (_, echo) in CASES.items() if not echo
    )
    evidence = json.loads(
        dropped.filter(pl.col("instruction") == "Describe the water cycle briefly.")[
            "evidence"
        ].item()
    )
    assert (evidence["how"], evidence["added_words"]) == ("repeats", 1)
    assert evidence["response"] == "Sure! Describe the water cycle briefly."
    copy = dropped.filter(pl.col("instruction").str.starts_with("Sentence 1"))
    assert json.loads(copy["evidence"].item())["how"] == "copies"
    assert copy["score"].item() == 1.0  # every bigram of the response is in the instruction


def test_the_word_allowance_and_the_switch_come_from_the_recipe():
    rows = _rows(
        {"Describe the water cycle briefly.": ("Sure! Describe the water cycle briefly.", True)}
    )
    strict = FilterConfig(
        echo=EchoRules(max_added_words=0, min_copied_fraction=1.0, filler_wrapped=False)
    )
    assert filter_rows(rows, filters=strict).rows.height == 1
    off = FilterConfig(echo=EchoRules(enabled=False))
    assert filter_rows(rows, filters=off).rows.height == 1
    assert filter_rows(rows).rows.height == 0


def test_documents_and_instructions_without_words_are_not_echoes():
    frame = pl.DataFrame(
        {
            "kind": ["document", "instruction"],
            "text": ["A short document about rivers and the sea, long enough.", None],
            # No words to echo: an empty response is the empty_response rule's to judge.
            "instruction": [None, "?!"],
            "response": [None, ""],
        }
    )
    rows = with_row_ids(conform(frame))
    assert filter_rows(rows).decisions.is_empty()


def test_a_copy_that_loops_over_the_instruction_is_found_among_rows_that_cannot_copy():
    # Bigrams are built only where a copy is possible (few distinct words for the
    # instruction's length): a response looping over the instruction's words is one, a long
    # answer with many words of its own is not, and neither is judged differently for it.
    instruction = "Rewrite for a child: the sky looks blue because air scatters blue light."
    looping = "the sky looks blue because air scatters blue light " * 4
    own_words = (
        "Sunlight holds every colour. Tiny bits of air bounce the blue part around far more "
        "than the red part, so blue reaches your eyes from every direction of the sky."
    )
    rows = _rows({instruction: (looping, True), "Why is the sky blue?": (own_words, False)})
    flagged = EchoesInstruction().flag(rows).join(rows.select("row_id", "instruction"), on="row_id")
    assert flagged["instruction"].to_list() == [instruction]
    assert json.loads(flagged["evidence"].item())["how"] == "copies"
