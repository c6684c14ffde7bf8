"""The filtered stage's steps, built from the registries and the recipe's sections."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from assets.registry import DEDUP, FILTERS, SCORES, RegistryError
from assets.run_context import RunContext
from assets.steps import CorpusStep, RowStep, Step, steps_from


def plugin_filter(config: BaseModel, run: RunContext) -> list[Step]:
    """The steps a plug-in filter's `filters.steps` entry configures."""
    name = config.step  # type: ignore[attr-defined]  # every plug-in Config has `step`
    steps = FILTERS.get(name).from_config(config, run)
    for step in steps:
        if not isinstance(step, RowStep | CorpusStep):
            raise RegistryError(
                f"plug-in filter {name!r} is not a step: subclass assets.steps.RowFilter "
                "(or RowStep, CorpusFilter, CorpusStep)"
            )
    return steps


def filtered_steps(filters: Any, dedup: Any, run: RunContext) -> list[Step]:
    """PII redaction, language identification and the built-in rule sets (the `filters`
    section), then plug-in filters in recipe order, dedup (the `dedup` section), and scores
    (the `filters` section) last."""
    built_in = [FILTERS.get(name) for name in FILTERS.builtins]
    return [
        *steps_from(built_in, filters, run),
        *[step for config in filters.steps for step in plugin_filter(config, run)],
        *steps_from(DEDUP.classes(), dedup, run),
        *steps_from(SCORES.classes(), filters, run),
    ]
