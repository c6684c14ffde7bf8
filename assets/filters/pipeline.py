"""The filtered stage's steps, built from the recipe."""

from __future__ import annotations

import polars as pl

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
from assets.recipe import FilterConfig


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
    if config.exact_dedup:
        steps.append(ExactDedup())
    return steps
