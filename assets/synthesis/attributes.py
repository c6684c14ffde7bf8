"""Attributes of a model-calling method: values drawn per row from the recipe's samplers
(`synthesis.samplers`), rendered into the method's prompt templates, stored on the row as
`attributes.sampled` and recorded in the generator's parameters.

A method that takes attributes:

- has its config subclass `Steerable` (the `attributes: {name: sampler}` key) and declares on
  its class `template_values`: for each config field naming a prompt template, the
  placeholders the method fills itself. The recipe check (`check_template_attributes`) then
  holds every other placeholder of those templates to the attributes given, and every
  attribute to some template, so a sampled value always reaches the prompt and with it the
  call's cache key;
- builds its run's draws with `MethodAttributes.of(name, config, ctx)`, adds their `params()`
  to each generator it prompts with a steerable template, draws each candidate's values with
  `draw(key, seed_row)` (or `draw_rows(rows)`, keyed by row id), `key` a position that does
  not depend on batching (a candidate's index, a source row's id), renders its templates with
  `render`, and puts `MethodAttributes.row(sampled)` into the row's attributes and the evidence
  of its rejections.

Every built-in model-calling method does (assets/registry.py; judges are not steered). Without
attributes each of them sends, records and keeps exactly what it did before they existed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from string import Template
from typing import Any, ClassVar, Protocol

from pydantic import Field, model_serializer

from assets.models.prompt_templates import PromptTemplate, load_template
from assets.synthesis.samplers.draw import SamplerSet, Targets, Value, build_samplers
from warehouse.settings import Strict

# Target shares of more values than this stay out of the generator's parameters: a
# PersonaHub-sized file would put a million entries in every generator record.
MAX_TARGET_VALUES = 1_000

ATTRIBUTES_DESCRIPTION = (
    "Attributes drawn per row, `{name: sampler}` (a sampler of `synthesis.samplers`): each "
    "fills `$name` in the method's templates and is stored as `attributes.sampled`."
)


class Steerable(Strict):
    """The config of a method that takes `attributes`."""

    attributes: dict[str, str] = Field(default_factory=dict, description=ATTRIBUTES_DESCRIPTION)
    # Keys added with attributes (e.g. template names that were fixed before): left out of
    # the dump while at their defaults.
    added_keys: ClassVar[tuple[str, ...]] = ()

    @model_serializer(mode="wrap")
    def _hash_unchanged_without_attributes(self, handler: Any) -> dict:
        # Recipes that steer nothing dump (and so hash) as before attributes existed. A
        # subclass with keys of its own to leave out extends `unchanged_dump` (pydantic keeps
        # one model serializer).
        return self.unchanged_dump(handler(self))

    def unchanged_dump(self, data: dict) -> dict:
        if not self.attributes:
            data.pop("attributes", None)
        for key in self.added_keys:
            if getattr(self, key) == type(self).model_fields[key].default:
                data.pop(key, None)
        return data


class TakesAttributes(Protocol):
    """A method class whose templates may name attributes (see the module docstring). A
    method whose template names are not config fields (e.g. one per style) defines instead
    `attribute_templates(config)`: its templates, each with the placeholders it fills."""

    template_values: ClassVar[dict[str, frozenset[str]]]


def method_templates(
    config: Steerable, method: TakesAttributes
) -> list[tuple[PromptTemplate, frozenset[str]]]:
    """The method's templates for `config`, each with the placeholders the method fills."""
    custom = getattr(method, "attribute_templates", None)
    if custom is not None:
        return list(custom(config))
    return [
        (load_template(getattr(config, field)), own)
        for field, own in method.template_values.items()
    ]


def placeholders(template: PromptTemplate) -> set[str]:
    return set(Template(template.text).get_identifiers())


