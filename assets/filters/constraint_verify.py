"""Rows that carry verifiable constraints (`attributes.constraints`: kind and parameters, as
`constrained_instruct` writes them or a user's seed file brings them) re-checked by the same
checkers (assets/constraints), whoever wrote the row.

What is checked, by kind of row:

- an instruction row: its `response` must pass every constraint;
- a preference row: its chosen side (`response`) must pass strictly more constraints than its
  rejected side (`attributes.rejected`): the claim a `checks` pair makes;
- a conversation: its last assistant turn must pass every constraint;
- a document: its `text` must pass every constraint.

A failing row is dropped with one decision whose evidence names the field (and turn), the
first failed constraint's kind, parameters and reason, and every failed constraint. A row whose
constraints cannot be read (not a list, an unknown kind, bad parameters) is dropped with the
problem in the evidence. Rows without constraints are left alone: a substring test on
`attributes` finds the few that have them, and only those are decoded and checked.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, ClassVar

import polars as pl
from pydantic import ValidationError

from assets.constraints import Constraint, constraint_kind, verify
from assets.filters.defects.units import units
from assets.registry import RegistryError
from assets.run_context import RunContext
from assets.steps import FLAG_SCHEMA, RowFilter
from warehouse.settings import Strict


class ConstraintVerifyConfig(Strict):
    """Re-check rows carrying `attributes.constraints`; drop those that fail them."""

    enabled: bool = True


def _constraints(carried: object) -> list[Constraint]:
    """The carried constraints, each kind registered and its parameters valid; a ValueError
    names the first that is not (its position, kind and every invalid parameter)."""
    if not isinstance(carried, list):
        raise ValueError(f"attributes.constraints is {type(carried).__name__}, not a list")
    constraints = []
    for number, raw in enumerate(carried, 1):
        try:
            constraint = Constraint.model_validate(raw)
            constraint_kind(constraint.kind).params(constraint.params)
        except ValidationError as exc:
            errors = "; ".join(
                f"{'.'.join(map(str, e['loc'])) or 'value'}: {e['msg']}" for e in exc.errors()
            )
            raise ValueError(f"constraint {number} ({raw}): {errors}") from exc
        constraints.append(constraint)
    return constraints


def _failures(verification: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [v for v in verification if not v["passed"]]


@dataclass(frozen=True)
class ConstraintVerify(RowFilter):
    name: str = "constraint_verify"
    Config: ClassVar[type[Strict]] = ConstraintVerifyConfig
    config_key: ClassVar[str] = "constraint_verify"

    @classmethod
    def from_config(cls, config: ConstraintVerifyConfig, run: RunContext) -> list[ConstraintVerify]:
        return [cls()] if config.enabled else []

    def flag(self, rows: pl.DataFrame) -> pl.DataFrame:
        # The cheap test first: most rows carry no constraints and are never decoded.
        carrying = rows.filter(
            pl.col("attributes").fill_null("").str.contains('"constraints"', literal=True)
        )
        if carrying.is_empty():
            return pl.DataFrame(schema=FLAG_SCHEMA)
        answers = self._answers(carrying)
        flags = []
        for row in carrying.select("row_id", "kind", "attributes").iter_rows(named=True):
            carried = json.loads(row["attributes"]).get("constraints")
            if not carried:
                continue  # the word in some other value, or an empty list: nothing to check
            try:
                constraints = _constraints(carried)
                evidence = self._judge(row["kind"], constraints, answers.get(row["row_id"], {}))
            except (ValueError, RegistryError) as exc:
                evidence = {"problem": f"unreadable constraints: {exc}"}
            if evidence is not None:
                flags.append(
                    {
                        "row_id": row["row_id"],
                        "rule": self.name,
                        "score": evidence.pop("score", None),
                        "evidence": json.dumps(evidence, ensure_ascii=False),
                    }
                )
        return pl.DataFrame(flags, schema=FLAG_SCHEMA)

    @staticmethod
    def _answers(rows: pl.DataFrame) -> dict[str, dict[str, dict[str, Any]]]:
        """Per row, the texts judged: `response`, `rejected`, `text` or the last assistant
        turn (`messages`, with its turn number)."""
        found = (
            units(rows, ("response", "rejected", "text", "messages"), ("assistant",))
            .sort("row_id", "field", "turn", nulls_last=False)
            .unique(["row_id", "field"], keep="last", maintain_order=True)
        )
        answers: dict[str, dict[str, dict[str, Any]]] = {}
        for unit in found.select("row_id", "field", "turn", "text").iter_rows(named=True):
            answers.setdefault(unit["row_id"], {})[unit["field"]] = unit
        return answers

    @staticmethod
    def _judge(
        kind: str, constraints: list[Constraint], answers: dict[str, dict[str, Any]]
    ) -> dict[str, Any] | None:
        """The evidence of a row failing its constraints, None when it passes."""
        field = {"preference": "response", "conversation": "messages", "document": "text"}.get(
            kind, "response"
        )
        answer = answers.get(field, {"text": "", "turn": None})
        verification = verify(answer["text"] or "", constraints)
        failed = _failures(verification)
        where = {"field": field, **({"turn": answer["turn"]} if answer["turn"] else {})}
        if kind == "preference":
            rejected = verify(answers.get("rejected", {"text": ""})["text"] or "", constraints)
            chosen_passed = len(verification) - len(failed)
            rejected_passed = len(rejected) - len(_failures(rejected))
            if chosen_passed > rejected_passed:
                return None
            return {
                **where,
                "score": float(chosen_passed - rejected_passed),
                "reason": f"chosen passes {chosen_passed} of {len(verification)} checks, "
                f"rejected {rejected_passed}: not strictly more",
                "chosen_failed": failed,
                "rejected_failed": _failures(rejected),
            }
        if not failed:
            return None
        first = failed[0]
        return {
            **where,
            "score": 1 - len(failed) / len(verification),
            "kind": first["kind"],
            "params": first["params"],
            "reason": first["reason"],
            "failed": failed,
        }
