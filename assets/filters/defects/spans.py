"""What the pattern rules share: find an offending span in a unit's prose, unless the unit is
exempt (the user asked about that very text, or for a template), and name it in evidence."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import polars as pl
from pydantic import BaseModel

from assets.filters.defects.batch_units import judging
from assets.filters.defects.units import decisions, shortened, units
from assets.steps import RowFilter, Step, StepOutput, no_flags
from warehouse.settings import Strict

if TYPE_CHECKING:
    from assets.run_context import RunContext

# Code is not prose: a chat token in a code sample, `{name}` in an f-string or `pass` in a
# snippet is what the code says, not a leak. Fenced blocks and inline code are blanked.
_CODE = r"(?s)```.*?(?:```|$)|`[^`\n]*`"
# Quoted text is a mention: 'What does "<|im_end|>" mean?' asks about the token. A single
# quote opens only after a non-letter and closes only before one, so the apostrophe of "I'm"
# opens no quotation ("I'm writing a greeting. Is 'How can I assist you?' too formal?"),
# and one between letters inside a quotation closes nothing ("'As an AI, I don't ...'").
_QUOTED = (
    r"\"[^\"\n]{1,80}\"|“[^”\n]{1,80}”|‘[^’\n]{2,80}’"
    r"|(?:^|[^\p{L}\p{N}])'[^'\n]{2,80}'(?:[^\p{L}\p{N}]|$)"
    r"|(?:^|[^\p{L}\p{N}])'[^'\n]{1,40}\p{L}'\p{L}[^'\n]{1,40}'(?:[^\p{L}\p{N}]|$)"
)


def prose(text: pl.Expr, *, unquote: bool = False) -> pl.Expr:
    """`text` without code (and quotations, if `unquote`), for rules about prose."""
    stripped = text.fill_null("").str.replace_all(_CODE, " ")
    return stripped.str.replace_all(_QUOTED, " ") if unquote else stripped


def row_text() -> pl.Expr:
    """Every text of a row in one string: its fields, a conversation's transcript and a
    preference pair's rejected side (in `attributes`)."""
    return pl.concat_str(
        [pl.col(c) for c in ("instruction", "input", "response", "text", "attributes")],
        separator="\n",
        ignore_nulls=True,
    )


def first_match(text: pl.Expr, alternatives: Sequence[str]) -> pl.Expr:
    """The match of `"|".join(alternatives)` in `text` (as `str.extract(..., 0)` finds it),
    from one search per alternative: the leftmost match, the first alternative on a tie (the
    regex engine's leftmost-first rule). Joined, alternatives anchored at the text's end lose
    the engine's backward search: 7.7 us a row against 1.1 for announced_missing's."""
    if len(alternatives) == 1:
        return text.str.extract(alternatives[0], 0)
    return _leftmost(text, alternatives, [text.str.find(part) for part in alternatives])


def _leftmost(text: pl.Expr, alternatives: Sequence[str], starts: Sequence[pl.Expr]) -> pl.Expr:
    """`first_match` from each alternative's start in `text`: the match of the first
    alternative that starts leftmost. Each alternative's extraction reads only the texts it is
    chosen for (the others are null to it): a `when(...).then(extract)` chain would run every
    alternative's extraction over every text (10 us a row for announced_missing's)."""
    leftmost = pl.min_horizontal(starts)
    chosen = pl.when(starts[0] == leftmost).then(pl.lit(0, pl.Int32))
    for index, start in enumerate(starts[1:], start=1):
        chosen = chosen.when(start == leftmost).then(pl.lit(index, pl.Int32))
    return pl.coalesce(
        [
            pl.when(chosen == index).then(text).str.extract(part, 0)
            for index, part in enumerate(alternatives)
        ]
        + [pl.lit(None, pl.String)]
    )


def _with_first_match(units: pl.DataFrame, alternatives: Sequence[str]) -> pl.DataFrame:
    """The units whose `_prose` holds a match (`first_match`), as `_span`. Each
    alternative's start is read once, as a column, and only the units with one are read
    again: in `first_match`'s expression each branch searches anew (an eager frame shares no
    subexpression), 27 us a row for announced_missing's six on bench/scale's rows."""
    text = pl.col("_prose")
    if len(alternatives) == 1:
        found = units.with_columns(first_match(text, alternatives).alias("_span"))
        return found.filter(pl.col("_span").is_not_null())
    starts = [f"_start_{i}" for i in range(len(alternatives))]
    return (
        units.with_columns(
            text.str.find(part).alias(start)
            for start, part in zip(starts, alternatives, strict=True)
        )
        .filter(pl.any_horizontal(pl.col(start).is_not_null() for start in starts))
        .with_columns(_leftmost(text, alternatives, [pl.col(s) for s in starts]).alias("_span"))
        .drop(starts)
        .filter(pl.col("_span").is_not_null())
    )


