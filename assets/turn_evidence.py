"""Which turn of a conversation a decision is about, added to its evidence for every step.

Steps read a conversation row through its transcript (`text`), so they need not know about
turns; this names the turn afterwards from what the evidence already holds: a position in
the text (`field: text, start: 123`, as personal-data matches give), else a quoted piece of
the text (a shared benchmark n-gram, a snippet) found in a turn, compared as lower-case
words, or a regular expression that matched (a `pattern` key). Evidence that quotes nothing
(a length, a duplicate's id) is about the whole conversation and gets no turn.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import polars as pl

from warehouse.conversations import turn_label, turns

# Quoted pieces shorter than this many characters say too little to place.
MIN_QUOTE_CHARS = 8
_NON_WORD = re.compile(r"\W+")


def _words(text: str) -> str:
    return " " + _NON_WORD.sub(" ", text.lower()).strip() + " "


def _said(body: str) -> str:
    """A turn's body without its role name (what a rule on the turn's own text reads)."""
    return body.partition(": ")[2]


def _positions(evidence: Any) -> Iterator[int]:
    if isinstance(evidence, dict):
        if isinstance(evidence.get("start"), int) and evidence.get("field", "text") == "text":
            yield evidence["start"]
        for value in evidence.values():
            yield from _positions(value)
    elif isinstance(evidence, list):
        for value in evidence:
            yield from _positions(value)


def _quotes(evidence: Any) -> Iterator[str]:
    if isinstance(evidence, str):
        if len(evidence) >= MIN_QUOTE_CHARS:
            yield evidence
    elif isinstance(evidence, dict):
        for value in evidence.values():
            yield from _quotes(value)
    elif isinstance(evidence, list):
        for value in evidence:
            yield from _quotes(value)


def _patterns(evidence: Any) -> Iterator[re.Pattern[str]]:
    if isinstance(evidence, dict):
        for key, value in evidence.items():
            if key == "pattern" and isinstance(value, str):
                try:
                    yield re.compile(value)
                except re.error:  # a pattern of another dialect: nothing to place by
                    continue
            else:
                yield from _patterns(value)
    elif isinstance(evidence, list):
        for value in evidence:
            yield from _patterns(value)


def _body_words(turn: dict[str, Any]) -> str:
    """A turn's body as `_words`, kept in the turn: a row's turns are read once per quote of
    every decision about it, and lower-casing and splitting them each time cost 15 us a row."""
    words = turn.get("_words")
    if words is None:
        words = turn["_words"] = _words(turn["body"])
    return words


def locate(evidence: Any, row_turns: list[dict[str, Any]]) -> list[str]:
    """Labels of the turns (`turn 3 (assistant)`) that `evidence` points at, in turn order."""
    found: set[int] = set()
    for position in _positions(evidence):
        found |= {t["turn"] for t in row_turns if t["start"] <= position < t["end"]}
    if not found:
        for pattern in _patterns(evidence):
            found |= {t["turn"] for t in row_turns if pattern.search(_said(t["body"]))}
    if not found:
        for quote in _quotes(evidence):
            words = _words(quote)
            if words.strip():
                found |= {t["turn"] for t in row_turns if words in _body_words(t)}
    return [turn_label(t["turn"], t["role"]) for t in row_turns if t["turn"] in found]


def name_turns(decisions: pl.DataFrame, rows: pl.DataFrame) -> pl.DataFrame:
    """`decisions` about conversation rows of `rows` with `turn` (the first turn the evidence
    points at) and `turns` (all of them) added to the evidence where it points at any."""
    if decisions.is_empty() or "messages" not in rows.columns:
        return decisions
    about = rows.filter(
        (pl.col("kind") == "conversation") & pl.col("row_id").is_in(decisions["row_id"].unique())
    )
    if about.is_empty():
        return decisions
    by_row: dict[str, list[dict[str, Any]]] = {}
    for turn in turns(about).sort("row_id", "turn").iter_rows(named=True):
        by_row.setdefault(turn["row_id"], []).append(turn)
    # Only decisions about conversations are read back, and a stage's decisions are few next
    # to its rows: a Python pass over them is cheaper than a general JSON walk in Polars.
    evidence = []
    for row_id, text in decisions.select("row_id", "evidence").iter_rows():
        row_turns = by_row.get(row_id)
        if row_turns is None or text is None:
            evidence.append(text)
            continue
        parsed = json.loads(text)
        labels = locate(parsed, row_turns)
        if labels and isinstance(parsed, dict):
            parsed = {**parsed, "turn": labels[0], "turns": labels}
            text = json.dumps(parsed)
        evidence.append(text)
    return decisions.with_columns(pl.Series("evidence", evidence, dtype=pl.String))
