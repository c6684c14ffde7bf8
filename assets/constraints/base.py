"""What every constraint kind is: parameters, a pure check, the sentence that asks for it, and
how a method draws one.

A check reads only the response and its parameters and returns a `Verdict`: passed, or failed
with a reason a person can read in SQL ("found 3 bullet points, expected exactly 4"). Nothing
in a check calls a model, so a verdict is as reproducible as the row it judges.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, Literal, NamedTuple, TypeVar

from pydantic import BaseModel, Field

from warehouse.settings import Strict

P = TypeVar("P", bound=BaseModel)

Relation = Literal["at_least", "at_most", "exactly"]


class Verdict(NamedTuple):
    passed: bool
    reason: str | None = None


PASS = Verdict(True)


def fail(reason: str) -> Verdict:
    return Verdict(False, reason)


class Count(Strict):
    """A number of things in the response, compared by `relation`."""

    relation: Relation = "at_least"
    count: int = Field(ge=0)

    @property
    def amount(self) -> str:
        """How many, in words: "at least 3"."""
        return f"{self.relation.replace('_', ' ')} {self.count}"

    def compare(self, found: int, what: str) -> Verdict:
        """Whether `found` satisfies the relation; the reason names both numbers."""
        ok = {
            "at_least": found >= self.count,
            "at_most": found <= self.count,
            "exactly": found == self.count,
        }[self.relation]
        return PASS if ok else fail(f"found {found} {what}, expected {self.amount}")


class NoParams(Strict):
    """A kind asked for without parameters (all lowercase, no commas)."""


@dataclass(frozen=True)
class ConstraintKind(Generic[P]):
    """One registered kind of constraint.

    `conflicts` names kinds that cannot be asked of the same response (all capitals and all
    lowercase; a JSON-only answer and a title); the relation is symmetric, so either side may
    declare it. An `exclusive` kind (a JSON object) goes with no other kind.
    """

    name: str
    Params: type[P]
    check: Callable[[str, P], Verdict]
    describe: Callable[[P], str]
    draw: Callable[[random.Random], P]
    conflicts: frozenset[str] = frozenset()
    exclusive: bool = False

    def params(self, raw: dict[str, Any]) -> P:
        return self.Params.model_validate(raw)

    def compatible(self, other: ConstraintKind) -> bool:
        return (
            self.name != other.name
            and not (self.exclusive or other.exclusive)
            and other.name not in self.conflicts
            and self.name not in other.conflicts
        )
