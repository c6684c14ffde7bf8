"""Constraints as data (kind and parameters), checked, drawn and rendered through the
registry."""

from __future__ import annotations

import random
from typing import Any

from pydantic import Field

from assets.registry import CONSTRAINTS
from assets.synthesis.constraints.base import ConstraintKind
from warehouse.settings import Strict


class Constraint(Strict):
    """One constraint on a response: a registered kind and its parameters."""

    kind: str
    params: dict[str, Any] = Field(default_factory=dict)


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


def draw(rng: random.Random, kinds: list[str], low: int, high: int) -> list[Constraint]:
    """Between `low` and `high` mutually compatible constraints of `kinds`: the kinds are
    shuffled by `rng`, taken in that order when compatible with those already taken, and
    each one's parameters drawn by `rng` (the same `rng` state gives the same constraints)."""
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
    return [
        Constraint(kind=kind.name, params=kind.draw(rng).model_dump(mode="json")) for kind in taken
    ]


def render(instruction: str, constraints: list[Constraint]) -> str:
    """The instruction followed by one sentence per constraint, each on its own line."""
    asks = [(kind := constraint_kind(c.kind)).describe(kind.params(c.params)) for c in constraints]
    return "\n".join([instruction.rstrip(), *asks]) if asks else instruction
