"""The constraint_verify filter re-checks rows carrying `attributes.constraints` (as a user's
seed file or constrained_instruct brings them): an instruction's response must pass every
constraint, a preference pair's chosen side strictly more than its rejected side, a
conversation's last assistant turn and a document's text every one. Rows without constraints
are left alone."""

from __future__ import annotations

import json

import polars as pl

from assets.filters.constraint_verify import ConstraintVerify, ConstraintVerifyConfig
from assets.filters.pipeline import filtered_steps
from assets.recipe.sections import DedupConfig, FilterConfig
from assets.registry import FILTERS
from assets.run_context import RunContext
from assets.stream import StageOutput, run_steps
from tests.unit.assets.test_steps import check_batch_invariance
from warehouse.conversations import canonical_messages, encode
from warehouse.rows import conform, with_row_ids

NO_COMMAS = {"kind": "no_commas", "params": {}}
AT_MOST_5_WORDS = {"kind": "word_count", "params": {"relation": "at_most", "count": 5}}
TITLE = {"kind": "title", "params": {}}


def _row(kind: str, constraints: list | None = None, **fields) -> dict:
    attributes = dict(fields.pop("attributes", {}))
    if constraints is not None:
        attributes["constraints"] = constraints
    return {"kind": kind, "attributes": json.dumps(attributes), **fields}


def _chat(*turns: str) -> str:
    roles = ["user", "assistant"] * ((len(turns) + 1) // 2)
    return encode(
        canonical_messages(
            [{"role": r, "content": t} for r, t in zip(roles[: len(turns)], turns, strict=True)]
        )
    )


ROWS = {
    # name: (row, dropped)
    "instruction passes": (
        _row("instruction", [NO_COMMAS, TITLE], instruction="Name a sea.", response="<<Sea>> Red"),
        False,
    ),
    "instruction fails one": (
        _row(
            "instruction",
            [NO_COMMAS, AT_MOST_5_WORDS],
            instruction="Name two seas.",
            response="The Red Sea, the Dead Sea.",
        ),
        True,
    ),
    "no constraints": (
        _row("instruction", instruction="Name two seas.", response="Red, Dead, and so on."),
        False,
    ),
    "empty constraints": (
        _row("instruction", [], instruction="Name two seas.", response="Red, Dead."),
        False,
    ),
    "preference strictly better": (
        _row(
            "preference",
            [NO_COMMAS, TITLE],
            instruction="Title a poem about rain.",
            response="<<Rain>> falls, and falls",
            attributes={"rejected": "Rain, falling, again"},
        ),
        False,
    ),
    "preference not better": (
        _row(
            "preference",
            [NO_COMMAS, TITLE],
            instruction="Title a poem about snow.",
            response="<<Snow>>, white",
            attributes={"rejected": "<<Snow>>, cold"},
        ),
        True,
    ),
    "conversation last turn passes": (
        _row("conversation", [NO_COMMAS], messages=_chat("Hi", "Hello, you", "Bye", "Bye now")),
        False,
    ),
    "conversation last turn fails": (
        _row("conversation", [NO_COMMAS], messages=_chat("Hi", "Hello you", "Bye", "Bye, now")),
        True,
    ),
    "document fails": (_row("document", [TITLE], text="A document without a title."), True),
    "unknown kind": (
        _row("instruction", [{"kind": "haiku", "params": {}}], instruction="Q1?", response="A"),
        True,
    ),
    "bad parameters": (
        _row(
            "instruction",
            [{"kind": "word_count", "params": {"count": -1}}],
            instruction="Q2?",
            response="A",
        ),
        True,
    ),
}


def _frame() -> pl.DataFrame:
    rows = with_row_ids(conform(pl.DataFrame([row for row, _ in ROWS.values()])))
    assert rows["row_id"].n_unique() == len(ROWS)
    return rows


def _filtered(rows: pl.DataFrame) -> StageOutput:
    return run_steps(
        rows, ConstraintVerify.from_config(ConstraintVerifyConfig(), RunContext()), "filtered"
    )


def _evidence(out: StageOutput, rows: pl.DataFrame, name: str) -> dict:
    row_id = rows["row_id"][list(ROWS).index(name)]
    (decision,) = out.decisions.filter(pl.col("row_id") == row_id).to_dicts()
    assert decision["rule"] == "constraint_verify"
    return json.loads(decision["evidence"])


def test_rows_failing_their_constraints_are_dropped_the_rest_kept():
    rows = _frame()
    out = _filtered(rows)
    dropped = set(rows["row_id"]) - set(out.rows["row_id"])
    expected = {
        row_id for row_id, (_, drop) in zip(rows["row_id"], ROWS.values(), strict=True) if drop
    }
    assert dropped == expected
    assert set(out.decisions["row_id"]) == expected


def test_the_evidence_names_the_field_the_kind_its_parameters_and_the_reason():
    rows = _frame()
    out = _filtered(rows)
    instruction = _evidence(out, rows, "instruction fails one")
    assert instruction["field"] == "response"
    assert instruction["kind"] == "no_commas"
    assert instruction["params"] == {}
    assert instruction["reason"] == "1 commas"
    assert [f["kind"] for f in instruction["failed"]] == ["no_commas", "word_count"]
    assert instruction["failed"][1]["reason"] == "found 6 words, expected at most 5"

    chat = _evidence(out, rows, "conversation last turn fails")
    assert (chat["field"], chat["turn"], chat["kind"]) == ("messages", 4, "no_commas")

    pair = _evidence(out, rows, "preference not better")
    assert pair["reason"] == "chosen passes 1 of 2 checks, rejected 1: not strictly more"
    assert [f["kind"] for f in pair["rejected_failed"]] == ["no_commas"]

    assert _evidence(out, rows, "document fails")["reason"] == (
        "no title in <<double angular brackets>>"
    )
    assert "haiku" in _evidence(out, rows, "unknown kind")["problem"]
    assert "count" in _evidence(out, rows, "bad parameters")["problem"]


def test_rows_without_constraints_are_returned_as_they_came():
    rows = _frame().filter(~pl.col("attributes").str.contains("constraints"))
    out = _filtered(rows)
    assert out.rows.equals(rows)
    assert out.decisions.is_empty()


def test_registered_on_by_default_and_off_when_disabled():
    assert "constraint_verify" in FILTERS.names()
    names = [s.name for s in filtered_steps(FilterConfig(), DedupConfig(), RunContext())]
    assert "constraint_verify" in names
    off = FilterConfig.model_validate({"constraint_verify": {"enabled": False}})
    assert "constraint_verify" not in [
        s.name for s in filtered_steps(off, DedupConfig(), RunContext())
    ]


def test_same_decisions_whole_and_in_batches():
    checked = check_batch_invariance(
        _frame(), lambda: ConstraintVerify.from_config(ConstraintVerifyConfig(), RunContext())
    )
    assert checked == ["constraint_verify"]
