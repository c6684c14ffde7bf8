"""The `checks` preference signal: of several responses to one instruction, the one passing
strictly more of the instruction's verifiable constraints is preferred.

A program decides, not a model, so the signal cannot favour a position, a length or a style;
it says nothing about responses that pass (or fail) the same number of checks, and such a
pair is not made.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from assets.constraints import Constraint, verify


@dataclass(frozen=True)
class ChecksRanking:
    """Each response's verification and passed count; `chosen`/`rejected` index the responses
    passing the most and the fewest checks (the first of equals), None when all pass as many."""

    verification: list[list[dict[str, Any]]]
    passed: list[int]
    chosen: int | None
    rejected: int | None

    @property
    def margin(self) -> int:
        return max(self.passed) - min(self.passed)


def rank_by_checks(responses: list[str], constraints: list[Constraint]) -> ChecksRanking:
    if not constraints:
        raise ValueError("the checks signal needs at least one constraint per instruction")
    verification = [verify(text, constraints) for text in responses]
    passed = [sum(v["passed"] for v in results) for results in verification]
    if len(set(passed)) < 2:
        return ChecksRanking(verification, passed, None, None)
    return ChecksRanking(verification, passed, passed.index(max(passed)), passed.index(min(passed)))
