"""Recipes: the YAML files that choose seed sources, methods, filters, benchmarks and gates.

The configuration models live beside the code they configure; this package only assembles
them: the stage sections from the registries (`sections`), the root `Recipe` (`root`), and
the loader (`loader`).
"""

from assets.recipe.loader import RecipeError, load_recipe, parse_recipe
from assets.recipe.root import Recipe

__all__ = ["Recipe", "RecipeError", "load_recipe", "parse_recipe"]
