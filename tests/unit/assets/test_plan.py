"""The resolved plan: each stage's steps in the order it runs them, their settings, on or off."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from assets.paths import DEFAULT_RECIPE, resolve_path
from assets.recipe.loader import load_recipe
from orchestration.api import Warehouse, plan
from orchestration.cli import main

# The built-in rule sets first (PII and language identification lead), then dedup (exact,
# near, semantic), then scores: the order the filtered stage runs them.
FILTERED_HEAD = ["pii", "language_id", "empty_response", "truncated_response", "length_bounds"]
FILTERED_TAIL = ["off_topic", "code_verify", "exact", "near", "semantic", "judge", "reward"]


def _plans(home: Path, recipe: str = DEFAULT_RECIPE):
    return {stage.stage: stage for stage in plan(Warehouse(home), load_recipe(recipe, home))}


def test_the_demo_plan_lists_the_steps_in_stage_order(tmp_path):
    plans = _plans(tmp_path)
    filtered = [entry.name for entry in plans["filtered"].entries]
    assert filtered[:5] == FILTERED_HEAD and filtered[-7:] == FILTERED_TAIL
    kinds = [entry.kind for entry in plans["filtered"].entries]
    assert kinds[-5:] == ["dedup", "dedup", "dedup", "score", "score"]
    assert set(kinds[:-5]) == {"filter"}
    decontaminated = plans["decontaminated"].entries
    assert [e.name for e in decontaminated] == ["ngram", "embedding", "lexical", "judge", "verdict"]
    on = {e.name: e.on for e in decontaminated}
    assert on == {
        "ngram": True,
        "embedding": True,
        "lexical": False,
        "judge": False,
        "verdict": True,
    }
    assert decontaminated[-1].settings == {"rule": "ngram or embedding"}
    # What the stage runs is exactly the steps of the entries that are on, in plan order.
    entries = plans["filtered"].entries
    assert plans["filtered"].steps == [step for entry in entries for step in entry.steps]
    # The demo's older flat keys are read into their step's settings.
    length = next(e for e in entries if e.name == "length_bounds")
    assert length.key == "filters.length_bounds" and length.settings["min_instruction_chars"] == 12


def _recipe_with_steps_off(tmp_path: Path) -> Path:
    recipe = yaml.safe_load(resolve_path(DEFAULT_RECIPE, tmp_path).read_text())
    recipe["filters"]["refusal"] = {"enabled": False}
    recipe["dedup"]["near"]["enabled"] = False
    recipe["decontamination"]["lexical"] = {"threshold": 0.4}
    recipe["decontamination"]["rule"] = "ngram or embedding or lexical"
    path = tmp_path / "recipe.yaml"
    path.write_text(yaml.safe_dump(recipe), encoding="utf-8")
    return path


def test_a_step_turned_off_in_the_recipe_shows_as_off(tmp_path):
    plans = _plans(tmp_path, str(_recipe_with_steps_off(tmp_path)))
    filtered = {entry.name: entry for entry in plans["filtered"].entries}
    assert not filtered["refusal"].on and not filtered["near"].on
    assert filtered["refusal"].settings["enabled"] is False
    assert filtered["exact"].on and filtered["empty_response"].on
    lexical = next(e for e in plans["decontaminated"].entries if e.name == "lexical")
    assert lexical.on and lexical.settings["threshold"] == 0.4
    assert "| refusal | filter | off |" in plans["filtered"].markdown()


def test_the_plan_command(tmp_path, capsys):
    home = tmp_path / "not-created"
    recipe = str(_recipe_with_steps_off(tmp_path))
    assert main(["--home", str(home), "plan", "--recipe", recipe]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[1] == "filtered" and "decontaminated" in lines
    refusal = next(line for line in lines if " refusal " in line)
    assert refusal.split()[1] == "off" and '"enabled":false' in refusal
    assert not home.exists(), "a plan reads the recipe only"

    assert main(["--home", str(home), "plan", "--recipe", recipe, "--json"]) == 0
    stages = json.loads(capsys.readouterr().out)
    assert [s["stage"] for s in stages] == ["filtered", "decontaminated"]
    near = next(s for s in stages[0]["steps"] if s["name"] == "near")
    assert near == {**near, "kind": "dedup", "key": "dedup.near", "on": False}
