"""critique_revise against a loopback OpenAI-compatible server whose drafts, critiques,
revisions and judge verdicts are scripted, so the content is known: the critique sees the
draft and the criteria, the revision sees the critique; a revision passing every constraint is
a verified row and one failing any is a decision; a pair is kept only when its chosen side
(the revision) passes strictly more checks than its rejected side (the draft), or, with the
pairwise judge, only when both orders prefer the revision."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import polars as pl
import pytest

from assets.constraints import Constraint, verify
from assets.models.generators import OpenAICompatibleModel, Sampling
from assets.synthesis.context import MethodOutput, SynthesisContext
from assets.synthesis.methods.critique_revise import CritiqueRevise, CritiqueReviseMethod
from tests.servers import Fault, FaultServer, fault_server
from warehouse import Warehouse
from warehouse.rows import conform, with_row_ids

NO_COMMAS = {"kind": "no_commas", "params": {}}
TITLE = {"kind": "title", "params": {}}
LOWERCASE = {"kind": "lowercase", "params": {}}
PRINCIPLE = "Answer only what was asked."
# instruction -> (constraints it carries, draft, critique, revision, judge prefers revision)
SCRIPT = {
    # The revision mends both constraints the draft broke: a verified row and a pair.
    "Name two seas.": (
        [NO_COMMAS, TITLE],
        "The Red Sea, the Dead Sea.",
        "It uses commas and has no <<title>>.",
        "<<Seas>> The Red Sea and the Dead Sea.",
        "revision",
    ),
    # Draft and revision pass the same one check: a verified row, no pair.
    "Name a river.": ([NO_COMMAS], "The Nile", "No problems.", "The Nile.", "first"),
    # The revision breaks what the draft kept: no row, no pair.
    "name a mountain.": (
        [NO_COMMAS, LOWERCASE],
        "everest",
        "Say more.",
        "Everest, of course.",
        "draft",
    ),
    # Principles only: a row without verification; nothing for checks to decide.
    "Name a desert.": (None, "The Sahara is a desert, and it is big.", "Too long.", "The Sahara.", "revision"),
}  # fmt: skip


def _reply(prompt: str) -> str:
    for instruction, (_, draft, critique, revision, judged) in SCRIPT.items():
        if prompt.strip() == instruction:
            return draft
        if not prompt.startswith(f"Instruction: {instruction}\n"):
            continue
        if "Which response" in prompt:
            first = prompt.split("Response A: ", 1)[1].split("\n", 1)[0]
            if judged == "first":  # follows the position, whatever it shows
                return json.dumps({"better": "A"})
            wanted = revision if judged == "revision" else draft
            return json.dumps({"better": "A" if first == wanted else "B"})
        if "Rewrite the draft" in prompt:
            return revision
        if "Check the response" in prompt:
            return critique
    raise AssertionError(f"unscripted prompt: {prompt!r}")


def _answer(prompt: str, attempt: int) -> Fault:
    return Fault(text=_reply(prompt))


def _seeds() -> pl.DataFrame:
    rows = [
        {
            "kind": "instruction",
            "task_type": "open_qa",
            "instruction": instruction,
            "response": "seed answer",
            "attributes": json.dumps({"constraints": c} if c else {}),
        }
        for instruction, (c, *_) in SCRIPT.items()
    ]
    return with_row_ids(conform(pl.DataFrame(rows)))


def _run(home: Path, preference: str) -> tuple[MethodOutput, FaultServer, pl.DataFrame]:
    seeds = _seeds()
    with fault_server(_answer) as server:
        model = OpenAICompatibleModel(
            backend="openai", base_url=server.base_url, model="stub", max_retries=0
        )
        sampling = Sampling(temperature=0.0, max_tokens=64)
        method = CritiqueReviseMethod(
            CritiqueRevise(
                method="critique_revise",
                principles=[PRINCIPLE],
                preference=preference,
                generator=model,
                judge=model,
                sampling=sampling,
                critique_sampling=sampling,
                judge_sampling=sampling,
            )
        )
        ctx = SynthesisContext(
            wh=Warehouse(home), run_id="r1", created_at=datetime(2026, 1, 1), random_seed=0
        )
        return method.run(seeds, ctx), server, seeds


def _by_instruction(output: MethodOutput, kind: str) -> dict[str, dict]:
    rows = output.rows.filter(pl.col("kind") == kind).to_dicts()
    return {r["instruction"]: {**r, "attributes": json.loads(r["attributes"])} for r in rows}


def _decisions(output: MethodOutput) -> list[dict]:
    return [
        {**d, "evidence": json.loads(d["evidence"])}
        for d in output.rejections.sort("rule").to_dicts()
    ]


def test_revisions_are_rows_when_they_pass_and_pairs_only_when_strictly_better(home):
    output, server, seeds = _run(home, "checks")
    prompts = [r.prompt for r in server.requests]
    # The critique sees the draft and every criterion; the revision sees the critique.
    critique = next(p for p in prompts if "Check the response" in p and "two seas" in p)
    assert "The Red Sea, the Dead Sea." in critique and f"- {PRINCIPLE}" in critique
    assert "- Do not use any commas in your answer." in critique
    revise = next(p for p in prompts if "Rewrite the draft" in p and "two seas" in p)
    assert "It uses commas and has no <<title>>." in revise
    assert not any("Which response" in p for p in prompts), "checks call no judge"

    rows = _by_instruction(output, "instruction")
    assert set(rows) == {"Name two seas.", "Name a river.", "Name a desert."}
    for instruction, row in rows.items():
        constraints, draft, critique_text, revision, _ = SCRIPT[instruction]
        attributes = row["attributes"]
        assert row["response"] == revision
        assert (attributes["draft"], attributes["critique"]) == (draft, critique_text)
        assert row["call_ids"] == [
            attributes["draft_call_id"],
            attributes["critique_call_id"],
            attributes["revision_call_id"],
        ]
        assert row["verified"] is (True if constraints else None)
        assert attributes["constraints"] == (constraints or [])
        assert attributes["principles"] == [PRINCIPLE]

    (pair,) = _by_instruction(output, "preference").values()
    attributes = pair["attributes"]
    constraints = [Constraint(**c) for c in attributes["constraints"]]
    assert pair["instruction"] == "Name two seas."
    assert pair["response"] == "<<Seas>> The Red Sea and the Dead Sea."
    assert attributes["rejected"] == "The Red Sea, the Dead Sea."
    # The chosen side passes strictly more checks than the rejected side, recomputed here.
    chosen = sum(v["passed"] for v in verify(pair["response"], constraints))
    rejected = sum(v["passed"] for v in verify(attributes["rejected"], constraints))
    assert (chosen, rejected) == (2, 0)
    assert (attributes["chosen_passed"], attributes["rejected_passed"]) == (2, 0)
    seas = rows["Name two seas."]["attributes"]
    assert pair["call_ids"] == [
        seas["revision_call_id"],
        seas["draft_call_id"],
        seas["critique_call_id"],
    ]
    assert attributes["critique_call_id"] == seas["critique_call_id"]
    assert pair["parent_ids"] == [seeds["row_id"][0]] == rows["Name two seas."]["parent_ids"]

    decisions = _decisions(output)
    assert [d["rule"] for d in decisions] == [
        "constraint_failed.no_commas",
        "no_constraints_to_check",
        "revision_not_better",
        "revision_not_better",
    ]
    mountain = decisions[0]["evidence"]
    assert mountain["failed"] == ["no_commas", "lowercase"] and mountain["draft"] == "everest"
    assert decisions[1]["evidence"]["instruction_row_id"] == seeds["row_id"][3]
    # No pair for the river (1 check passed by both) nor the mountain (0 against 2).
    passed = {
        (d["evidence"]["revision_passed"], d["evidence"]["draft_passed"]) for d in decisions[2:]
    }
    assert passed == {(1, 1), (0, 2)}


def test_the_pairwise_judge_keeps_a_pair_only_when_both_orders_prefer_the_revision(home):
    output, server, _ = _run(home, "pairwise_judge")
    pairs = _by_instruction(output, "preference")
    # The seas and the desert: preferred in both orders. The river: the judge said "A"
    # both times (the position). The mountain: the draft, in both orders.
    assert set(pairs) == {"Name two seas.", "Name a desert."}
    for pair in pairs.values():
        attributes = pair["attributes"]
        assert attributes["signal"] == "pairwise_judge"
        assert (attributes["forward_verdict"], attributes["backward_verdict"]) == ("B", "A")
        assert pair["call_ids"][3:] == [
            attributes["forward_judge_call_id"],
            attributes["backward_judge_call_id"],
        ]
    rules = sorted(d["rule"] for d in output.rejections.to_dicts())
    assert rules == ["constraint_failed.no_commas", "draft_preferred", "position_inconsistent"]


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    monkeypatch.setenv("SYNTHFOUNDRY_HOME", str(path))
    return path
