"""Paths as recipes write them: `bundled:` (the package's data folder) and `home:`
(`$SYNTHFOUNDRY_HOME`)."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

BUNDLED_PREFIX = "bundled:"


HOME_PREFIX = "home:"


def bundled_path(name: str) -> Path:
    return Path(str(files("assets").joinpath("data", name)))


DEFAULT_RECIPE = "bundled:demo_recipe.yaml"


def resolve_path(path: str, home: Path) -> Path:
    """Expand the `bundled:` and `home:` prefixes and `~`."""
    if path.startswith(BUNDLED_PREFIX):
        return bundled_path(path.removeprefix(BUNDLED_PREFIX))
    if path.startswith(HOME_PREFIX):
        return home / path.removeprefix(HOME_PREFIX)
    return Path(path).expanduser()
