"""Configuration of the promotion gates: minimum rows, row-level limits and the distribution
gates (length, language, verified share, drift, judge and reward score, attribute coverage
and diversity) checked before a version is promoted."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from warehouse.corpora import CORPORA, Corpus
from warehouse.settings import Strict

Severity = Literal["blocking", "warning"]


GatedCorpus = Corpus


class _Gate(Strict):
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
    methods: list[str] = ["programmatic_math", "code_instruct", "program_of_thought"]
    min_share: float = Field(default=1.0, ge=0, le=1)


class DriftGate(_Gate):
    """Against the previous promoted version of the same corpus (skipped for the first)."""

    severity: Severity = "warning"
    corpora: list[GatedCorpus] = list(CORPORA)
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


class RewardScoreGate(_Gate):
    """Floor on a `reward_score` column (`filters.reward`); skipped where there is none."""

    severity: Severity = "warning"
    corpora: list[GatedCorpus] = ["filtered", "decontaminated"]
    min_mean: float | None = None
    min_value: float | None = None


class CoverageGate(_Gate):
    """Sampled attributes (`attributes.sampled`) against their samplers' targets: each value's
    share among the version's rows of its method within `tolerance` of its target, and no
    targeted value without a row. Off until enabled; attributes without finite targets
    (ranges, seed fields) are not gated."""

    enabled: bool = False
    corpora: list[GatedCorpus] = ["decontaminated"]
    tolerance: float = Field(default=0.05, ge=0, le=1)


class DiversityGate(_Gate):
    """A version collapsed onto a few templates: distinct-2 (unique word bigrams / all) at
    least `min_distinct_2`, and at most `max_near_share` of the embedded rows with a nearest
    neighbour above `similarity` (cosine of the vectors in the warehouse's embedding cache,
    which semantic dedup and the materialization metadata fill; rows without one are left
    out). Measured on the `sample` rows with the smallest row ids. Off until enabled."""

    enabled: bool = False
    corpora: list[GatedCorpus] = ["filtered", "decontaminated"]
    min_distinct_2: float | None = Field(default=0.25, ge=0, le=1)
    max_near_share: float | None = Field(default=0.2, ge=0, le=1)
    similarity: float = Field(default=0.9, gt=0, le=1)
    embedding_model: str = Field(
        default="all-MiniLM-L6-v2", description="The model whose cached vectors are read."
    )
    sample: int = Field(default=5_000, ge=2)


class GatesConfig(Strict):
    length: LengthGate = LengthGate()
    language: LanguageGate = LanguageGate()
    verified: VerifiedGate = VerifiedGate()
    drift: DriftGate = DriftGate()
    judge_score: JudgeScoreGate = JudgeScoreGate()
    reward_score: RewardScoreGate = RewardScoreGate()
    coverage: CoverageGate = CoverageGate()
    diversity: DiversityGate = DiversityGate()


class QualityConfig(Strict):
    min_rows: dict[Corpus, int] = {
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
