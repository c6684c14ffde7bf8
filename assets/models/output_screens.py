"""Screening a model's output before it becomes a row, and the rejection records for what fails.

A rejected candidate never gets a row, so its decision is keyed by the call that produced it
(the first 128 bits of the request hash, the same width as a row id); the evidence always
holds the full call id so `model_calls` shows the prompt and raw output.
"""

from __future__ import annotations

import re

from assets.models.call_cache import CallResult

EVIDENCE_CHARS = 2000

# The `refusal` filter's default patterns (recipe key `filters.refusal_patterns`).
REFUSAL_PATTERNS = [
    r"(?i)\bas an ai\b",
    r"(?i)^\s*i(?:'m| am) sorry\b",
    r"(?i)^\s*i (?:cannot|can't|can not|won't) (?:help|assist|provide|do)\b",
    r"(?i)\bi(?:'m| am) (?:not able|unable) to (?:help|assist|provide)\b",
]
# A fresh model output is screened more broadly: a method that asked for a rewrite or an
# answer also throws away "Sorry, ..." and "I can't rewrite/answer/comply" anywhere in it.
_SCREEN_REFUSALS = [
    re.compile(p)
    for p in (
        *REFUSAL_PATTERNS,
        r"(?i)^\s*sorry\b",
        r"(?i)\bi (?:cannot|can't|can not|won't) (?:help|assist|provide|do|answer|rewrite|comply)\b",
        r"(?i)\bi(?:'m| am) (?:not able|unable) to\b",
        # A profession of ignorance answers nothing ("The most moon-filled planet is not
        # known to me."); the method asks again or moves on.
        r"(?i)^\s*i (?:do not|don't) know\b",
        r"(?i)\b(?:is|are) (?:not known|unknown) to me\b",
    )
]


def is_refusal(text: str) -> bool:
    return any(p.search(text) for p in _SCREEN_REFUSALS)


def rejection(
    call: CallResult, rule: str, *, score: float | None = None, **evidence: object
) -> dict:
    """A rejection record (row id, rule, score, evidence) for the output of `call`."""
    return {
        "row_id": call.request_hash[:32],
        "rule": rule,
        "score": score,
        "evidence": {
            "call_id": call.request_hash,
            "raw_output": call.text[:EVIDENCE_CHARS],
            **evidence,
        },
    }


def screen(call: CallResult, text: str, *, cut_off_ok: bool = False) -> str | None:
    """The rule an output fails before any method-specific check: empty, cut off by the token
    limit (unless `cut_off_ok`), or a refusal; None when it passes."""
    if not text.strip():
        return "empty_output"
    if call.finish_reason == "length" and not cut_off_ok:
        return "truncated_output"
    if is_refusal(text):
        return "refusal"
    return None
