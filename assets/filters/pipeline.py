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
from assets.recipe import FilterConfig


def build_filters(config: FilterConfig) -> list[RowFilter]:
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
    return steps
