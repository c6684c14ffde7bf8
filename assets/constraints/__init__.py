"""Verifiable constraints (IFEval-style): instructions a program can check, such as "at most
50 words", "no commas", "a JSON object matching this schema".

Each kind (`base.ConstraintKind`) is registered by name in `assets.registry.CONSTRAINTS`
(plug-ins through the `synthfoundry.constraints` entry point group) with its parameters, a
pure check, the sentence that asks for it and how it is drawn. `verify` checks a response
against a list of constraints; `draw` picks compatible ones for an instruction.
"""

from __future__ import annotations

from assets.constraints.checks import (
    Constraint,
    ConstraintDraw,
    carried_constraints,
    constraint_kind,
    describe,
    draw,
    render,
    verify,
)

__all__ = [
    "Constraint",
    "ConstraintDraw",
    "carried_constraints",
    "constraint_kind",
    "describe",
    "draw",
    "render",
    "verify",
]
