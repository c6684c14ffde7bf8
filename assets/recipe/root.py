"""The root `Recipe`: assembles the configuration models that live beside their code (methods,
filters, dedup, detectors, gates, exporters) into one validated document.

Every key is typed and validated on load; unknown keys are errors, so a typo never silently
falls back to a default."""

from __future__ import annotations

import hashlib
from typing import Annotated, Any, Literal, Union

from pydantic import Discriminator, Field, Tag, model_serializer, model_validator

from assets.decontamination.benchmarks import BenchmarkFile, BuiltinBenchmark, HubBenchmark
from assets.decontamination.embedding import EmbeddingDetector
from assets.decontamination.judge import JudgeConfig
from assets.decontamination.lexical import LexicalDetector
from assets.decontamination.verdict import verdict_rule_names
from assets.dedup.near import NearDedupConfig
from assets.engine import ExecutionConfig
from assets.export.dataset_card import PublishConfig
from assets.export.files import ExportConfig
from assets.filters.c4 import C4Rules
from assets.filters.code_verify import CodeVerifyConfig
from assets.filters.defects.relevance import RelevanceConfig
from assets.filters.defects.response_language import ResponseLanguageConfig
from assets.filters.defects.spans import RuleConfig
from assets.filters.echo import EchoRules
from assets.filters.exact_dedup import ExactDedupConfig
from assets.filters.gopher import GopherQualityRules, GopherRepetitionRules
from assets.filters.instruction_rules import SelfInstructRules
from assets.filters.judge_score import JudgeScoring
from assets.filters.language import LanguageConfig
from assets.filters.pii import PiiConfig
from assets.filters.rule_sets import DocumentRuleScope
from assets.filters.semantic_dedup import SemanticDedupConfig
from assets.models.output_screens import REFUSAL_PATTERNS
from assets.registry import DETECTORS, FILTERS, METHODS
from assets.seed_readers.sources import SeedConfig
from assets.spark_session import SparkConfig
from assets.stream import StreamingConfig
from quality.gate import GatePolicy, RetentionConfig
from quality.gates import QualityConfig
from quality.report_config import ReportConfig
from warehouse.settings import Strict


def _union(configs: list[type], discriminator: str) -> Any:
    """A discriminated union of registered config models (one model needs no union)."""
    if len(configs) == 1:
        return configs[0]
    return Annotated[Union[tuple(configs)], Field(discriminator=discriminator)]  # noqa: UP007


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


# `method:` picks the model of a built-in or plug-in synthesis method (assets/registry.py).
MethodConfig = _union(METHODS.configs(), "method")


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


# `step:` picks the model of a plug-in filter.
# (Built-in filters that declare a `Config` have their own keys under `filters`.)
_PLUGIN_FILTER_CONFIGS = [FILTERS.get(name).Config for name in FILTERS.plugins()]
FilterStepConfig = (
    _union(_PLUGIN_FILTER_CONFIGS, "step") if _PLUGIN_FILTER_CONFIGS else NoFilterPlugins
)


class SynthesisConfig(Strict):
    random_seed: int = 0
    methods: list[MethodConfig] = Field(min_length=1)
    refresh_cache: bool = Field(
        default=False, description="Ignore cached model calls and call the models again."
    )

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


