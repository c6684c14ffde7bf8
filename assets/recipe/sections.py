"""The recipe sections of the filtered and decontaminated stages, assembled from the
registries: each registered step class adds its `Config` model under its `config_key`, so a
new step, built-in or plug-in, needs no edit here.

Keys of older recipes stay valid: a step class's `legacy_keys` move flat keys of its section
into its own config (`filters.min_instruction_chars` is `filters.length_bounds.
min_instruction_chars`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, ClassVar, Union

from pydantic import (
    BaseModel,
    Discriminator,
    Field,
    Tag,
    create_model,
    model_serializer,
    model_validator,
)

from assets.decontamination.benchmarks import BenchmarkFile, BuiltinBenchmark, HubBenchmark
from assets.decontamination.verdict import verdict_rule_names
from assets.registry import DEDUP, DETECTORS, FILTERS, SCORES, RegistryError
from warehouse.settings import Strict


def registered_union(configs: list[type], discriminator: str) -> Any:
    """A discriminated union of registered config models (one model needs no union)."""
    if len(configs) == 1:
        return configs[0]
    return Annotated[Union[tuple(configs)], Field(discriminator=discriminator)]  # noqa: UP007


class NoFilterPlugins(Strict):
    """What `filters.steps` validates against while no filter plug-in is installed."""

    step: str

    @model_validator(mode="before")
    @classmethod
    def _none_installed(cls, data: object) -> object:
        # Before field checks: the entry's own keys are the missing plug-in's, not errors.
        step = data.get("step") if isinstance(data, dict) else None
        raise ValueError(
            f"no filter plug-in named {step!r} is installed (entry point group "
            "`synthfoundry.filters`); built-in filters have their own keys under `filters`"
        )


class StepSection(Strict):
    """A section whose fields are its steps' configs (added by `assemble`)."""

    step_classes: ClassVar[tuple[Any, ...]] = ()

    @model_validator(mode="before")
    @classmethod
    def _legacy_keys(cls, data: object) -> object:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        used: set[str] = set()
        for step in cls.step_classes:
            moved = {new: data[old] for old, new in step.legacy_keys.items() if old in data}
            if not moved:
                continue
            used.update(old for old in step.legacy_keys if old in data)
            own = _as_dict(data.get(step.config_key))
            both = sorted(set(moved) & set(own))
            if both:
                raise ValueError(
                    f"{step.config_key}.{both[0]} is given twice: under `{step.config_key}` and "
                    "as its older flat key"
                )
            data[step.config_key] = {**own, **moved}
        for old in used:
            data.pop(old)
        return cls._written(data)

    @classmethod
    def _written(cls, data: dict[str, Any]) -> dict[str, Any]:
        """The section's keys as written, after the legacy keys moved: a hook for sections."""
        return data


def _as_dict(entry: object) -> dict[str, Any]:
    """A step's entry as written: a mapping, a config model (its fields that were set) or none."""
    if entry is None:
        return {}
    if isinstance(entry, BaseModel):
        return {name: getattr(entry, name) for name in entry.model_fields_set}
    if isinstance(entry, dict):
        return dict(entry)
    raise ValueError(f"expected a mapping of settings, got {type(entry).__name__}")


def assemble(name: str, base: type[StepSection], classes: Sequence[Any]) -> type[StepSection]:
    """`base` with one field per step class: its `Config` under its `config_key`, defaults
    when left out. Classes may share a key only with the same `Config` (one step reads what
    another writes)."""
    fields: dict[str, Any] = {}
    owners: dict[str, Any] = {}
    for cls in classes:
        key = cls.config_key
        if key in owners:
            if owners[key].Config is not cls.Config:
                raise RegistryError(
                    f"{cls.__name__} and {owners[key].__name__} both configure `{key}` with "
                    "different Config models"
                )
            continue
        if key in base.model_fields:
            raise RegistryError(f"{cls.__name__}: `{key}` is a setting of the section itself")
        owners[key] = cls
        fields[key] = (cls.Config, Field(default_factory=cls.Config))
    model = create_model(name, __base__=base, __doc__=base.__doc__, **fields)
    model.step_classes = tuple(classes)
    return model


