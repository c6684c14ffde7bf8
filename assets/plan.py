"""The resolved plan of a stage: each step class the stage runs, in order, with its settings
(its `Config` as JSON) and the steps its `from_config` built (none: the step is off).

The stages build their steps through a plan (`filtered_plan`, `decontamination_plan`), so
what `synthfoundry plan` prints and the `plan` metadata of an asset show is what runs."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from assets.registry import Registry
from assets.run_context import RunContext
from assets.steps import Step


@dataclass(frozen=True)
class PlannedStep:
    """One entry of a stage's plan: a registered step class and what it built."""

    kind: str  # filter, plug-in filter, dedup, score, detector, verdict
    name: str  # its registered name (a decision's rule, a verdict rule's word)
    key: str  # where the recipe sets it, e.g. `filters.length_bounds`
    settings: dict[str, Any]
    steps: tuple[Step, ...]

    @property
    def on(self) -> bool:
        return bool(self.steps)

    def settings_json(self) -> str:
        return json.dumps(self.settings, separators=(",", ":"), default=str)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "key": self.key,
            "on": self.on,
            "settings": self.settings,
        }


@dataclass(frozen=True)
class StagePlan:
    """A stage's planned steps in the order it runs them."""

    stage: str
    entries: tuple[PlannedStep, ...]

    @property
    def steps(self) -> list[Step]:
        """Every step built, in order: what the stage runs."""
        return [step for entry in self.entries for step in entry.steps]

    def as_dict(self) -> dict[str, Any]:
        return {"stage": self.stage, "steps": [entry.as_dict() for entry in self.entries]}

    def markdown(self) -> str:
        """The plan as a Markdown table (the asset's `plan` metadata in the web UI)."""
        lines = ["| # | step | kind | on | settings |", "|---|---|---|---|---|"]
        for number, entry in enumerate(self.entries, 1):
            settings = entry.settings_json().replace("|", "\\|")
            on = "on" if entry.on else "off"
            lines.append(f"| {number} | {entry.name} | {entry.kind} | {on} | `{settings}` |")
        return "\n".join(lines)


def planned(
    kind: str, name: str, key: str, cls: Any, config: BaseModel, run: RunContext
) -> PlannedStep:
    """The entry of step class `cls` under `config`, built with its `from_config`."""
    steps = tuple(cls.from_config(config, run))
    return PlannedStep(kind, name, key, config.model_dump(mode="json"), steps)


def planned_from(
    kind: str,
    registry: Registry,
    names: Sequence[str],
    section: BaseModel,
    section_key: str,
    run: RunContext,
) -> list[PlannedStep]:
    """The entries of the registered step classes `names`, in that order, each configured by
    its `config_key` field of the recipe section `section` (`section_key` in the recipe)."""
    entries = []
    for name in names:
        cls = registry.get(name)
        key = cls.config_key
        entries.append(planned(kind, name, f"{section_key}.{key}", cls, getattr(section, key), run))
    return entries
