"""Prompt templates: versioned text files `assets/templates/<name>.v<N>.txt`.

A template's identity in lineage is its name, version and the sha256 of its text, so editing
a template makes a new generator and new cache keys.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from importlib.resources import files
from string import Template

_FILE = re.compile(r"^(?P<name>[a-z0-9_]+)\.v(?P<version>\d+)\.txt$")


@dataclass(frozen=True)
class PromptTemplate:
    name: str
    version: str
    text: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()

    def render(self, **values: str) -> str:
        """Fill `$name` placeholders; a missing value is an error, never an empty string."""
        return Template(self.text).substitute(values)


def load_template(name: str, version: str | None = None) -> PromptTemplate:
    """The template called `name`, at `version` or at its highest version."""
    found: dict[str, str] = {}
    for entry in files("assets").joinpath("templates").iterdir():
        match = _FILE.match(entry.name)
        if match and match.group("name") == name:
            found[match.group("version")] = entry.read_text(encoding="utf-8")
    if not found:
        raise LookupError(f"no prompt template named {name!r} in assets/templates/")
    chosen = version or max(found, key=int)
    if chosen not in found:
        raise LookupError(f"prompt template {name!r} has no version {chosen} (has {sorted(found)})")
    return PromptTemplate(name=name, version=chosen, text=found[chosen])
