"""The promotion gate: only this module decides whether a staged version becomes current."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import polars as pl

from assets.recipe import Recipe
from quality.suites import Outcome, row_expectations, summary_expectations, validate
from warehouse import Warehouse
from warehouse.audit import audit_chunks, version_row_count
from warehouse.corpora import decide_version, prune, staged_version_of_run

CHUNK_ROWS = 200_000


@dataclass
class GateReport:
    corpus: str
    version: int
    row_count: int
    outcomes: list[Outcome]
    promoted: bool | None = None
    pruned: list[int] | None = None

    @property
    def passed(self) -> bool:
        return all(o.success for o in self.outcomes)

    @property
    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.success]

    def as_dict(self) -> dict:
        return {
            "version": self.version,
            "row_count": self.row_count,
            "passed": self.passed,
            "expectations": len(self.outcomes),
            "failed": [o.as_dict() for o in self.failures],
        }


def audit(wh: Warehouse, corpus: str, version: int, recipe: Recipe) -> GateReport:
    """Run the corpus's suites over a stored version, chunk by chunk."""
    quality = recipe.quality
    outcomes: dict[str, Outcome] = {}
    for chunk in audit_chunks(wh, corpus, version, CHUNK_ROWS):
        validate(
            chunk,
            row_expectations(corpus, quality),
            outcomes,
            quality.sample_size,
            f"{corpus}_rows",
        )
    row_count = version_row_count(wh, corpus, version)
    validate(
        pl.DataFrame({"row_count": [row_count]}),
        summary_expectations(corpus, quality),
        outcomes,
        quality.sample_size,
        f"{corpus}_summary",
    )
    return GateReport(corpus, version, row_count, list(outcomes.values()))


def gate_run(wh: Warehouse, corpus: str, run_id: str, recipe: Recipe) -> GateReport | None:
    """Audit the version `run_id` staged, then promote it (and apply retention) or reject it."""
    version = staged_version_of_run(wh, corpus, run_id)
    if version is None:
        return None
    report = audit(wh, corpus, version, recipe)
    decide_version(wh, corpus, version, promote=report.passed, check_results=report.as_dict())
    report.promoted = report.passed
    if report.passed:
        retention = recipe.retention
        report.pruned = prune(
            wh, corpus, retention.keep_versions, timedelta(hours=retention.stale_staged_hours)
        )
    return report
