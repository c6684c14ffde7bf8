"""What reading one seed source yields."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field

import polars as pl

from warehouse.errors import UserError
from warehouse.lineage import GeneratorRecord
from warehouse.rows import DECISION_SCHEMA, empty_decisions

# Canonical seed fields and the names they go by in common instruction datasets (the README's
# "Seed files" lists them). A record gives each field under one of its names; two names of one
# field in one record quarantine it (`ambiguous_field`). An instruction record with an answer
# but no response (a `question,answer` file) takes the answer as its response too.
FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "kind": ("kind",),
    "task_type": ("task_type", "category", "task"),
    "instruction": ("instruction", "prompt", "question", "query"),
    "input": ("input", "context"),
    "response": ("response", "output", "completion", "solution"),
    "text": ("text", "document", "content"),
    "answer": ("answer", "final_answer"),
    "attributes": ("attributes",),
}


class SeedSourceError(UserError, ValueError):
    """A seed source that cannot be read at all (a configuration mistake, not a bad row)."""

    readme_section = "Seed files"


@dataclass
class SeedReadResult:
    """Canonical seed fields with `source` and `source_line`, quarantine decisions, the
    reader generator of each source, warnings for the run's log and metadata (a glob that
    no longer matches the files it did, fields that were ignored), and how many files each
    source named, as the recipe names the source (empty globs included)."""

    rows: pl.DataFrame
    quarantined: pl.DataFrame = field(default_factory=empty_decisions)
    generators: list[GeneratorRecord] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    source_files: dict[str, int] = field(default_factory=dict)

    @classmethod
    def combined(cls, results: Iterable[SeedReadResult]) -> SeedReadResult:
        """One result of many (the batches of a file, or several sources), in order."""
        results = list(results)
        rows = [r.rows for r in results if r.rows.height]
        source_files: dict[str, int] = {}
        for result in results:
            for source, count in result.source_files.items():
                source_files[source] = source_files.get(source, 0) + count
        return cls(
            rows=pl.concat(rows, how="diagonal_relaxed") if rows else pl.DataFrame(),
            quarantined=pl.concat([empty_decisions(), *[r.quarantined for r in results]]),
            generators=[g for r in results for g in r.generators],
            warnings=[w for r in results for w in r.warnings],
            source_files=source_files,
        )


def quarantine_id(source: str, line: int | None) -> str:
    """Matches the ids `validate.split_valid` gives quarantined rows: sha256 of `file:line`."""
    return hashlib.sha256(f"{source}:{line}".encode()).hexdigest()[:32]


def file_quarantine(source: str, rule: str, reason: str) -> pl.DataFrame:
    """One decision for a whole file that yielded no rows."""
    return pl.DataFrame(
        [
            {
                "row_id": quarantine_id(source, None),
                "stage": "seed",
                "rule": rule,
                "action": "quarantine",
                "score": None,
                "evidence": json.dumps({"file": source, "line": None, "reason": reason}),
            }
        ],
        schema=DECISION_SCHEMA,
    )
