"""Language identification on hand-written sentences (tests/data/language_sentences.jsonl,
ten per language in en, fr, de, es, it, pt, nl): English instructions are kept and the others
dropped with a decision naming the language, with either identifier."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from assets.filters.language import LanguageConfig, identify
from assets.filters.pipeline import filtered_steps
from assets.recipe.root import DedupConfig, FilterConfig
from assets.run_context import RunContext
from assets.stream import run_steps
from tests.conftest import filter_rows
from warehouse.rows import conform, with_row_ids

SENTENCES = Path(__file__).resolve().parents[3] / "data" / "language_sentences.jsonl"


def _instructions(instructions: list[str], **columns: list[str]) -> pl.DataFrame:
    frame = pl.DataFrame(
        {"kind": "instruction", "instruction": instructions, "response": "ok", **columns}
    )
    return with_row_ids(conform(frame))


def _sentences() -> pl.DataFrame:
    """The hand-written sentences as instructions, their language as `task_type`."""
    sentences = pl.read_ndjson(SENTENCES)
    return _instructions(sentences["text"].to_list(), task_type=sentences["lang"].to_list())


@pytest.mark.parametrize("backend", ["fasttext", "lingua"])
def test_english_is_kept_and_other_languages_are_dropped(backend):
    rows = _sentences()
    # The language steps alone: the sentences are statements as often as tasks, which the
    # defect rules (not_a_task) would drop first.
    steps = [
        step
        for step in filtered_steps(
            FilterConfig(language={"backend": backend}), DedupConfig(), RunContext()
        )
        if step.name in ("language_id", "language")
    ]
    result = run_steps(rows, steps, stage="filtered")
    kept = set(result.rows["row_id"])
    truth = dict(zip(rows["row_id"], rows["task_type"], strict=True))
    english = {row_id for row_id, lang in truth.items() if lang == "en"}
    assert english <= kept
    others = set(truth) - english
    dropped = {
        row_id: json.loads(evidence)["value"]
        for row_id, rule, evidence in result.decisions.select("row_id", "rule", "evidence").rows()
        if rule == "language.not_allowed"
    }
    # fastText is unsure of two of the 60 short sentences (a Dutch one at 0.44, a Portuguese
    # one at 0.36): below min_confidence, so they are kept, not misfiled.
    assert len(set(dropped) & others) >= 58
    assert all(truth[row_id] == lang for row_id, lang in dropped.items())


def test_english_in_capitals_is_english():
    # As written, fastText reads these as Russian (0.17, 0.28; English 0.15 and below 0.13):
    # capitals look like another script to it. Lowercased, English at 0.90 and 0.84.
    shouted = [
        "DESCRIBE THE SACK HILL FLOOD GRAIN SPRING WATER MILL HILL FARMER BOAT MILLER TOWN.",
        "DESCRIBE THE SPRING FLOOD WATER MILLER RIVER SACK TOWN RECORD SPRING BOAT GRAIN.",
    ]
    judged = identify(_instructions(shouted), LanguageConfig())
    assert judged["lang"].to_list() == ["en", "en"]
    assert (judged["lang_score"] > 0.8).all()


def test_code_and_short_texts_are_not_judged():
    judged = identify(
        _instructions(["def f(x):\n    return x[::-1]", "Sort it."]), LanguageConfig()
    )
    assert judged["lang"].is_null().all() and judged["lang_score"].is_null().all()


@pytest.mark.parametrize("backend", ["fasttext", "lingua"])
def test_malformed_text_is_judged_without_error(backend):
    # A NUL byte, line and paragraph separators, control characters, a 250,000-character
    # text, emoji and zero-width spaces between letters: all reach the identifier, none
    # breaks it, and none of these English rows is dropped as another language.
    malformed = [
        "Write a poem about the sea\x00 and the wind that blows over it.",
        "Explain\u2028how\u2029rain forms over the\x0bocean and\x1cthe hills.",
        "Describe the river and the old stone mill. " * 6_000,
        "🙂🙂 describe the weather today in the mountains 🙂",
        "\u200b".join("Describe the river and the old stone mill"),
    ]
    result = filter_rows(
        _instructions(malformed), filters=FilterConfig(language={"backend": backend})
    )
    assert "language.not_allowed" not in set(result.decisions["rule"])
    judged = identify(_instructions(malformed), LanguageConfig(backend=backend))
    assert judged["lang"].to_list() == ["en"] * len(malformed)
