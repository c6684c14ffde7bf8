"""Draws of the recipe's samplers: each value a pure function of the run's `random_seed`, the
sampler's name and the row's position key, so a row gets the same values however the run is
split into batches, and re-running a recipe asks the model the same questions (cache hits).

The uniform number behind a draw is the first 53 bits of sha256(`seed|sampler|key`): no
generator state is carried from row to row, which is what makes draws batch-invariant."""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from bisect import bisect_right
from collections.abc import Mapping
from itertools import accumulate
from pathlib import Path
from typing import Any

from assets.paths import resolve_path
from assets.synthesis.samplers.config import (
    CategorySampler,
    PersonaSampler,
    RangeSampler,
    SamplerConfig,
    SeedFieldSampler,
    SubcategorySampler,
    TaxonomySampler,
    Values,
    weighted,
)
from assets.synthesis.samplers.records import read_personas, read_taxonomy

Value = str | int | float
# Shares of each value a sampler is configured to give; None where there is no finite set of
# values (ranges, seed fields).
Targets = dict[str, float] | None

_SCALE = 2.0**-53


def uniform(random_seed: int, sampler: str, key: str) -> float:
    """A number in [0, 1) fixed by the seed, the sampler's name and the row's key."""
    digest = hashlib.sha256(f"{random_seed}|{sampler}|{key}".encode()).digest()
    return (int.from_bytes(digest[:8], "big") >> 11) * _SCALE


class _Choice:
    """One of `values` by weight, from a uniform number (a bisection of cumulative weights)."""

    def __init__(self, values: dict[str, float]):
        self.values = list(values)
        self.cumulative = list(accumulate(values.values()))
        self.total = self.cumulative[-1]

    @classmethod
    def of(cls, values: Values) -> _Choice:
        return cls(weighted(values))

    def pick(self, u: float) -> str:
        # min(): u * total can round up to the last cumulative weight.
        return self.values[min(bisect_right(self.cumulative, u * self.total), len(self.values) - 1)]

    def shares(self) -> dict[str, float]:
        shares: dict[str, float] = {}
        previous = 0.0
        for value, upto in zip(self.values, self.cumulative, strict=True):
            shares[value] = shares.get(value, 0.0) + (upto - previous) / self.total
            previous = upto
        return shares


def _file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class Sampler(ABC):
    """A built sampler: its files read, ready to draw. `parent` names the sampler whose value
    a draw depends on; `identity` is what goes into the generator's parameters."""

    parent: str | None = None

    def __init__(self, name: str, config: SamplerConfig):
        self.name = name
        self.config = config

    @abstractmethod
    def value(
        self, u: float, parent_value: Value | None, seed_row: Mapping[str, Any] | None
    ) -> Value:
        """The value drawn from uniform number `u`."""

    def targets(self, parent_targets: Targets) -> Targets:
        """The configured share of each value (`parent_targets`: the parent's shares)."""
        return None

    def identity(self) -> dict[str, Any]:
        return self.config.model_dump()


class _Categorical(Sampler):
    def __init__(self, name: str, config: SamplerConfig, choice: _Choice):
        super().__init__(name, config)
        self.choice = choice

    def value(
        self, u: float, parent_value: Value | None, seed_row: Mapping[str, Any] | None
    ) -> Value:
        return self.choice.pick(u)

    def targets(self, parent_targets: Targets) -> Targets:
        return self.choice.shares()


class _Subcategory(Sampler):
    config: SubcategorySampler

    def __init__(self, name: str, config: SubcategorySampler):
        super().__init__(name, config)
        self.parent = config.of
        self.choices = {parent: _Choice.of(values) for parent, values in config.values.items()}

    def value(
        self, u: float, parent_value: Value | None, seed_row: Mapping[str, Any] | None
    ) -> Value:
        choice = self.choices.get(str(parent_value))
        if choice is None:
            raise ValueError(
                f"sampler {self.name!r}: no values listed for {parent_value!r} of sampler "
                f"{self.parent!r} (listed: {sorted(self.choices)})"
            )
        return choice.pick(u)

    def targets(self, parent_targets: Targets) -> Targets:
        if parent_targets is None:
            return None
        shares: dict[str, float] = {}
        for parent, parent_share in parent_targets.items():
            for value, share in self.choices[parent].shares().items():
                shares[value] = shares.get(value, 0.0) + parent_share * share
        return shares


class _Range(Sampler):
    config: RangeSampler

    def value(
        self, u: float, parent_value: Value | None, seed_row: Mapping[str, Any] | None
    ) -> Value:
        low, high = self.config.low, self.config.high
        if self.config.numbers == "int":
            count = int(high - low) + 1
            return int(low) + min(int(u * count), count - 1)
        number = low + u * (high - low)
        return number if self.config.decimals is None else round(number, self.config.decimals)


