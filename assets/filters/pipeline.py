"""The filtered stage's steps, built from the recipe."""

from __future__ import annotations

from assets.filters.base import RowFilter
from assets.filters.exact_dedup import ExactDedup
from assets.filters.heuristics import (
    EmptyResponse,
    LengthBounds,
    NonPrintable,
    Refusal,
    RepeatedLines,
    RepeatedNgrams,
    TruncatedResponse,
)
from assets.filters.semantic_dedup import SemanticDedup
from assets.recipe import FilterConfig
from warehouse.connection import Warehouse


def build_filters(config: FilterConfig, wh: Warehouse | None = None) -> list[RowFilter]:
    """The steps in order; semantic dedup (which caches embeddings in `wh`) runs last, on
    rows that survived the cheap filters and exact dedup."""
    steps: list[RowFilter] = [
        EmptyResponse(),
        TruncatedResponse(),
        LengthBounds("instruction", config.min_instruction_chars, config.max_instruction_chars),
        LengthBounds("response", config.min_response_chars, config.max_response_chars),
        Refusal(tuple(config.refusal_patterns)),
        NonPrintable(config.max_non_printable_ratio),
        RepeatedLines(config.max_duplicate_line_fraction),
        RepeatedNgrams(config.duplicate_ngram_size, config.max_duplicate_ngram_fraction),
    ]
    if config.exact_dedup:
        steps.append(ExactDedup())
    if config.semantic_dedup.enabled:
        if wh is None:
            raise ValueError("semantic dedup needs the warehouse for its embedding cache")
        steps.append(SemanticDedup(wh, config.semantic_dedup))
    return steps
