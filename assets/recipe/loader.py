"""Reading a recipe file: YAML in, a validated `Recipe` out, or a `RecipeError` naming the file
and every key at fault (never echoing values of keys that may hold secrets)."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import ValidationError

from assets.paths import resolve_path
from assets.recipe.root import Recipe
from warehouse.errors import UserError


class RecipeError(UserError, ValueError):
    """A recipe file that cannot be used, with the file and key at fault."""

    readme_section = "Recipes"


# Recipe errors never show what was given for these keys.
_SECRET_ADJACENT_KEYS = {"api_key_env", "base_url"}


def describe_error(error: dict) -> str:
    """One line for one pydantic error: the key at fault, what is wrong, and what was given
    unless it is a mapping, a list or a key next to a secret (`base_url`, `api_key_env`)."""
    key = ".".join(str(part) for part in error["loc"]) or "(top level)"
    given = error.get("input")
    hidden = isinstance(given, dict | list) or given is None
    hidden = hidden or bool(_SECRET_ADJACENT_KEYS & {str(part) for part in error["loc"]})
    shown = "" if hidden else f" (got {given!r})"
    return f"  {key}: {error['msg']}{shown}"


def parse_recipe(text: str, origin: str) -> Recipe:
    """Validate recipe YAML; errors name `origin` and each key at fault."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RecipeError(f"{origin}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise RecipeError(f"{origin}: expected a mapping of recipe keys at the top level")
    try:
        return Recipe.model_validate(data)
    except ValidationError as exc:
        lines = "\n".join(describe_error(e) for e in exc.errors())
        raise RecipeError(f"{origin}: invalid recipe\n{lines}") from None


def load_recipe(path: str, home: Path) -> Recipe:
    resolved = resolve_path(path, home)
    try:
        text = resolved.read_text(encoding="utf-8")
    except OSError as exc:
        raise RecipeError(f"{resolved}: cannot read recipe: {exc.strerror}") from None
    return parse_recipe(text, str(resolved))
