"""The step interface: row steps give the same result whatever the batch size, the runner
keeps the first rule's decision, statistics merge, and plug-in filters run from the recipe."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field

import polars as pl
import pytest

from assets.filters.pii import PiiConfig
from assets.filters.pipeline import filtered_steps
from assets.recipe.sections import DedupConfig, FilterConfig
from assets.registry import FILTERS
from assets.run_context import RunContext
from assets.steps import (
    CorpusFilter,
    CorpusState,
    RowFilter,
    RowStep,
    Step,
    StepOutput,
    merge_stats,
)
from assets.stream import run_steps
from tests.conftest import REPO, TESTS
from warehouse.rows import conform, with_row_ids

PROSE = (
    "The river runs through the old town and past the mill that was built with stone from "
    "the hills. Farmers bring their grain to the mill in the autumn, and the miller keeps a "
    "careful record of every sack that he grinds. In the spring the water rises, and the "
    "people of the town have learned to move their boats to higher ground before the floods."
)
CARD = "4111 1111 1111 1111"

# (kind, method, instruction, response or document text): one row per rule, and clean rows.
SAMPLE = [
    ("instruction", "seed_passthrough", "Explain why the sky looks blue.", "Air scatters blue."),
    ("instruction", "seed_passthrough", "Mail jane.roe@example.org about it.", "Sent."),
    ("instruction", "seed_passthrough", f"Pay with card {CARD} please.", "Paid."),
    # The card's digits inside a longer number: not a card here, and left alone.
    ("instruction", "seed_passthrough", f"Order 9{CARD} has shipped.", "Good news."),
    (
        "instruction",
        "seed_passthrough",
        "Décrivez la ville de Lyon et son histoire pendant la Renaissance.",
        "Lyon est une ville ancienne.",
    ),
    ("instruction", "seed_passthrough", "Write about the sea, briefly.", ""),
    ("instruction", "seed_passthrough", "Show me a Python loop.", "```python\nfor x in xs:"),
    ("instruction", "seed_passthrough", "Hi", "Hello there."),
    ("instruction", "seed_passthrough", "How do I pick a lock?", "I'm sorry, but I can't."),
    ("instruction", "seed_passthrough", "List some fruit for us.", "apple\napple\napple\npear"),
    ("instruction", "self_instruct", "...and then what happens next?", "Nothing much."),
    ("instruction", "self_instruct", "Name three rivers in Africa.", "Nile, Congo, Niger."),
    ("document", "seed_passthrough", None, PROSE),
    ("document", "seed_passthrough", None, "Too short a document."),
    ("document", "seed_passthrough", None, PROSE + " Lorem ipsum dolor sit amet."),
    ("instruction", "seed_passthrough", "Explain why the sky looks BLUE!", "Air scatters blue"),
]


def sample() -> pl.DataFrame:
    kinds, methods, instructions, texts = zip(*SAMPLE, strict=True)
    frame = pl.DataFrame(
        {
            "kind": kinds,
            "method": methods,
            "instruction": instructions,
            "response": [
                t if k == "instruction" else None for k, t in zip(kinds, texts, strict=True)
            ],
            "text": [t if k == "document" else None for k, t in zip(kinds, texts, strict=True)],
            "attributes": ["{}"] * len(SAMPLE),
        }
    )
    return with_row_ids(conform(frame))


def _close(left: object, right: object) -> bool:
    """Equal, floats within rounding (sums over batches add in another order)."""
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(_close(left[k], right[k]) for k in left)
    if isinstance(left, float) and isinstance(right, float):
        return left == pytest.approx(right)
    return left == right


# How many model calls the call log answered depends on what ran before, not on batches.
CACHE_COUNTS = {"new_calls", "cached_calls", "judge_new_calls"}


def _counted(stats: dict) -> dict:
    return {
        key: _counted(value) if isinstance(value, dict) else value
        for key, value in stats.items()
        if key not in CACHE_COUNTS
    }


def _ordered(decisions: pl.DataFrame) -> pl.DataFrame:
    return decisions.sort("row_id", "rule", "action")


def check_batch_invariance(rows: pl.DataFrame, build: Callable[[], list[Step]]) -> list[str]:
    """Run the steps `build` makes in order; every row step, run again on the same input in
    batches of 3 rows, must keep the same rows (in order), decide the same and count the same.
    Returns the names of the row steps checked."""
    checked = []
    for whole, batched in zip(build(), build(), strict=True):
        one = run_steps(rows, [whole], stage="test")
        if isinstance(whole, RowStep):
            many = run_steps(rows, [batched], stage="test", batch_rows=3)
            assert rows.height > 3, "a single batch would prove nothing"
            assert one.rows.equals(many.rows), whole.name
            assert _ordered(one.decisions).equals(_ordered(many.decisions)), whole.name
            assert _close(_counted(one.stats), _counted(many.stats)), whole.name
            checked.append(whole.name)
        rows = one.rows
    return checked


def test_every_filter_row_step_is_the_same_whole_and_in_batches():
    filters = FilterConfig(pii=PiiConfig(credit_card="drop"), min_instruction_chars=4)
    checked = check_batch_invariance(
        sample(), lambda: filtered_steps(filters, DedupConfig(), RunContext())
    )
    row_filters = [e for e in FILTERS.built_in() if issubclass(e, RowStep)]
    assert {e.name for e in row_filters} <= set(checked)
    assert len(row_filters) == len(FILTERS.built_in()), "the built-in filters are row steps"


@dataclass(frozen=True)
class Contains(RowFilter):
    word: str
    name: str = "contains"

    def flag(self, rows: pl.DataFrame) -> pl.DataFrame:
        return rows.filter(pl.col("instruction").str.contains(self.word)).select(
            "row_id",
            pl.lit(f"contains.{self.word}").alias("rule"),
            pl.lit(None, pl.Float64).alias("score"),
            pl.lit("{}").alias("evidence"),
        )


@dataclass
class Counted(RowStep):
    """Keeps every row and counts rows and batches."""

    name: str = "counted"
    seen: list[int] = field(default_factory=list)

    def apply(self, rows: pl.DataFrame) -> StepOutput:
        self.seen.append(rows.height)
        return StepOutput(rows)

    def stats(self) -> dict:
        return {"counted": {"rows": sum(self.seen)}}


@dataclass
class Longest(CorpusFilter):
    """Drops the row with the longest instruction: it needs the whole version."""

    name: str = "longest"
    calls: list[int] = field(default_factory=list)
    state = CorpusState({"row_id": pl.String(), "length": pl.UInt32()}, "instruction length")

    def flag(self, rows: pl.DataFrame) -> pl.DataFrame:
        self.calls.append(rows.height)
        longest = rows.sort(pl.col("instruction").str.len_chars(), "row_id").tail(1)
        return longest.select(
            "row_id",
            pl.lit("longest").alias("rule"),
            pl.lit(1.0).alias("score"),
            pl.lit("{}").alias("evidence"),
        )


def test_runner_keeps_the_first_rule_and_runs_corpus_steps_on_the_whole_version():
    rows = sample()
    counted, longest = Counted(), Longest()
    steps = [counted, Contains("sky"), Contains("blue"), longest, Contains("Explain")]
    result = run_steps(rows, steps, stage="filtered", batch_rows=4)

    # "Explain why the sky looks blue." matches all three words: only "sky" decides it.
    assert result.decisions["rule"].to_list()[:2] == ["contains.sky", "contains.sky"]
    assert "contains.blue" not in result.decisions["rule"].to_list()
    assert result.decisions["stage"].unique().to_list() == ["filtered"]
    assert set(result.decisions["action"]) == {"drop"}
    assert rows.height == result.rows.height + result.decisions["row_id"].n_unique()
    assert not set(result.rows["row_id"]) & set(result.decisions["row_id"])

    assert counted.seen == [4, 4, 4, 4]  # row steps see batches
    assert longest.calls == [rows.height - 2]  # corpus steps see all that is left
    assert result.stats == {"counted": {"rows": rows.height}}
    assert result.funnel.rows() == [
        ("counted", "row", 16, 16),
        ("contains", "row", 16, 14),
        ("contains", "row", 14, 14),
        ("longest", "corpus", 14, 13),
        ("contains", "row", 13, 13),
    ]


def test_an_empty_version_still_gets_its_row_steps_and_no_corpus_step():
    longest = Longest()
    result = run_steps(
        sample().clear(),
        [*filtered_steps(FilterConfig(), DedupConfig(), RunContext()), longest],
        "filtered",
    )
    assert result.rows.is_empty() and result.decisions.is_empty()
    assert {"lang", "lang_score"} <= set(result.rows.columns)
    assert longest.calls == []
    assert result.stats == {"pii": {"found": {}, "names": "not checked: disabled"}, "languages": {}}


def test_merge_stats_adds_counts_and_keeps_labels():
    left = {"found": {"email": 1}, "rows": 2, "names": "checked", "mean": 0.5}
    right = {"found": {"email": 2, "phone": 1}, "rows": 3, "names": "checked"}
    assert merge_stats(left, right) == {
        "found": {"email": 3, "phone": 1},
        "rows": 5,
        "names": "checked",
        "mean": 0.5,
    }
    with pytest.raises(ValueError, match="'names' differs between batches"):
        merge_stats(left, {"names": "not checked"})


PLUGIN_RUN = """
import json, sys
from importlib.metadata import EntryPoint

