"""Registries of what a recipe can name: synthesis methods, filters, dedup steps,
decontamination detectors and benchmark sources.

Each built-in is one line below (`name = "module:attribute"`, imported on first use). A user's
package adds its own through Python entry points, without editing SynthFoundry:

    [project.entry-points."synthfoundry.methods"]
    my_method = "my_package.methods:MyMethod"

An entry names a class (or object) with a `name` and a pydantic `Config` model: for a method,
`Config` has a `method: Literal["<name>"]` key; for a filter, a `step: Literal["<name>"]` key;
a benchmark is a function `(home: Path) -> pl.DataFrame` of `benchmark, item_id, text`.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any


class RegistryError(LookupError):
    """A registered name that cannot be used: unknown, clashing or not importable."""


@dataclass
class Registry:
    """Named implementations of one kind, built-ins first, then installed plug-ins."""

    kind: str
    group: str
    builtins: dict[str, str]
    _loaded: dict[str, Any] | None = field(default=None, init=False, repr=False)

    def _load(self) -> dict[str, Any]:
        if self._loaded is None:
            loaded = {
                name: _import(target, self.kind, name) for name, target in self.builtins.items()
            }
            for entry in entry_points(group=self.group):
                if entry.name in loaded:
                    raise RegistryError(
                        f"plug-in {self.kind} {entry.name!r} ({entry.value}) clashes with a "
                        f"{self.kind} of that name already registered"
                    )
                try:
                    loaded[entry.name] = entry.load()
                except Exception as exc:  # a broken plug-in names itself, then stops the load
                    raise RegistryError(
                        f"plug-in {self.kind} {entry.name!r} ({entry.value}) cannot be "
                        f"loaded: {type(exc).__name__}: {exc}"
                    ) from exc
            self._loaded = loaded
        return self._loaded

    def names(self) -> list[str]:
        return list(self._load())

    def get(self, name: str) -> Any:
        loaded = self._load()
        if name not in loaded:
            raise RegistryError(
                f"no {self.kind} named {name!r} (registered: {', '.join(loaded) or 'none'})"
            )
        return loaded[name]

    def configs(self) -> list[type]:
        """The `Config` models of every registered implementation that has one."""
        return [entry.Config for entry in self._load().values() if hasattr(entry, "Config")]

    def plugins(self) -> list[str]:
        return [name for name in self._load() if name not in self.builtins]


def _import(target: str, kind: str, name: str) -> Any:
    module, _, attribute = target.partition(":")
    try:
        return getattr(importlib.import_module(module), attribute)
    except (ImportError, AttributeError) as exc:
        raise RegistryError(f"built-in {kind} {name!r} ({target}) cannot be imported") from exc


METHODS = Registry(
    "synthesis method",
    "synthfoundry.methods",
    {
        "seed_passthrough": "assets.synthesis.methods.seed_passthrough:SeedPassthroughMethod",
        "programmatic_math": "assets.synthesis.methods.programmatic_math:ProgrammaticMathMethod",
        "self_instruct": "assets.synthesis.methods.self_instruct:SelfInstructMethod",
        "evol_instruct": "assets.synthesis.methods.evol_instruct:EvolInstructMethod",
        "rephrase": "assets.synthesis.methods.rephrase:RephraseMethod",
        "verified_cot": "assets.synthesis.methods.verified_cot:VerifiedCoTMethod",
        "grounded_qa": "assets.synthesis.methods.grounded_qa:GroundedQAMethod",
        "preference_pairs": "assets.synthesis.methods.preference_pairs:PreferencePairsMethod",
        "back_translation": "assets.synthesis.methods.back_translation:BackTranslationMethod",
    },
)

# User filters run after the built-in rule sets, before dedup, in recipe order
# (`filters.steps`). Built-in filters have their own recipe keys (`filters.gopher_quality`...).
FILTERS = Registry("filter", "synthfoundry.filters", {})

BENCHMARKS = Registry(
    "benchmark",
    "synthfoundry.benchmarks",
    {"humaneval": "assets.decontamination.benchmarks:humaneval_items"},
)
