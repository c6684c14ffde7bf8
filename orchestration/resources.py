"""Resource wiring: which warehouse and recipe a deployment uses, from configuration.

`SYNTHFOUNDRY_HOME` picks the warehouse (default ./.synthfoundry) and `SYNTHFOUNDRY_RECIPE`
the recipe (default: the bundled offline demo).
"""

from __future__ import annotations

import os

from assets.paths import DEFAULT_RECIPE
from assets.resources import RecipeResource
from warehouse.resource import WarehouseResource


def build_resources(home: str | None = None, recipe: str | None = None) -> dict:
    return {
        "warehouse": WarehouseResource(home=home),
        "recipe": RecipeResource(
            path=recipe or os.environ.get("SYNTHFOUNDRY_RECIPE") or DEFAULT_RECIPE
        ),
    }
