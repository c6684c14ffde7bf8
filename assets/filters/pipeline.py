"""The filtered stage's steps, built from the recipe."""

from __future__ import annotations

from assets.dedup.near import NearDedup
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
from assets.recipe import DedupConfig, FilterConfig, SparkConfig
from warehouse.connection import Warehouse


def build_filters(
    config: FilterConfig,
    dedup: DedupConfig | None = None,
    spark: SparkConfig | None = None,
    wh: Warehouse | None = None,
) -> list[RowFilter]:
    """Heuristic filters, then the enabled dedup steps: exact before near, so near dedup
    compares fewer rows and exact copies keep their exact-match evidence; semantic last (it
    embeds rows, cached in `wh`) on what the cheap steps left."""
    dedup = dedup or DedupConfig()
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
    if dedup.exact.enabled:
        steps.append(ExactDedup())
    if dedup.near.enabled:
        steps.append(NearDedup(dedup.near, spark))
    if dedup.semantic.enabled:
        if wh is None:
            raise ValueError("semantic dedup needs the warehouse for its embedding cache")
        steps.append(SemanticDedup(wh, dedup.semantic))
    return steps