def mentioned(span: pl.Expr, where: pl.Expr) -> pl.Expr:
    """Whether `where` contains `span` (case-insensitive): a response may repeat what the
    user wrote, a template token the question asked about."""
    return (
        where.fill_null("").str.to_lowercase().str.contains(span.str.to_lowercase(), literal=True)
    )


class RuleConfig(Strict):
    """A defect rule that is on or off."""

    enabled: bool = True


@dataclass(frozen=True)
class DefectRule(RowFilter):
    """A defect rule: a row filter configured by its `Config` under `filters.<config_key>`."""

    Config: ClassVar[type[BaseModel]] = RuleConfig
    config_key: ClassVar[str]
    name: str = ""

    @classmethod
    def from_config(cls, config: Any, run: RunContext | None = None) -> list[Step]:
        """The rule's steps as `config` sets them (none when it is off)."""
        return [cls()] if config.enabled else []

    def apply(self, rows: pl.DataFrame) -> StepOutput:
        # The rule's units of these rows come from the batch's units, decoded once for every
        # rule that judges the batch or what is left of it (`batch_units`).
        with judging(rows):
            return super().apply(rows)


@dataclass(frozen=True)
class SpanRule(DefectRule):
    """Flags a row whose unit of `fields` (conversation turns of `roles`) contains a match
    of `pattern` in its prose, unless `exempt` says the match is legitimate there."""

    fields: ClassVar[Sequence[str]] = ("instruction", "input", "response", "messages")
    roles: ClassVar[Sequence[str]] = ("user", "assistant", "system")
    pattern: ClassVar[str]
    kinds: ClassVar[Sequence[str]] = ("instruction", "preference", "conversation", "document")
    unquote: ClassVar[bool] = False
    strip_code: ClassVar[bool] = True
    # `regex()`'s top-level alternatives (none: it is searched whole), when it is their plain
    # join: the span is then found by `first_match`, one search per alternative.
    alternatives: ClassVar[tuple[str, ...]] = ()

    def regex(self) -> str:
        """The pattern of an offending span."""
        return self.pattern

    def parts(self) -> tuple[str, ...]:
        """The pattern's alternatives, each searched on its own by `candidates`."""
        return (self.regex(),)

    def candidates(self, text: pl.Expr) -> pl.Expr:
        """Over all of a row's text (`row_text`): whether it may hold a match. Most rows
        hold none, so only these are split into units (a superset of the matches). Each
        alternative is its own search: joined, mixed flags and word boundaries push the
        regex engine off its fast path (60 us a row against 5)."""
        return pl.any_horizontal([text.str.contains(part) for part in self.parts()])

    def exempt(self) -> pl.Expr:
        """Over a unit's columns and `_span`: a match that is no defect there."""
        return pl.lit(False)

    def unit_candidates(self, text: pl.Expr) -> pl.Expr | None:
        """Over a unit's `_prose`: whether it may hold a match (a superset), where that is
        cheaper than searching every unit of a candidate row for the span; None: no check."""
        return None

    def read_matches(self, found: pl.DataFrame, candidates: pl.DataFrame) -> pl.DataFrame:
        """The units that matched (`_span` set), before `exempt`: where a rule re-reads a span
        or adds what its `exempt` reads from the candidate rows. Read on the matches only."""
        return found

    def flag(self, rows: pl.DataFrame) -> pl.DataFrame:
        # The row's text joined once, as a column: each of the candidate searches would join
        # it again.
        candidates = (
            rows.filter(pl.col("kind").is_in(self.kinds))
            .with_columns(row_text().alias("_row_text"))
            .filter(self.candidates(pl.col("_row_text")))
            .drop("_row_text")
        )
        if candidates.is_empty():
            return no_flags()
        found = units(candidates, self.fields, self.roles).with_columns(
            (
                prose(pl.col("text"), unquote=self.unquote) if self.strip_code else pl.col("text")
            ).alias("_prose")
        )
        check = self.unit_candidates(pl.col("_prose"))
        if check is not None:
            found = found.filter(check)
        found = _with_first_match(found, self.alternatives or (self.regex(),))
        hits = self.read_matches(found, candidates).filter(~self.exempt().fill_null(False))
        return decisions(
            hits,
            self.name,
            pl.lit(1.0),
            span=shortened(pl.col("_span")),
            start=pl.col("text").str.find(pl.col("_span"), literal=True),
        )