class FilterSection(StepSection):
    """The filtered stage's rules and scores (each under its key), and plug-in filters."""

    steps: list[Any] = []

    @model_serializer(mode="wrap")
    def _hash_unchanged_without_plugins(self, handler: Any) -> dict:
        # Recipes that use no plug-in filter dump (and so hash) as if `steps` did not exist.
        data = handler(self)
        if not self.steps:
            data.pop("steps", None)
        return data

    @classmethod
    def _written(cls, data: dict[str, Any]) -> dict[str, Any]:
        if "exact_dedup" in data:
            raise ValueError("exact_dedup moved to the top-level `dedup.exact.enabled`")
        return data


class DedupSection(StepSection):
    """Deduplication steps of the filtered stage, run after the filters in registry order
    (exact, near, semantic, then plug-ins)."""


def _benchmark_kind(value: object) -> str:
    keys = value if isinstance(value, dict) else vars(value)
    return "builtin" if "builtin" in keys else "hub" if "hf_dataset" in keys else "file"


# The key a benchmark entry has picks its model, so an error names only that model's keys.
BenchmarkSource = Annotated[
    Annotated[BuiltinBenchmark, Tag("builtin")]
    | Annotated[BenchmarkFile, Tag("file")]
    | Annotated[HubBenchmark, Tag("hub")],
    Discriminator(_benchmark_kind),
]


class DecontaminationSection(StepSection):
    """Benchmarks, one key per detector (written: on, unless it says `enabled: false`) and
    the verdict rule."""

    benchmarks: list[BenchmarkSource] = [BuiltinBenchmark(builtin="humaneval")]
    rule: str | None = Field(
        default=None,
        description="When a row is contaminated: detector names with and/or/not, e.g. "
        "'ngram or embedding or lexical or judge'; default: any detector that is on.",
    )

    @classmethod
    def _written(cls, data: dict[str, Any]) -> dict[str, Any]:
        # A detector's key written in the recipe turns it on (`embedding: {}`), null turns it
        # off: what recipes wrote before detectors had an `enabled` switch.
        keys = {step.config_key for step in cls.step_classes}
        for key in keys & set(data):
            entry = data[key]
            if entry is None:
                data[key] = {"enabled": False}
            elif isinstance(entry, dict) and "enabled" not in entry:
                data[key] = {**entry, "enabled": True}
            elif isinstance(entry, BaseModel) and "enabled" not in entry.model_fields_set:
                data[key] = entry.model_copy(update={"enabled": True})
        return data

    @model_validator(mode="after")
    def _rule_of_detectors_that_are_on(self) -> DecontaminationSection:
        if self.rule is not None:
            for name in verdict_rule_names(self.rule):
                if not self.detector_on(name):
                    raise ValueError(
                        f"rule {self.rule!r} uses {name!r} but `{name}` is not configured"
                    )
        # A detector that weighs its calls by the verdict (the judge) reads the rule.
        for step in self.step_classes:
            config = getattr(self, step.config_key)
            if "verdict_rule" in type(config).model_fields:
                update = {"verdict_rule": self.verdict_rule}
                object.__setattr__(self, step.config_key, config.model_copy(update=update))
        return self

    def detector_on(self, name: str) -> bool:
        """Whether detector `name` (a registered name) is on."""
        return bool(getattr(getattr(self, DETECTORS.get(name).config_key), "enabled", True))

    @property
    def verdict_rule(self) -> str:
        return self.rule or " or ".join(n for n in DETECTORS.names() if self.detector_on(n))


def _filter_section() -> type[StepSection]:
    plugins = [FILTERS.get(name).Config for name in FILTERS.plugins()]
    # `step:` picks the model of a plug-in filter.
    step_config = registered_union(plugins, "step") if plugins else NoFilterPlugins
    base = create_model(
        "FilterSection",
        __base__=FilterSection,
        __doc__=FilterSection.__doc__,
        steps=(
            list[step_config],
            Field(
                default=[],
                description="Plug-in filters (`{step: <name>, ...}`), run in this order after "
                "the built-in rule sets and before dedup.",
            ),
        ),
    )
    built_in = [FILTERS.get(name) for name in FILTERS.builtins]
    return assemble("FilterConfig", base, [*built_in, *SCORES.classes()])


FilterConfig = _filter_section()
DedupConfig = assemble("DedupConfig", DedupSection, DEDUP.classes())
DecontaminationConfig = assemble(
    "DecontaminationConfig", DecontaminationSection, DETECTORS.classes()
)
