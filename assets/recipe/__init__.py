"""Recipes: the YAML files that choose seed sources, methods, filters, benchmarks and gates.

The configuration models live beside the code they configure; this package holds what they
share (`generators`, `paths`), the root `Recipe` (`root`) and the loader (`loader`).
"""

from __future__ import annotations

from typing import Any

# The public API, imported on first use: the root imports every registered method and filter,
# whose modules import `assets.recipe.generators`, so importing it here would be circular.
_PUBLIC = {
    "Recipe": "assets.recipe.root",
    "RecipeError": "assets.recipe.loader",
    "load_recipe": "assets.recipe.loader",
    "parse_recipe": "assets.recipe.loader",
}


def __getattr__(name: str) -> Any:
    if name not in _PUBLIC:
        raise AttributeError(f"module 'assets.recipe' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(_PUBLIC[name]), name)
