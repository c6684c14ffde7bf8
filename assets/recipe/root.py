"""The root `Recipe`: assembles the configuration models that live beside their code (methods,
the stage sections of assets/recipe/sections.py, gates, exporters) into one validated document.

Every key is typed and validated on load; unknown keys are errors, so a typo never silently
falls back to a default."""

from __future__ import annotations

import hashlib
from typing import Any

from pydantic import BaseModel, Field, model_serializer, model_validator

from assets.engine import ExecutionConfig
from assets.export.dataset_card import PublishConfig
from assets.export.files import ExportConfig
from assets.models.budget import BudgetConfig
from assets.models.generators import PricedModel
from assets.recipe.sections import (
    DecontaminationConfig,
    DedupConfig,
    FilterConfig,
    registered_union,
)
from assets.registry import METHODS
from assets.seed_readers.sources import SeedConfig
from assets.spark_session import SparkConfig
from assets.stream import StreamingConfig
from assets.synthesis.attributes import Steerable, check_template_attributes
from assets.synthesis.samplers.config import SamplerConfig, check_samplers
from quality.gate import GatePolicy, RetentionConfig
from quality.gates import QualityConfig
from quality.report_config import ReportConfig
from warehouse.settings import Strict

# `method:` picks the model of a built-in or plug-in synthesis method (assets/registry.py).
MethodConfig = registered_union(METHODS.configs(), "method")


class SynthesisConfig(Strict):
    random_seed: int = 0
    samplers: dict[str, SamplerConfig] = Field(
        default_factory=dict,
        description="Named attribute samplers that methods' `attributes` draw from.",
    )
    methods: list[MethodConfig] = Field(min_length=1)
    refresh_cache: bool = Field(
        default=False, description="Ignore cached model calls and call the models again."
    )
    budget: BudgetConfig | None = Field(
        default=None,
        description="Limits on the calls, tokens and cost one run of the synthesized stage "
        "may send; checked before each call (assets/models/budget.py).",
    )

    @model_serializer(mode="wrap")
    def _hash_unchanged_without_a_budget_or_samplers(self, handler: Any) -> dict:
        # Recipes without a budget or samplers dump (and so hash) exactly as before they
        # existed (one serializer: pydantic keeps only the last a model defines).
        data = handler(self)
        if self.budget is None:
            data.pop("budget", None)
        if not self.samplers:
            data.pop("samplers", None)
        return data

    @model_validator(mode="after")
    def _cost_limit_needs_prices(self) -> SynthesisConfig:
        if self.budget is None or self.budget.max_cost is None:
            return self
        for position, config in enumerate(self.methods):
            for path, generator in _generators(config):
                if generator.price is None:
                    raise ValueError(
                        f"budget.max_cost needs a price on every generator: methods.{position} "
                        f"({config.method}) {path} has none (a local model may say "
                        "`price: {input_per_million: 0, output_per_million: 0}`)"
                    )
        return self

    @model_validator(mode="after")
    def _attributes_drawn_and_rendered(self) -> SynthesisConfig:
        check_samplers(self.samplers)
        for position, config in enumerate(self.methods):
            if isinstance(config, Steerable):
                try:
                    check_template_attributes(config, METHODS.get(config.method), self.samplers)
                except (ValueError, LookupError) as exc:
                    # A missing template is a LookupError: reported as a recipe error too.
                    raise ValueError(f"methods.{position} ({config.method}): {exc}") from None
        return self

    @model_validator(mode="after")
    def _sources_ran_earlier(self) -> SynthesisConfig:
        ran: list[str] = []
        for position, config in enumerate(self.methods):
            for source in getattr(config, "sources", []):
                if source != "seed" and source not in ran:
                    raise ValueError(
                        f"methods.{position} ({config.method}): source {source!r} must be "
                        f"'seed' or a method listed before it (before it: {ran or 'none'})"
                    )
            ran.append(config.method)
        return self


def _generators(config: BaseModel, path: str = "") -> list[tuple[str, PricedModel]]:
    """Every generator config inside a method's config (its `generator`, judges, ...), with
    where it sits."""
    found: list[tuple[str, PricedModel]] = []
    for name in type(config).model_fields:
        value = getattr(config, name)
        values = value if isinstance(value, list | tuple) else [value]
        for index, item in enumerate(values):
            where = f"{path}{name}" + (f".{index}" if values is value else "")
            if isinstance(item, PricedModel):
                found.append((where, item))
            elif isinstance(item, BaseModel):
                found.extend(_generators(item, where + "."))
    return found


class Recipe(Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9_.\-]+$")
    seed: SeedConfig
    synthesis: SynthesisConfig
    filters: FilterConfig = FilterConfig()
    dedup: DedupConfig = DedupConfig()
    decontamination: DecontaminationConfig = DecontaminationConfig()
    quality: QualityConfig = QualityConfig()
    retention: RetentionConfig = RetentionConfig()
    export: ExportConfig = ExportConfig()
    spark: SparkConfig = SparkConfig()
    execution: ExecutionConfig = ExecutionConfig()
    reports: ReportConfig = ReportConfig()
    publish: PublishConfig = PublishConfig()
    streaming: StreamingConfig = StreamingConfig()

    @model_serializer(mode="wrap")
    def _hash_unchanged_on_the_local_engine(self, handler: Any) -> dict:
        # Recipes that run in process dump (and so hash) exactly as before `execution`.
        data = handler(self)
        if self.execution == ExecutionConfig():
            data.pop("execution", None)
        return data

    def gate_policy(self) -> GatePolicy:
        return GatePolicy(
            quality=self.quality,
            retention=self.retention,
            allowed_languages=tuple(self.filters.language.allowed),
            min_confidence=self.filters.language.min_confidence,
        )

    @property
    def sha256(self) -> str:
        # Batch sizes change how a version is computed, never what it holds.
        return hashlib.sha256(self.model_dump_json(exclude={"streaming"}).encode()).hexdigest()
