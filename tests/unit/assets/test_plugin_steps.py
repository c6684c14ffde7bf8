"""Plug-in dedup steps, scores and detectors (tests/plugin_example) are configured under their
own keys of the recipe's sections and built like built-ins, with `from_config`.

The sections are assembled from the registries when the recipe module is imported, so the
entry points are registered (as an installed package's would be) in a fresh interpreter;
tests/e2e/test_plugins.py installs the whole package instead."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import REPO, TESTS

PLUGIN_RUN = """
import json
from importlib.metadata import EntryPoint

import polars as pl

import assets.registry as registry

plugins = {
    "synthfoundry.dedup": EntryPoint(
        "prefix_duplicate", "synthfoundry_example.dedup:PrefixDedup", "synthfoundry.dedup"
    ),
    "synthfoundry.scores": EntryPoint(
        "word_count", "synthfoundry_example.score:WordCount", "synthfoundry.scores"
    ),
    "synthfoundry.detectors": EntryPoint(
        "keyword", "synthfoundry_example.detector:KeywordDetector", "synthfoundry.detectors"
    ),
}
registry.entry_points = lambda group: [plugins[group]] if group in plugins else []

from assets.decontamination.detector import decontamination_steps
from assets.filters.pipeline import filtered_steps
from assets.recipe.loader import parse_recipe
from assets.run_context import RunContext
from assets.stream import run_steps
from warehouse.rows import conform, with_row_ids

head = (
    "name: x\\nseed: {sources: [{path: a.jsonl}]}\\n"
    "synthesis: {methods: [{method: seed_passthrough}]}\\n"
)
recipe = parse_recipe(
    head
    + "filters: {language: {enabled: false}, word_count: {enabled: true, min_words: 2}}\\n"
    + "dedup: {prefix: {enabled: true, chars: 20}}\\n"
    + "decontamination: {keyword: {words: [tungsten]}, rule: ngram or keyword}\\n",
    "r.yaml",
)
rows = with_row_ids(conform(pl.DataFrame({
    "kind": ["instruction"] * 4,
    "instruction": [
        "Describe the zebra's stripes.",
        "Describe the zebra's stripes, briefly.",
        "Name the metal in old light bulbs.",
        "Describe a horse.",
    ],
    "response": ["They confuse flies.", "Flies, mostly.", "Tungsten, it melts late.", "Fast."],
})))
filtered = run_steps(rows, filtered_steps(recipe.filters, recipe.dedup, RunContext()), "filtered")
items = pl.DataFrame({"benchmark": ["b"], "item_id": ["1"], "text": ["unrelated item text"]})
steps = decontamination_steps(recipe.decontamination, RunContext(benchmarks=items))
decontaminated = run_steps(filtered.rows, steps, "decontaminated")
print(json.dumps({
    "filtered_steps": [s.name for s in filtered_steps(recipe.filters, recipe.dedup, RunContext())],
    "detectors": [s.name for s in steps],
    "filtered": filtered.decisions.select("rule", "evidence").rows(),
    "word_counts": filtered.rows["word_count"].to_list(),
    "decontaminated": decontaminated.decisions.select("rule", "evidence").rows(),
    "kept": decontaminated.rows["instruction"].to_list(),
}))
"""


def test_plugin_dedup_score_and_detector_are_configured_in_their_sections():
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
    # Plug-ins run after the built-ins of their kind: dedup after near dedup, scores last.
    names = found["filtered_steps"]
    assert names.index("near_duplicate") < names.index("prefix_duplicate")
    assert names[-1] == "word_count"
    assert found["detectors"] == ["ngram", "keyword", "benchmark_contamination"]
    # The dedup step drops one zebra row, the score the one-word response.
    (dedup, score) = found["filtered"]
    assert dedup[0] == "prefix_duplicate"
    assert json.loads(dedup[1])["prefix"] == "Describe the zebra's"
    assert score[0] == "word_count" and json.loads(score[1]) == {"word_count": 1}
    assert len(found["word_counts"]) == 2 and 4 in found["word_counts"]
    # The detector's verdict names it and carries its own evidence.
    ((rule, evidence),) = found["decontaminated"]
    evidence = json.loads(evidence)
    assert rule == "benchmark_contamination"
    assert evidence["detectors"] == ["keyword"] and evidence["keyword"] == {"kw_word": "tungsten"}
    (kept,) = found["kept"]
    assert kept.startswith("Describe the zebra's stripes")