class _FileBacked(_Categorical):
    """A uniform choice among the records of a file; the file's digest is part of its
    identity, so editing the file makes new generators and new cache keys."""

    def __init__(self, name: str, config: SamplerConfig, values: list[str], digest: str | None):
        super().__init__(name, config, _Choice(_counted(values)))
        self.digest = digest

    def identity(self) -> dict[str, Any]:
        return (
            {**self.config.model_dump(), "file_sha256": self.digest}
            if self.digest
            else super().identity()
        )


def _counted(values: list[str]) -> dict[str, float]:
    """Records that repeat a value weigh it once per record."""
    counts: dict[str, float] = {}
    for value in values:
        counts[value] = counts.get(value, 0.0) + 1.0
    return counts


class _SeedField(Sampler):
    config: SeedFieldSampler

    def value(
        self, u: float, parent_value: Value | None, seed_row: Mapping[str, Any] | None
    ) -> Value:
        if seed_row is None:
            raise ValueError(
                f"sampler {self.name!r} (seed_field) needs a seed row, and this method writes "
                "rows from none"
            )
        field = self.config.field
        if field.startswith("attributes."):
            attributes = seed_row.get("attributes")
            parsed = json.loads(attributes) if isinstance(attributes, str) else attributes or {}
            found = parsed.get(field.removeprefix("attributes."))
        else:
            found = seed_row.get(field)
        # A missing field is a value too (coverage shows how many rows lacked it).
        return (
            ""
            if found is None
            else found
            if isinstance(found, int | float | str)
            else json.dumps(found)
        )


def build_sampler(name: str, config: SamplerConfig, home: Path) -> Sampler:
    """The sampler `config` describes, its files (`bundled:`, `home:` or a path) read now."""
    if isinstance(config, CategorySampler):
        return _Categorical(name, config, _Choice.of(config.values))
    if isinstance(config, SubcategorySampler):
        return _Subcategory(name, config)
    if isinstance(config, RangeSampler):
        return _Range(name, config)
    if isinstance(config, PersonaSampler):
        if config.personas is not None:
            return _FileBacked(name, config, [p.strip() for p in config.personas], None)
        path = resolve_path(config.path or "", home)
        return _FileBacked(name, config, read_personas(path, config.field), _file_sha256(path))
    if isinstance(config, TaxonomySampler):
        path = resolve_path(config.path, home)
        leaves = [config.separator.join(nodes) for nodes in read_taxonomy(path)]
        return _FileBacked(name, config, leaves, _file_sha256(path))
    if isinstance(config, SeedFieldSampler):
        return _SeedField(name, config)
    raise TypeError(f"unknown sampler config {type(config).__name__}")


class SamplerSet:
    """The samplers one method draws from, by name, with those they depend on."""

    def __init__(self, samplers: Mapping[str, Sampler], random_seed: int):
        self.samplers = dict(samplers)
        self.random_seed = random_seed
        # Parents first, so one pass over `order` fills every dependency.
        self.order: list[str] = []
        for name in self.samplers:
            self._place(name)
        # Each sampler's hash already fed `seed|name|`: a draw copies it and adds the key
        # (what `uniform` computes, without encoding the prefix again for every row).
        self._steps = [
            (
                name,
                self.samplers[name],
                self.samplers[name].parent,
                hashlib.sha256(f"{random_seed}|{name}|".encode()),
            )
            for name in self.order
        ]

    def _place(self, name: str) -> None:
        if name in self.order:
            return
        parent = self.samplers[name].parent
        if parent is not None:
            self._place(parent)
        self.order.append(name)

    def draw(self, key: str, seed_row: Mapping[str, Any] | None = None) -> dict[str, Value]:
        """Every sampler's value for the row at `key` (`uniform` of seed, name and key)."""
        drawn: dict[str, Value] = {}
        encoded = key.encode()
        for name, sampler, parent, prefix in self._steps:
            hasher = prefix.copy()
            hasher.update(encoded)
            u = (int.from_bytes(hasher.digest()[:8], "big") >> 11) * _SCALE
            drawn[name] = sampler.value(u, drawn[parent] if parent else None, seed_row)
        return drawn

    def targets(self) -> dict[str, Targets]:
        """Each sampler's configured shares (a subcategory's: over its parent's shares)."""
        shares: dict[str, Targets] = {}
        for name in self.order:
            sampler = self.samplers[name]
            parent = shares[sampler.parent] if sampler.parent is not None else None
            shares[name] = sampler.targets(parent)
        return shares


def build_samplers(
    configs: Mapping[str, SamplerConfig], names: list[str], home: Path, random_seed: int
) -> SamplerSet:
    """The samplers `names` and those they are conditional on, built."""
    needed: dict[str, Sampler] = {}
    pending = list(names)
    while pending:
        name = pending.pop()
        if name in needed:
            continue
        if name not in configs:
            raise ValueError(
                f"no sampler named {name!r} in synthesis.samplers (have: {sorted(configs)})"
            )
        needed[name] = build_sampler(name, configs[name], home)
        if needed[name].parent is not None:
            pending.append(needed[name].parent)
    return SamplerSet(needed, random_seed)
