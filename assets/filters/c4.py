"""C4's cleaning rules (Raffel et al. 2020, section 2.2) as document-level decisions.

C4 deletes lines without terminal punctuation, with fewer than five words, mentioning
javascript or policy boilerplate; here those lines are counted instead (row contents stay what
the generator wrote) and a document losing too large a share of them is dropped. Page rules
(lorem ipsum, curly braces, too few sentences, bad words) drop the row as in C4."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

import polars as pl
from pydantic import Field

from assets.filters.rule_sets import (
    WORDS,
    DocumentRuleScope,
    Threshold,
    checked_text,
    flag_thresholds,
)
from assets.run_context import RunContext
from assets.steps import RowFilter
from warehouse.settings import Strict


class C4Rules(Strict):
    """C4 cleaning rules (Raffel et al. 2020, section 2.2), as document-level decisions.

    C4 deletes offending lines; here a line it would delete is counted, and a document
    loses too many lines (`max_removed_line_fraction`) or keeps too few sentences is dropped,
    so row contents stay what the generator wrote."""

    enabled: bool = True
    min_words_per_line: int = Field(default=5, ge=0)
    max_removed_line_fraction: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description="Share of lines C4 would remove (no terminal punctuation, too short, "
        "javascript, policy boilerplate) above which the document is dropped.",
    )
    min_sentences: int = Field(default=3, ge=0, description="In the lines C4 keeps.")
    drop_lorem_ipsum: bool = True
    drop_curly_brace: bool = Field(default=True, description="Documents only, never responses.")
    policy_phrases: list[str] = [
        "terms of use",
        "privacy policy",
        "cookie policy",
        "uses cookies",
        "use of cookies",
        "use cookies",
    ]
    bad_words: list[str] = Field(
        default=[], description="Whole words that drop a document (C4 used the LDNOOBW list)."
    )
    scope: DocumentRuleScope = Field(
        default_factory=DocumentRuleScope,
        description="Which rows' text the rules read (formerly `filters.document_scope`).",
    )


# Period, exclamation mark, question mark or closing quotation mark (C4's list).
_TERMINAL = r"[.!?\"'”’]\s*$"
_SENTENCE_END = r"[.!?]+[\"'”’)\]]*(?:\s|$)"


@dataclass(frozen=True)
class C4(RowFilter):
    rules: C4Rules
    scope: DocumentRuleScope
    name: str = "c4"
    Config: ClassVar[type[Strict]] = C4Rules
    config_key: ClassVar[str] = "c4"
    # One scope used to serve the Gopher and C4 rule sets alike; it now sets each one's.
    legacy_keys: ClassVar[dict[str, str]] = {"document_scope": "scope"}

    @classmethod
    def from_config(cls, config: C4Rules, run: RunContext) -> list[C4]:
        return [cls(config, config.scope)] if config.enabled else []

    def flag(self, rows: pl.DataFrame) -> pl.DataFrame:
        r = self.rules
        line = pl.element()
        removed = (
            ~line.str.contains(_TERMINAL)
            | (line.str.count_matches(WORDS) < r.min_words_per_line)
            | line.str.contains("(?i)javascript")
        )
        if r.policy_phrases:
            removed = removed | line.str.to_lowercase().str.contains_any(r.policy_phrases)
        lines = (
            pl.col("text")
            .str.split("\n")
            .list.eval(line.str.strip_chars().filter(line.str.strip_chars() != ""))
        )
        kept_text = pl.col("_lines").list.eval(line.filter(~removed)).list.join("\n")
        checks = [
            Threshold(
                "removed_line_fraction",
                pl.col("_lines").list.eval(removed.cast(pl.Int32)).list.sum()
                / pl.col("_lines").list.len().clip(lower_bound=1),
                r.max_removed_line_fraction,
                "max",
                documents_only=True,
            ),
            Threshold(
                "sentences",
                kept_text.str.count_matches(_SENTENCE_END),
                r.min_sentences,
                "min",
                documents_only=True,
            ),
        ]
        if r.drop_lorem_ipsum:
            checks.append(
                Threshold(
                    "lorem_ipsum",
                    pl.col("text").str.count_matches("(?i)lorem ipsum"),
                    None,
                    "forbidden",
                )
            )
        if r.drop_curly_brace:
            checks.append(
                Threshold(
                    "curly_brace",
                    pl.col("text").str.count_matches("{", literal=True),
                    None,
                    "forbidden",
                    documents_only=True,
                )
            )
        if r.bad_words:
            pattern = r"(?i)\b(?:" + "|".join(re.escape(w) for w in r.bad_words) + r")\b"
            checks.append(
                Threshold("bad_words", pl.col("text").str.count_matches(pattern), None, "forbidden")
            )
        return flag_thresholds(checked_text(rows, self.scope), self.name, checks, {"_lines": lines})
