"""The recipe as a Dagster resource: which recipe file the corpus assets follow."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from assets.paths import DEFAULT_RECIPE
from assets.recipe.loader import load_recipe
from assets.recipe.root import Recipe
from quality.gate import GatePolicy


class RecipeResource(dg.ConfigurableResource):
    """Which recipe the assets follow; the path may use the `bundled:` or `home:` prefix."""

    path: str = DEFAULT_RECIPE

    def load(self, home: Path) -> Recipe:
        return load_recipe(self.path, home)

    def gate_policy(self, home: Path) -> GatePolicy:
        """What the promotion gate (quality/checks.py) needs of the recipe."""
        return self.load(home).gate_policy()