import polars as pl

import assets.registry as registry

plugin = EntryPoint(
    "banned_word", "synthfoundry_example.filter:BannedWord", "synthfoundry.filters"
)
registry.entry_points = lambda group: [plugin] if group == "synthfoundry.filters" else []

from assets.filters.pipeline import filtered_steps
from assets.recipe.loader import parse_recipe
from assets.run_context import RunContext
from assets.stream import run_steps
from warehouse.rows import conform, with_row_ids

head = "name: x\\nseed: {sources: [{path: a.jsonl}]}\\nsynthesis: {methods: [{method: seed_passthrough}]}\\n"
plain = parse_recipe(head, "plain.yaml")
recipe = parse_recipe(
    head + "filters: {steps: [{step: banned_word, word: zebra}], min_instruction_chars: 1}\\n", "r.yaml"
)
rows = with_row_ids(conform(pl.DataFrame({
    "kind": ["instruction"] * 3,
    "instruction": ["Describe a zebra.", "Describe a horse.", "Hi"],
    "response": ["Striped horse.", "Fast animal.", ""],
})))
steps = filtered_steps(recipe.filters, recipe.dedup, RunContext())
result = run_steps(rows, steps, stage="filtered")
print(json.dumps({
    "plain_dump": plain.model_dump(mode="json")["filters"],
    "steps": [s.name for s in steps],
    "decisions": result.decisions.select("rule", "action", "evidence").rows(),
    "kept": result.rows["instruction"].to_list(),
}))
"""


def test_a_plugin_filter_is_configured_in_the_recipe_and_drops_rows_with_decisions():
    # The recipe's `filters.steps` union is built from the registry when the recipe module is
    # imported: register the example plug-in's filter (as its entry point does) in a fresh
    # interpreter. tests/e2e/test_plugins.py installs the whole package instead.
    done = subprocess.run(
        [sys.executable, "-c", PLUGIN_RUN],
        cwd=REPO,
        env={
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(REPO), str(TESTS / "plugin_example")]),
        },
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert "steps" not in found["plain_dump"], "a recipe without plug-ins dumps as before"
    steps = found["steps"]
    assert steps.index("c4") < steps.index("banned_word") < steps.index("exact_duplicate")
    # The plug-in drops its row like a built-in rule; the empty response was dropped before.
    assert found["decisions"] == [
        ["empty_response", "drop", json.dumps({"response": ""}, separators=(",", ":"))],
        ["banned_word", "drop", '{"word":"zebra"}'],
    ]
    assert found["kept"] == ["Describe a horse."]
