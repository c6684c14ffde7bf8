"""Constraints as data (kind and parameters), checked, drawn and rendered through the
registry."""

from __future__ import annotations

import json
import random
from typing import Any

from pydantic import Field, ValidationError, field_validator, model_serializer, model_validator

from assets.constraints.base import ConstraintKind
from assets.registry import CONSTRAINTS
from warehouse.settings import Strict


class Constraint(Strict):
    """One constraint on a response: a registered kind and its parameters."""

    kind: str
    params: dict[str, Any] = Field(default_factory=dict)


class ConstraintDraw(Strict):
    """How many constraints an instruction gets, and of which kinds."""

    kinds: list[str] | None = Field(
        default=None,
        min_length=1,
        description="Registered constraint kinds to draw from; null: every registered kind.",
    )
    min_constraints: int = Field(default=1, ge=1, le=3)
    max_constraints: int = Field(default=3, ge=1, le=3)
    params: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="Parameters fixed per kind, over the drawn ones: `{word_count: {relation: "
        "at_most}}` asks short-answer tasks for at most a drawn number of words, never at "
        "least (which a one-word answer meets only by padding).",
    )

    @field_validator("kinds")
    @classmethod
    def _registered(cls, kinds: list[str] | None) -> list[str] | None:
        unknown = sorted(set(kinds or ()) - set(CONSTRAINTS.names()))
        if unknown:
            raise ValueError(
                f"unknown constraint kinds {unknown} (registered: {', '.join(CONSTRAINTS.names())})"
            )
        return kinds

    @model_validator(mode="after")
    def _bounds(self) -> ConstraintDraw:
        if self.min_constraints > self.max_constraints:
            raise ValueError("min_constraints is larger than max_constraints")
        for name, fixed in self.params.items():
            if name not in (self.kinds or CONSTRAINTS.names()):
                raise ValueError(f"params names {name!r}, which is not among the kinds drawn")
            kind = constraint_kind(name)
            unknown = sorted(set(fixed) - set(kind.Params.model_fields))
            if unknown:
                raise ValueError(
                    f"params.{name}: {kind.Params.__name__} has no {', '.join(unknown)} "
                    f"(it has {', '.join(kind.Params.model_fields) or 'no parameters'})"
                )
            try:  # the fixed values over one draw: a bad value fails here, not mid-run
                fixed_params(kind, random.Random(0), fixed)
            except ValidationError as exc:
                raise ValueError(f"params.{name}: {exc.errors()[0]['msg']}") from exc
        return self

    @model_serializer(mode="wrap")
    def _hash_unchanged_without_params(self, handler: Any) -> dict:
        # Recipes that fix no parameters dump (and so hash) as before `params` existed.
        data = handler(self)
        if not self.params:
            data.pop("params", None)
        return data

    def for_row(self, row: dict[str, Any], key: str) -> tuple[list[Constraint], bool]:
        """The constraints of an instruction row and whether they were drawn: those its
        `attributes.constraints` carries (a user's file, an earlier method; its instruction
        already asks for them), else drawn by `random.Random(key)`, so a row gets the same
        constraints in every run and whatever rows come with it."""
        carried = carried_constraints(row)
        if carried:
            return carried, False
        rng = random.Random(key)
        kinds = self.kinds or CONSTRAINTS.names()
        drawn = draw(rng, kinds, self.min_constraints, self.max_constraints, self.params)
        return drawn, True


def carried_constraints(row: dict[str, Any]) -> list[Constraint]:
    """The constraints a row's `attributes.constraints` carries (none: an empty list)."""
    carried = json.loads(row.get("attributes") or "{}").get("constraints")
    return [Constraint.model_validate(c) for c in carried or ()]


def constraint_kind(name: str) -> ConstraintKind:
    return CONSTRAINTS.get(name)


def verify(response: str, constraints: list[Constraint]) -> list[dict[str, Any]]:
    """Each constraint with its verdict: `{kind, params, passed, reason}` (reason null when it
    passed), in the order given."""
    results = []
    for constraint in constraints:
        kind = constraint_kind(constraint.kind)
        passed, reason = kind.check(response, kind.params(constraint.params))
        results.append(
            {
                "kind": constraint.kind,
                "params": constraint.params,
                "passed": passed,
                "reason": reason,
            }
        )
    return results


def fixed_params(kind: ConstraintKind, rng: random.Random, fixed: dict[str, Any]) -> dict:
    """`kind`'s parameters drawn by `rng`, then `fixed` over them, validated."""
    drawn = kind.draw(rng).model_dump(mode="json")
    return kind.params({**drawn, **fixed}).model_dump(mode="json")


def draw(
    rng: random.Random,
    kinds: list[str],
    low: int,
    high: int,
    fixed: dict[str, dict[str, Any]] | None = None,
) -> list[Constraint]:
    """Between `low` and `high` mutually compatible constraints of `kinds`: the kinds are
    shuffled by `rng`, taken in that order when compatible with those already taken, and
    each one's parameters drawn by `rng` (the same `rng` state gives the same constraints),
    with `fixed[kind]` over them."""
    wanted = rng.randint(low, high)
    order = list(kinds)
    rng.shuffle(order)
    taken: list[ConstraintKind] = []
    for name in order:
        kind = constraint_kind(name)
        if all(kind.compatible(other) for other in taken):
            taken.append(kind)
        if len(taken) == wanted:
            break
    fixed = fixed or {}
    return [
        Constraint(kind=kind.name, params=fixed_params(kind, rng, fixed.get(kind.name, {})))
        for kind in taken
    ]


def describe(constraints: list[Constraint]) -> list[str]:
    """The sentence that asks for each constraint."""
    return [(kind := constraint_kind(c.kind)).describe(kind.params(c.params)) for c in constraints]


def render(instruction: str, constraints: list[Constraint]) -> str:
    """The instruction followed by one sentence per constraint, each on its own line."""
    asks = describe(constraints)
    return "\n".join([instruction.rstrip(), *asks]) if asks else instruction
