"""The filtered stage's steps, built from the registries and the recipe."""

from __future__ import annotations

from pydantic import BaseModel

from assets.registry import DEDUP, FILTERS, SCORES, RegistryError
from assets.stage_setup import StageSetup
from assets.steps import CorpusStep, RowStep, Step, configured_steps


def plugin_filter(config: BaseModel) -> Step:
    """The plug-in filter a `filters.steps` entry configures."""
    name = config.step  # type: ignore[attr-defined]  # every plug-in Config has `step`
    step = FILTERS.get(name)(config)
    if not isinstance(step, RowStep | CorpusStep):
        raise RegistryError(
            f"plug-in filter {name!r} is not a step: subclass assets.steps.RowFilter "
            "(or RowStep, CorpusFilter, CorpusStep)"
        )
    return step


def filtered_steps(setup: StageSetup) -> list[Step]:
    """PII redaction, language identification and the built-in rule sets, then plug-in
    filters in recipe order, dedup, and judge scores last."""
    return [
        *configured_steps(FILTERS, setup),
        *[plugin_filter(config) for config in setup.filters.steps],
        *configured_steps(DEDUP, setup),
        *configured_steps(SCORES, setup),
    ]