def check_template_attributes(
    config: Steerable, method: TakesAttributes, samplers: Mapping[str, Any]
) -> None:
    """Recipe errors: an attribute naming no sampler, a template placeholder that is neither
    the method's own value nor an attribute given, an attribute no template names."""
    name = getattr(config, "method", type(config).__name__)
    for attribute, sampler in config.attributes.items():
        if sampler not in samplers:
            raise ValueError(
                f"attribute {attribute!r} names sampler {sampler!r}, which is not in "
                f"synthesis.samplers (have: {sorted(samplers) or 'none'})"
            )
    used: set[str] = set()
    templates = method_templates(config, method)
    for template, own in templates:
        named = placeholders(template) - own
        missing = sorted(named - set(config.attributes))
        if missing:
            raise ValueError(
                f"template {template.name!r} names ${missing[0]}, which is not "
                f"an attribute of {name} (attributes: {sorted(config.attributes) or 'none'})"
            )
        used |= named
    unused = sorted(set(config.attributes) - used)
    if unused:
        raise ValueError(
            f"attribute {unused[0]!r} is named by none of its templates "
            f"({', '.join(t.name for t, _ in templates)}); a value that never reaches the "
            "prompt would not steer it"
        )


class MethodAttributes:
    """The attribute draws of one method's run."""

    def __init__(
        self,
        method: str,
        attributes: Mapping[str, str],
        samplers: Mapping[str, Any],
        home: Any,
        random_seed: int,
    ):
        self.method = method
        self.attributes = dict(attributes)
        self.samplers: SamplerSet | None = (
            build_samplers(samplers, sorted(set(self.attributes.values())), home, random_seed)
            if self.attributes
            else None
        )

    @classmethod
    def of(cls, method: str, config: Steerable, ctx: Any) -> MethodAttributes:
        """The draws of `method`'s run with `config` in `ctx` (a `SynthesisContext`: its
        samplers, home and random seed)."""
        return cls(method, config.attributes, ctx.samplers, ctx.wh.home, ctx.random_seed)

    def draw_rows(self, rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Value]]:
        """The attributes of each source row, keyed by its `row_id` (a seed field is read
        from the row itself)."""
        return [self.draw(row["row_id"], row) for row in rows]

    def attach(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """`rows` (source rows as dicts), each given its draws under `sampled` (`draw_rows`):
        for methods that carry a source row from call to call."""
        for row, sampled in zip(rows, self.draw_rows(rows), strict=True):
            row["sampled"] = sampled
        return rows

    def __bool__(self) -> bool:
        return bool(self.attributes)

    def draw(self, key: str, seed_row: Mapping[str, Any] | None = None) -> dict[str, Value]:
        """The attributes of the row at `key` (in the method: its position, never its batch);
        empty without attributes."""
        if self.samplers is None:
            return {}
        drawn = self.samplers.draw(f"{self.method}:{key}", seed_row)
        return {attribute: drawn[sampler] for attribute, sampler in self.attributes.items()}

    def params(self) -> dict[str, Any]:
        """The generator parameters' entry: each attribute's sampler, how it draws and its
        target shares (what the `attribute_coverage` view compares rows with; left out above
        `MAX_TARGET_VALUES` values). None without attributes, so generators of unsteered
        methods keep their ids."""
        if self.samplers is None:
            return {}
        targets = self.targets()
        entries = {}
        for attribute, sampler in sorted(self.attributes.items()):
            entry = {"sampler": sampler, **self.samplers.samplers[sampler].identity()}
            shares = targets[attribute]
            if shares is not None and len(shares) <= MAX_TARGET_VALUES:
                entry["targets"] = {value: round(share, 9) for value, share in shares.items()}
            entries[attribute] = entry
        return {"attributes": entries}

    def targets(self) -> dict[str, Targets]:
        """Each attribute's configured shares of its values (None for ranges, seed fields)."""
        if self.samplers is None:
            return {}
        shares = self.samplers.targets()
        return {attribute: shares[sampler] for attribute, sampler in self.attributes.items()}

    @staticmethod
    def row(sampled: Mapping[str, Value]) -> dict[str, Any]:
        """The row attributes entry of `sampled` (none when nothing was sampled)."""
        return {"sampled": dict(sampled)} if sampled else {}


def render(template: PromptTemplate, sampled: Mapping[str, Value], **values: str) -> str:
    """`template` with the method's `values` and the row's sampled attributes (as text)."""
    return template.render(**{name: str(value) for name, value in sampled.items()}, **values)
