"""What the published heuristic rule sets (Gopher, C4, self-instruct) share: which text a rule
reads, and one decision per failed rule naming the rule set, rule, measured value and threshold.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import polars as pl
from pydantic import Field

from assets.filters.defects.requests import ASKED_TO_REPEAT
from warehouse.settings import Strict

ASKED_FOR_FORM = ASKED_TO_REPEAT + r"|(?i)\blorem ipsum\b"


class DocumentRuleScope(Strict):
    """Where the Gopher and C4 document rules apply. Documents get every rule; instruction
    rows only on long responses (code fences removed), and there only the rules that catch
    degenerate generations (repetition, word-count maximum, symbol and ellipsis ratios, lorem
    ipsum, bad words): short answers, lists, numbers and code in a correct answer are not web
    spam, so word-count minimum, word length, alphabetic share, bullets, stop words, C4 line
    and sentence counts and curly braces apply to documents only."""

    responses: bool = True
    min_response_words: int = Field(
        default=50, ge=0, description="Shorter responses (without code) are not checked."
    )


# Fenced code blocks are not prose: document rules would read `{`, `#` and short lines in them.
_CODE_FENCE = r"(?s)```.*?(?:```|$)"
# Nor are a response's Markdown table rows (a timetable repeats its cells) or its quoted and
# inline-code literals ('### Instruction:' named in an explanation).
_NOT_PROSE = r"(?m)^[ \t]*\|.*\|[ \t]*$|`[^`\n]*`|'[^'\n]{1,40}'|\"[^\"\n]{1,40}\""
WORDS = r"\S+"


@dataclass(frozen=True)
class Threshold:
    """A measured value that must stay on one side of a threshold.

    `value` is an expression over the columns of `checked_text` (and helper columns);
    `documents_only` rules do not judge responses. `forbidden` fails on any positive value."""

    rule: str
    value: pl.Expr
    threshold: float | int | None
    bound: Literal["min", "max", "forbidden"]
    documents_only: bool = False

    def failed(self, value: pl.Expr) -> pl.Expr:
        if self.bound == "min":
            return value < self.threshold
        if self.bound == "max":
            return value > self.threshold
        return value > 0


def checked_text(rows: pl.DataFrame, scope: DocumentRuleScope) -> pl.DataFrame:
    """`row_id`, `field`, `text`, `is_document` for the rows document rules read: the `text`
    of document rows, and (if the scope says so) responses of instruction rows without their
    code blocks, when they are long enough to be judged as prose."""
    documents = rows.filter(pl.col("kind") == "document").select(
        "row_id",
        pl.lit("text").alias("field"),
        pl.col("text").fill_null("").alias("text"),
        pl.lit(True).alias("is_document"),
    )
    if not scope.responses:
        return documents
    prose = (
        pl.col("response")
        .fill_null("")
        .str.replace_all(_CODE_FENCE, "")
        .str.replace_all(_NOT_PROSE, "")
        .str.strip_chars()
    )
    # Web-spam rules do not judge what the request asked for: a chorus sung twice, a blank
    # form, an explanation of Lorem ipsum.
    asked = pl.col("instruction").fill_null("").str.contains(ASKED_FOR_FORM)
    responses = (
        rows.filter((pl.col("kind") == "instruction") & ~asked)
        .select(
            "row_id",
            pl.lit("response").alias("field"),
            prose.alias("text"),
            pl.lit(False).alias("is_document"),
        )
        .filter(pl.col("text").str.count_matches(WORDS) >= max(scope.min_response_words, 1))
    )
    return pl.concat([documents, responses])


def flag_thresholds(
    texts: pl.DataFrame, rule_set: str, checks: list[Threshold], extra: dict[str, pl.Expr] | None
) -> pl.DataFrame:
    """Decisions (row_id, rule, score, evidence) for every check a row fails.

    `texts` is what `checked_text` returns; `extra` are helper columns the checks' value
    expressions read, computed once."""
    if texts.is_empty() or not checks:
        return pl.DataFrame(
            schema={
                "row_id": pl.String,
                "rule": pl.String,
                "score": pl.Float64,
                "evidence": pl.String,
            }
        )
    measured = texts.with_columns(**(extra or {})).with_columns(
        [c.value.cast(pl.Float64).alias(f"_value_{i}") for i, c in enumerate(checks)]
    )
    flagged = []
    for i, check in enumerate(checks):
        value = pl.col(f"_value_{i}")
        applies = pl.col("is_document") if check.documents_only else pl.lit(True)
        flagged.append(
            measured.filter(applies & check.failed(value).fill_null(False)).select(
                "row_id",
                pl.lit(f"{rule_set}.{check.rule}").alias("rule"),
                value.alias("score"),
                pl.struct(
                    rule_set=pl.lit(rule_set),
                    rule=pl.lit(check.rule),
                    field=pl.col("field"),
                    value=value.round(4),
                    threshold=pl.lit(check.threshold),
                    bound=pl.lit(check.bound),
                )
                .struct.json_encode()
                .alias("evidence"),
            )
        )
    return pl.concat(flagged)
