"""Rows whose response contradicts their own reference answer.

A row that carries a numeric `answer` (programmatic math, a seed file's answer column, or a
method that kept its source's answer) states a checkable claim: its response's final answer
(assets/answers.py, as verified chain-of-thought reads it: a boxed or marked answer, else the
last number) must be that number. A response that gives another number, or none, is wrong
however well it reads, and a preference pair whose chosen side is wrong teaches the wrong
preference. Rows without a numeric answer are left alone: a string answer is too loosely
phrased in prose to compare.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import ClassVar

import polars as pl

from assets.answers import reference_check
from assets.run_context import RunContext
from assets.steps import FLAG_SCHEMA, RowFilter
from warehouse.settings import Strict

# A preference row's `response` is its chosen side: the claim the pair makes.
_KINDS = ("instruction", "preference")


class ReferenceAnswerConfig(Strict):
    """Drop rows whose response's final answer is not their numeric `answer`."""

    enabled: bool = True


@dataclass(frozen=True)
class ReferenceAnswer(RowFilter):
    name: str = "reference_answer"
    Config: ClassVar[type[Strict]] = ReferenceAnswerConfig
    config_key: ClassVar[str] = "reference_answer"

    @classmethod
    def from_config(cls, config: ReferenceAnswerConfig, run: RunContext) -> list[ReferenceAnswer]:
        return [cls()] if config.enabled else []

    def flag(self, rows: pl.DataFrame) -> pl.DataFrame:
        if "answer" not in rows.columns:
            return pl.DataFrame(schema=FLAG_SCHEMA)
        # Few rows carry an answer: only those are parsed, one at a time, by the same
        # extraction the chain-of-thought methods verify with.
        candidates = rows.filter(
            pl.col("kind").is_in(_KINDS)
            & pl.col("answer").is_not_null()
            & pl.col("response").is_not_null()
        ).select("row_id", "answer", "response")
        flagged = []
        for row_id, answer, response in candidates.iter_rows():
            verification = reference_check(response, answer)
            if verification is not None and not verification.matched:
                evidence = {"rule": self.name, "field": "response", **verification.as_dict()}
                flagged.append((row_id, self.name, None, json.dumps(evidence)))
        return pl.DataFrame(flagged, schema=FLAG_SCHEMA, orient="row")
