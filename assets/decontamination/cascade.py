"""The decontamination cascade's cheap first stage: which rows the sentence embedding sees.

Every row's problem part (`views.problem_part`) is compared with every benchmark item's problem
statement by TF-IDF cosine of hashed character n-grams, the `lexical` detector's measure
(`lexical.char_ngram_nearest`). Document frequencies come from the benchmark items alone, so a
row's score depends on that row only (any batching, any engine gives the same candidates) and
the fitted weights are one small object per benchmark set.
Rows at or above `threshold` are the candidates; only they are embedded (and judged).

It costs a fraction of a millisecond a row, and at the default (character 4-6-grams, 0.12:
bench/first_stage) it nominates every human-written rephrasing in the evaluation sets
(tests/data), so the cascade's recall equals that of embedding every row; it separates
rephrasings from other coding requests poorly, so most coding rows are candidates too (about
a third of technical prose). The saving is mostly in what is embedded: the problem
part, not the response (bench/decontamination measures both).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl
from pydantic import Field, model_validator

from assets.decontamination.lexical import char_ngram_nearest
from warehouse.settings import Strict


class CandidateFilter(Strict):
    """Nominates the rows the embedding detector looks at: character n-gram TF-IDF cosine of
    a row's problem part (instruction, input, code blocks) with its nearest benchmark item."""

    # 4-6-grams at 0.12 (bench/first_stage): 11% below the lowest tuning-half rephrasing's
    # score, every held-out rephrasing kept, 0.373 of docstring prose nominated where the
    # previous 3-5-grams at 0.10 (still `{min_chars: 3, max_chars: 5, threshold: 0.10}`)
    # nominated 0.848.
    threshold: float = Field(
        default=0.12,
        gt=0.0,
        le=1.0,
        description="Cosine at or above which a row is a candidate (tuned in "
        "bench/first_stage for recall with a margin, not precision: the embedding decides).",
    )
    min_chars: int = Field(default=4, ge=1, le=10, description="Shortest character n-gram.")
    max_chars: int = Field(default=6, ge=1, le=10, description="Longest character n-gram.")

    @model_validator(mode="after")
    def _ordered(self) -> CandidateFilter:
        if self.min_chars > self.max_chars:
            raise ValueError(f"min_chars ({self.min_chars}) is above max_chars ({self.max_chars})")
        return self


CANDIDATE_SCHEMA = {"cand_item": pl.UInt32, "cand_similarity": pl.Float64}


def candidate_scores(
    texts: pl.Series,
    item_texts: pl.Series,
    config: CandidateFilter,
    fitted: tuple[Any, Any, Any] | None = None,
) -> pl.DataFrame:
    """Per text: the index of its lexically nearest item (`cand_item`) and the cosine
    (`cand_similarity`); `texts` are problem parts, `item_texts` the benchmark items (their
    side already fitted when `fitted` is given: `lexical.fitted_items`)."""
    if texts.is_empty() or item_texts.is_empty():
        return pl.DataFrame(
            {"cand_item": [None] * len(texts), "cand_similarity": [None] * len(texts)},
            schema=CANDIDATE_SCHEMA,
        )
    best, score = char_ngram_nearest(texts, item_texts, config.min_chars, config.max_chars, fitted)
    return pl.DataFrame(
        {
            "cand_item": pl.Series(best, dtype=pl.UInt32),
            "cand_similarity": pl.Series(score.astype(np.float64)).round(6),
        },
        schema=CANDIDATE_SCHEMA,
    )
