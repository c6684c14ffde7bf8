"""The recipe's samplers (`synthesis.samplers`), each a typed model picked by `type:`.

A sampler is named in the recipe and referenced by that name from a method's `attributes`
(`{persona: personas, topic: topics}`); what a draw is made of lives in assets/synthesis/
samplers/draw.py. Files (persona records, a taxonomy) are read when a run starts, against
its home, so a `home:` path can name a file the run writes first."""

from __future__ import annotations

import math
from typing import Annotated, Literal

from pydantic import Field, model_validator

from warehouse.settings import Strict

# Values as a list (equal weights) or as `{value: weight}`.
Values = list[str] | dict[str, float]


def weighted(values: Values) -> dict[str, float]:
    """`values` as `{value: weight}` (a list weighs each value 1)."""
    return {value: 1.0 for value in values} if isinstance(values, list) else dict(values)


def _check_values(values: Values, where: str) -> None:
    if not values:
        raise ValueError(f"{where}: needs at least one value")
    if isinstance(values, list) and len(set(values)) != len(values):
        raise ValueError(
            f"{where}: values repeat: {sorted(v for v in set(values) if values.count(v) > 1)}"
        )
    for value, weight in weighted(values).items():
        if not (math.isfinite(weight) and weight > 0):
            raise ValueError(f"{where}: weight of {value!r} must be a positive number")


class CategorySampler(Strict):
    """One of `values`, by weight."""

    type: Literal["category"]
    values: Values

    @model_validator(mode="after")
    def _values(self) -> CategorySampler:
        _check_values(self.values, "values")
        return self


class SubcategorySampler(Strict):
    """One of the values listed under the value another sampler (`of`) drew for the same
    row, by weight: a subcategory never falls outside its parent."""

    type: Literal["subcategory"]
    of: str = Field(description="The sampler whose value this one is conditional on.")
    values: dict[str, Values] = Field(
        min_length=1, description="For each value of `of`: the values (or {value: weight})."
    )

    @model_validator(mode="after")
    def _values(self) -> SubcategorySampler:
        for parent, values in self.values.items():
            _check_values(values, f"values.{parent}")
        return self


class RangeSampler(Strict):
    """A number between `low` and `high` (both included for integers), uniform."""

    type: Literal["range"]
    low: float
    high: float
    numbers: Literal["int", "float"] = "int"
    decimals: int | None = Field(
        default=None, ge=0, le=12, description="Floats rounded to this many decimals."
    )

    @model_validator(mode="after")
    def _bounds(self) -> RangeSampler:
        if self.low > self.high:
            raise ValueError(f"low ({self.low}) is above high ({self.high})")
        if self.numbers == "int" and not (self.low.is_integer() and self.high.is_integer()):
            raise ValueError("an int range needs whole-number low and high")
        return self


class PersonaSampler(Strict):
    """A persona, uniform: from `personas` in the recipe, or from `path` (JSONL, Parquet or
    CSV records, e.g. a PersonaHub-style file) whose `field` holds the persona text."""

    type: Literal["persona"]
    personas: list[str] | None = Field(default=None, min_length=1)
    path: str | None = Field(
        default=None, description="`bundled:personas.jsonl`, `home:...` or a file path."
    )
    field: str = "persona"

    @model_validator(mode="after")
    def _one_source(self) -> PersonaSampler:
        if (self.personas is None) == (self.path is None):
            raise ValueError("give either `personas` (a list) or `path` (a file), not both")
        return self


class TaxonomySampler(Strict):
    """A path from the root to a leaf of a topic tree (YAML: nested mappings whose leaves are
    lists of topics), each leaf equally likely, written as its nodes joined by `separator`."""

    type: Literal["taxonomy"]
    path: str = Field(description="`bundled:topics.yaml`, `home:...` or a file path.")
    separator: str = Field(default=" > ", min_length=1)


class SeedFieldSampler(Strict):
    """The value of a column (or `attributes.<key>`) of the seed row a candidate is written
    from: no randomness, but recorded and covered like any other attribute."""

    type: Literal["seed_field"]
    field: str = Field(min_length=1, description="A row column, or attributes.<key>.")


SamplerConfig = Annotated[
    CategorySampler
    | SubcategorySampler
    | RangeSampler
    | PersonaSampler
    | TaxonomySampler
    | SeedFieldSampler,
    Field(discriminator="type"),
]


def check_samplers(samplers: dict[str, SamplerConfig]) -> None:
    """Conditional samplers name a sampler with listed values, cover each of its values, and
    never depend on themselves."""
    for name, sampler in samplers.items():
        if not isinstance(sampler, SubcategorySampler):
            continue
        parent = samplers.get(sampler.of)
        if parent is None:
            raise ValueError(
                f"samplers.{name}: `of: {sampler.of}` names no sampler (have: {sorted(samplers)})"
            )
        if isinstance(parent, RangeSampler):
            raise ValueError(f"samplers.{name}: `of` must not be a range sampler")
        known = (
            set(weighted(parent.values))
            if isinstance(parent, CategorySampler)
            else {v for values in parent.values.values() for v in weighted(values)}
            if isinstance(parent, SubcategorySampler)
            else None
        )
        if known is not None and (missing := sorted(known - set(sampler.values))):
            raise ValueError(f"samplers.{name}: no values for {missing} of sampler {sampler.of!r}")
        seen, current = {name}, parent
        while isinstance(current, SubcategorySampler):
            if current.of in seen:
                raise ValueError(f"samplers.{name}: conditional on itself through {sorted(seen)}")
            seen.add(current.of)
            current = samplers.get(current.of)
