"""The filtered stage's steps, built from the registries and the recipe's sections."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from assets.plan import PlannedStep, StagePlan, planned_from
from assets.registry import DEDUP, FILTERS, SCORES, RegistryError
from assets.run_context import RunContext
from assets.steps import CorpusStep, RowStep, Step


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


def filtered_plan(filters: Any, dedup: Any, run: RunContext) -> StagePlan:
    """PII redaction, language identification and the built-in rule sets (the `filters`
    section), then plug-in filters in recipe order, dedup (the `dedup` section), and scores
    (the `filters` section) last."""
    plugins = [
        PlannedStep(
            "plug-in filter",
            config.step,  # type: ignore[attr-defined]
            f"filters.steps[{number}]",
            config.model_dump(mode="json"),
            tuple(plugin_filter(config, run)),
        )
        for number, config in enumerate(filters.steps)
    ]
    return StagePlan(
        "filtered",
        (
            *planned_from("filter", FILTERS, list(FILTERS.builtins), filters, "filters", run),
            *plugins,
            *planned_from("dedup", DEDUP, DEDUP.names(), dedup, "dedup", run),
            *planned_from("score", SCORES, SCORES.names(), filters, "filters", run),
        ),
    )


def filtered_steps(filters: Any, dedup: Any, run: RunContext) -> list[Step]:
    """The steps of the filtered stage, in the order it runs them (`filtered_plan`)."""
    return filtered_plan(filters, dedup, run).steps