class FilterConfig(Strict):
    min_instruction_chars: int = Field(default=8, ge=0)
    max_instruction_chars: int = Field(default=4_000, gt=0)
    min_response_chars: int = Field(default=1, ge=0)
    max_response_chars: int = Field(default=16_000, gt=0)
    max_non_printable_ratio: float = Field(default=0.01, ge=0.0, le=1.0)
    max_duplicate_line_fraction: float = Field(default=0.3, ge=0.0, le=1.0)
    duplicate_ngram_size: int = Field(default=3, ge=1, le=10)
    max_duplicate_ngram_fraction: float = Field(default=0.5, ge=0.0, le=1.0)
    refusal_patterns: list[str] = Field(default=REFUSAL_PATTERNS)
    echo: EchoRules = EchoRules()
    gopher_quality: GopherQualityRules = GopherQualityRules()
    gopher_repetition: GopherRepetitionRules = GopherRepetitionRules()
    c4: C4Rules = C4Rules()
    document_scope: DocumentRuleScope = DocumentRuleScope()
    self_instruct: SelfInstructRules = SelfInstructRules()
    pii: PiiConfig = PiiConfig()
    language: LanguageConfig = LanguageConfig()
    judge: JudgeScoring = JudgeScoring()
    code_verify: CodeVerifyConfig = CodeVerifyConfig()
    # Defect rules (assets/filters/defects), each `{enabled: true}` by default.
    chat_token_leak: RuleConfig = RuleConfig()
    template_leak: RuleConfig = RuleConfig()
    placeholder: RuleConfig = RuleConfig()
    ai_disclaimer: RuleConfig = RuleConfig()
    role_flip: RuleConfig = RuleConfig()
    not_a_task: RuleConfig = RuleConfig()
    empty_question: RuleConfig = RuleConfig()
    unseen_reference: RuleConfig = RuleConfig()
    truncated_text: RuleConfig = RuleConfig()
    announced_missing: RuleConfig = RuleConfig()
    empty_list: RuleConfig = RuleConfig()
    needless_clarification: RuleConfig = RuleConfig()
    repeated_sentences: RuleConfig = RuleConfig()
    code_stub: RuleConfig = RuleConfig()
    response_language: ResponseLanguageConfig = ResponseLanguageConfig()
    off_topic: RelevanceConfig = RelevanceConfig()
    steps: list[FilterStepConfig] = Field(
        default=[],
        description="Plug-in filters (`{step: <name>, ...}`), run in this order after the "
        "built-in rule sets and before dedup.",
    )

    @model_serializer(mode="wrap")
    def _hash_unchanged_without_plugins(self, handler: Any) -> dict:
        # Recipes that use no plug-in filter dump (and so hash) exactly as before `steps`.
        data = handler(self)
        if not self.steps:
            data.pop("steps", None)
        return data

    @model_validator(mode="before")
    @classmethod
    def _moved_keys(cls, data: object) -> object:
        if isinstance(data, dict) and "exact_dedup" in data:
            raise ValueError("exact_dedup moved to the top-level `dedup.exact.enabled`")
        return data

    @model_validator(mode="after")
    def _bounds_ordered(self) -> FilterConfig:
        if self.min_instruction_chars > self.max_instruction_chars:
            raise ValueError("min_instruction_chars is larger than max_instruction_chars")
        if self.min_response_chars > self.max_response_chars:
            raise ValueError("min_response_chars is larger than max_response_chars")
        return self


class DedupConfig(Strict):
    """Deduplication steps of the filtered stage, run after the heuristic filters in this
    order: exact, near, semantic."""

    exact: ExactDedupConfig = ExactDedupConfig()
    near: NearDedupConfig = NearDedupConfig()
    semantic: SemanticDedupConfig = SemanticDedupConfig()


class DecontaminationConfig(Strict):
    ngram_size: int = Field(default=13, ge=3, le=50)
    benchmarks: list[BenchmarkSource] = [BuiltinBenchmark(builtin="humaneval")]
    ngram_backend: Literal["local", "spark"] = Field(
        default="local", description="local: DuckDB in process; spark: the `spark` section."
    )
    embedding: EmbeddingDetector | None = Field(
        default=None, description="Embedding nearest-neighbour detector; off when absent."
    )
    lexical: LexicalDetector | None = Field(
        default=None,
        description="Character n-gram TF-IDF nearest-neighbour detector; off when absent.",
    )
    judge: JudgeConfig | None = Field(
        default=None, description="LLM judge of nearest-neighbour candidates; off when absent."
    )
    rule: str | None = Field(
        default=None,
        description="When a row is contaminated: detector names with and/or/not, e.g. "
        "'ngram or embedding or lexical or judge'; default: any configured detector.",
    )

    @model_validator(mode="after")
    def _rule_uses_configured_detectors(self) -> DecontaminationConfig:
        if self.rule is None:
            return self
        for name in verdict_rule_names(self.rule):
            if not self.detector_on(name):
                raise ValueError(f"rule {self.rule!r} uses {name!r} but `{name}` is not configured")
        return self

    def detector_on(self, name: str) -> bool:
        """Whether detector `name` is on: its key (`config_key`) is set, or it has none."""
        key = DETECTORS.get(name).config_key
        return key is None or getattr(self, key) is not None

    @property
    def verdict_rule(self) -> str:
        return self.rule or " or ".join(n for n in DETECTORS.names() if self.detector_on(n))


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
