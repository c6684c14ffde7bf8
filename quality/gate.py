"""The promotion gate: only this module decides whether a staged version becomes current."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import polars as pl
from pydantic import Field

from quality.attribute_gates import coverage_figures, diversity_figures
from quality.data_docs import write_data_docs
from quality.gates import QualityConfig
from quality.suites import (
    GateSuite,
    Outcome,
    attribute_gate_expectations,
    gate_expectations,
    row_expectations,
    row_rules,
    summary_expectations,
    validate,
)
from warehouse import Warehouse
from warehouse.audit import (
    audit_columns,
    audit_rows,
    duplicate_rate,
    previous_promoted,
    rule_figures,
    version_distribution,
)
from warehouse.corpora import decide_version, prune, staged_version_of_run
from warehouse.settings import Strict


class RetentionConfig(Strict):
    keep_versions: int = Field(default=10, ge=1)
    stale_staged_hours: float = Field(default=24.0, gt=0)


# Rows with the smallest row ids (a pseudo-random sample) that great-expectations validates
# besides the offending rows the SQL figures name: a spot check that GX, on real rows, agrees
# with the SQL predicates. With the offenders (at most `sample_size` per expectation), this
# bounds the pandas frame whatever the version's size.
SPOT_ROWS = 1_000


@dataclass
class GateReport:
    corpus: str
    version: int
    row_count: int
    outcomes: list[Outcome]
    promoted: bool | None = None
    pruned: list[int] | None = None
    figures: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    data_docs: Path | None = None

    @property
    def passed(self) -> bool:
        """No blocking expectation failed: the version may be promoted."""
        return all(o.success for o in self.outcomes if o.severity == "blocking")

    @property
    def failures(self) -> list[Outcome]:
        """Failed blocking expectations."""
        return [o for o in self.outcomes if not o.success and o.severity == "blocking"]

    @property
    def warnings(self) -> list[Outcome]:
        """Failed warning-level expectations: reported, never blocking."""
        return [o for o in self.outcomes if not o.success and o.severity != "blocking"]

    def as_dict(self) -> dict:
        return {
            "version": self.version,
            "row_count": self.row_count,
            "passed": self.passed,
            "expectations": len(self.outcomes),
            "failed": [o.as_dict() for o in self.failures],
            "warnings": [o.as_dict() for o in self.warnings],
            "figures": self.figures,
            "notes": self.notes,
            "data_docs": str(self.data_docs) if self.data_docs else None,
        }


@dataclass(frozen=True)
class GatePolicy:
    """What the gate needs from a recipe: its quality suites and gates, retention, and the
    languages the language filter allows (the language gate checks the same rule)."""

    quality: QualityConfig = QualityConfig()
    retention: RetentionConfig = RetentionConfig()
    allowed_languages: tuple[str, ...] = ("en",)
    min_confidence: float = 0.5


def audit(wh: Warehouse, corpus: str, version: int, policy: GatePolicy) -> GateReport:
    """Run the corpus's suites over a stored version: the row expectations' figures over the
    whole version in SQL, judged with great-expectations on the rows they name plus a spot
    sample; then the row count and the distribution gates on one summary row; Data Docs if
    the recipe asks for them."""
    # Dozens of small reads: one connection serves them.
    with wh.reading():
        return _audit(wh, corpus, version, policy)


def _audit(wh: Warehouse, corpus: str, version: int, policy: GatePolicy) -> GateReport:
    quality = policy.quality
    outcomes: dict[str, Outcome] = {}
    expectations = row_expectations(corpus, quality)
    figures = rule_figures(
        wh,
        corpus,
        version,
        row_rules(expectations, audit_columns(wh, corpus)),
        quality.sample_size,
    )
    named = audit_rows(wh, corpus, version, figures.sample_row_ids(), SPOT_ROWS)
    results = [
        (
            "rows",
            validate(
                named,
                expectations,
                outcomes,
                quality.sample_size,
                f"{corpus}_rows",
                figures=figures,
            ),
        )
    ]
    row_count = figures.row_count
    gates = _gate_suite(wh, corpus, version, policy)
    summary = {"row_count": row_count, **gates.figures}
    results.append(
        (
            "gates",
            validate(
                pl.DataFrame({k: [v] for k, v in summary.items()}),
                summary_expectations(corpus, quality) + gates.expectations,
                outcomes,
                quality.sample_size,
                f"{corpus}_summary",
                gates={"row_count": ("min_rows", "blocking"), **gates.gates},
            ),
        )
    )
    report = GateReport(
        corpus, version, row_count, list(outcomes.values()), figures=summary, notes=gates.notes
    )
    if quality.data_docs:
        verdict = "passed" if report.passed else "failed (blocking)"
        if report.passed and report.warnings:
            verdict = f"passed with {len(report.warnings)} warning(s)"
        report.data_docs = write_data_docs(
            wh.home, corpus, version, results, verdict=verdict, notes=gates.notes
        )
    return report


def _measure(wh: Warehouse, corpus: str, version: int, policy: GatePolicy) -> dict:
    figures = version_distribution(
        wh,
        corpus,
        version,
        allowed_languages=list(policy.allowed_languages),
        min_confidence=policy.min_confidence,
        verifiable=list(policy.quality.gates.verified.methods),
    )
    figures["duplicate_rate"] = duplicate_rate(wh, corpus, version) or 0.0
    return figures


def _gate_suite(wh: Warehouse, corpus: str, version: int, policy: GatePolicy) -> GateSuite:
    previous = previous_promoted(wh, corpus, version)
    suite = gate_expectations(
        corpus,
        policy.quality,
        _measure(wh, corpus, version, policy),
        _measure(wh, corpus, previous[0], policy) if previous else None,
        allowed_languages=list(policy.allowed_languages),
    )
    # Measured only where their gate is on: the diversity figures read rows and vectors.
    gates = policy.quality.gates
    coverage = (
        coverage_figures(wh, corpus, version, gates.coverage)
        if gates.coverage.enabled and corpus in gates.coverage.corpora
        else {}
    )
    diversity = (
        diversity_figures(wh, corpus, version, gates.diversity)
        if gates.diversity.enabled and corpus in gates.diversity.corpora
        else {}
    )
    attribute_gate_expectations(suite, corpus, policy.quality, coverage, diversity)
    return suite


def gate_run(wh: Warehouse, corpus: str, run_id: str, policy: GatePolicy) -> GateReport | None:
    """Audit the version `run_id` staged, then promote it (and apply retention) or reject it."""
    with wh.reading():
        version = staged_version_of_run(wh, corpus, run_id)
        if version is None:
            return None
        report = audit(wh, corpus, version, policy)
    decide_version(wh, corpus, version, promote=report.passed, check_results=report.as_dict())
    report.promoted = report.passed
    if report.passed:
        retention = policy.retention
        report.pruned = prune(
            wh, corpus, retention.keep_versions, timedelta(hours=retention.stale_staged_hours)
        )
    return report
