"""The filtered stage's steps, built from the recipe."""

from __future__ import annotations

import polars as pl

from assets.dedup.near import NearDedup
from assets.filters.base import RowFilter
from assets.filters.c4 import C4
from assets.filters.exact_dedup import ExactDedup
from assets.filters.gopher import GopherQuality, GopherRepetition
from assets.filters.heuristics import (
    EmptyResponse,
    LengthBounds,
    NonPrintable,
    Refusal,
    RepeatedLines,
    RepeatedNgrams,
    TruncatedResponse,
)
from assets.filters.instruction_rules import SelfInstructRejection
from assets.filters.language import LanguageFilter, identify
from assets.filters.pii import scan_pii
from assets.filters.semantic_dedup import SemanticDedup
from assets.recipe.root import DedupConfig, FilterConfig
from assets.spark_session import SparkConfig
from warehouse.connection import Warehouse


def prepare_rows(
    rows: pl.DataFrame, config: FilterConfig, stage: str
) -> tuple[pl.DataFrame, pl.DataFrame, dict]:
    """Before any filter: personal data redacted (or its rows dropped), so no later decision or
    version holds it, and `lang`/`lang_score` added. Returns rows, decisions, stage metadata."""
    pii = scan_pii(rows, config.pii, stage)
    rows = identify(pii.rows, config.language)
    languages = (
        rows.group_by("lang").len().sort("len", descending=True).rows()
        if "lang" in rows.columns
        else []
    )
    return (
        rows,
        pii.decisions,
        {"pii": pii.summary, "languages": {str(lang): n for lang, n in languages}},
    )


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
    if config.self_instruct.enabled:
        steps.append(SelfInstructRejection(config.self_instruct))
    if config.language.enabled and config.language.drop:
        steps.append(LanguageFilter(tuple(config.language.allowed), config.language.min_confidence))
    if config.gopher_quality.enabled:
        steps.append(GopherQuality(config.gopher_quality, config.document_scope))
    if config.gopher_repetition.enabled:
        steps.append(GopherRepetition(config.gopher_repetition, config.document_scope))
    if config.c4.enabled:
        steps.append(C4(config.c4, config.document_scope))
    if dedup.exact.enabled:
        steps.append(ExactDedup())
    if dedup.near.enabled:
        steps.append(NearDedup(dedup.near, spark))
    if dedup.semantic.enabled:
        if wh is None:
            raise ValueError("semantic dedup needs the warehouse for its embedding cache")
        steps.append(SemanticDedup(wh, dedup.semantic))
    return steps
