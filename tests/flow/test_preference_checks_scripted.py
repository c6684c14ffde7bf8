"""preference_pairs with `signal: checks` against a loopback OpenAI-compatible server whose
answers are scripted per responder (a detailed and a concise template), so the checks each
response passes are known: a pair's chosen side passes strictly more checks; with
`chosen_passes_all` it must also pass every check, else the instruction is dropped as
`chosen_failed_checks` with the chosen response's verification in the evidence."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import polars as pl
import pytest

from assets.constraints import Constraint, verify
from assets.models.generators import OpenAICompatibleModel, Sampling
from assets.recipe.loader import RecipeError, parse_recipe
from assets.synthesis.context import MethodOutput, SynthesisContext
from assets.synthesis.methods.preference_pairs import PreferencePairs, PreferencePairsMethod
from tests.servers import Fault, fault_server
from warehouse import Warehouse
from warehouse.rows import conform, with_row_ids

CONSTRAINTS = [{"kind": "no_commas", "params": {}}, {"kind": "lowercase", "params": {}}]
CONCISE = "Answer the following in one or two short sentences."
# instruction -> (the detailed responder's answer, the concise responder's answer)
SCRIPT = {
    # 0 checks against 2: a pair either way.
    "Name two seas.": ("The Red Sea, the Dead Sea.", "the red sea and the dead sea."),
    # 0 against 1 (no commas, but a capital): a pair only when chosen need not pass all.
    "Name a river.": ("The Nile, in Egypt.", "The Nile."),
    # 2 against 2: no pair.
    "Name a desert.": ("the sahara.", "the sahara desert."),
}


def _answer(prompt: str, attempt: int) -> Fault:
    concise = prompt.startswith(CONCISE)
    instruction = prompt.removeprefix(CONCISE).strip()
    return Fault(text=SCRIPT[instruction][concise])


def _seeds() -> pl.DataFrame:
    rows = [
        {
            "kind": "instruction",
            "task_type": "open_qa",
            "instruction": instruction,
            "response": "seed answer",
            "attributes": json.dumps({"constraints": CONSTRAINTS}),
        }
        for instruction in SCRIPT
    ]
    return with_row_ids(conform(pl.DataFrame(rows)))


def _run(home: Path, chosen_passes_all: bool) -> MethodOutput:
    with fault_server(_answer) as server:
        model = OpenAICompatibleModel(
            backend="openai", base_url=server.base_url, model="stub", max_retries=0
        )
        sampling = Sampling(temperature=0.0, max_tokens=64)
        method = PreferencePairsMethod(
            PreferencePairs(
                method="preference_pairs",
                signal="checks",
                chosen_passes_all=chosen_passes_all,
                responses_per_generator=1,
                generators=[
                    {"generator": model, "sampling": sampling},
                    {"generator": model, "template": "concise_response", "sampling": sampling},
                ],
            )
        )
        ctx = SynthesisContext(
            wh=Warehouse(home), run_id="r1", created_at=datetime(2026, 1, 1), random_seed=0
        )
        return method.run(_seeds(), ctx)


def _pairs(output: MethodOutput) -> dict[str, dict]:
    rows = output.rows.filter(pl.col("kind") == "preference").to_dicts()
    return {r["instruction"]: {**r, "attributes": json.loads(r["attributes"])} for r in rows}


def _rules(output: MethodOutput) -> dict[str, str]:
    seeds = dict(zip(_seeds()["row_id"], _seeds()["instruction"], strict=True))
    return {
        seeds[json.loads(d["evidence"])["instruction_row_id"]]: d["rule"]
        for d in output.rejections.to_dicts()
    }


@pytest.mark.parametrize("chosen_passes_all", [False, True])
def test_chosen_passes_strictly_more_and_with_the_knob_every_check(home, chosen_passes_all):
    output = _run(home, chosen_passes_all)
    pairs = _pairs(output)
    expected = {"Name two seas."} if chosen_passes_all else {"Name two seas.", "Name a river."}
    assert set(pairs) == expected
    constraints = [Constraint(**c) for c in CONSTRAINTS]
    for instruction, pair in pairs.items():
        detailed, concise = SCRIPT[instruction]
        attributes = pair["attributes"]
        assert (pair["response"], attributes["rejected"]) == (concise, detailed)
        # Recomputed here, not read from the row.
        chosen = sum(v["passed"] for v in verify(pair["response"], constraints))
        rejected = sum(v["passed"] for v in verify(attributes["rejected"], constraints))
        assert chosen > rejected
        assert (attributes["chosen_passed"], attributes["rejected_passed"]) == (chosen, rejected)
        if chosen_passes_all:
            assert chosen == len(constraints)

    rules = _rules(output)
    assert rules["Name a desert."] == "equal_checks"
    if chosen_passes_all:
        assert rules["Name a river."] == "chosen_failed_checks"
        (river,) = [
            json.loads(d["evidence"])
            for d in output.rejections.to_dicts()
            if d["rule"] == "chosen_failed_checks"
        ]
        assert [v["passed"] for v in river["verification"]] == [True, False]
        assert river["verification"][1]["reason"].startswith("2 capital letters")
    else:
        assert "Name a river." not in rules


RECIPE = (
    "name: x\nseed: {sources: [{path: a.jsonl}]}\n"
    "synthesis: {methods: [{method: preference_pairs%s}]}\n"
)


def test_the_knob_goes_with_checks_and_leaves_other_recipes_hashing_as_before():
    with pytest.raises(RecipeError, match="chosen_passes_all goes with signal checks"):
        parse_recipe(RECIPE % ", chosen_passes_all: true", "r.yaml")
    plain = parse_recipe(RECIPE % ", signal: checks", "r.yaml")
    explicit = parse_recipe(RECIPE % ", signal: checks, chosen_passes_all: false", "r.yaml")
    strict = parse_recipe(RECIPE % ", signal: checks, chosen_passes_all: true", "r.yaml")
    assert "chosen_passes_all" not in plain.model_dump()["synthesis"]["methods"][0]
    assert plain.sha256 == explicit.sha256 != strict.sha256
