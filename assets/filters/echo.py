"""Answers that only echo what they answer: an instruction row's response, a preference
pair's chosen response, or a conversation's assistant turn against the user turn before it.

On normalized words (lowercase, every run of characters that are not letters or digits made
one space), a response echoes its instruction when

- it starts with the whole instruction, or contains it adding at most `max_added_words`
  words: "Name three rivers" or "Sure! Name three rivers." for "Name three rivers."; or
- it copies part of the instruction: at least `min_copied_fraction` of its distinct word pairs
  (bigrams) occur in the instruction, in a response of at least `min_copy_words` words ("The
  sky is blue." for 'Rewrite this for a child: "The sky is blue."'). A shorter response, such
  as an option taken from a multiple-choice question, is left alone; so is a copy of the
  row's `input` (the text a rewrite or correction task works on belongs there).

"The capital of France is Paris." for "What is the capital of France?" is no echo.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import polars as pl
from pydantic import Field

from assets.filters.defects.units import decisions, units
from assets.run_context import RunContext
from assets.steps import RowFilter
from warehouse.settings import Strict

_NOT_WORD = r"[^\p{L}\p{N}]+"
ASKED_TO_ECHO = (
    r"(?i)\b(?:repeat|say (?:it|this|that) back|echo|verbatim|word for word|exactly as "
    r"(?:written|given|it is)|copy (?:it|this|the following))\b"
)


class EchoRules(Strict):
    """Drop instruction rows whose response only repeats the instruction."""

    enabled: bool = True
    max_added_words: int = Field(
        default=3,
        ge=0,
        description="Words a response may add to a repeated instruction and still be an echo.",
    )
    min_copied_fraction: float = Field(
        default=0.8,
        gt=0.0,
        le=1.0,
        description="Share of a response's distinct word bigrams found in the instruction "
        "that makes it a copy.",
    )
    min_copy_words: int = Field(
        default=4, ge=2, description="Shorter responses are never judged copies."
    )


def normalized(column: str) -> pl.Expr:
    """Lowercase words separated by single spaces (punctuation and spacing dropped)."""
    return (
        pl.col(column)
        .fill_null("")
        .str.to_lowercase()
        .str.replace_all(_NOT_WORD, " ")
        .str.strip_chars()
    )


def _words(text: pl.Expr) -> pl.Expr:
    count = pl.when(text == "").then(0).otherwise(text.str.count_matches(" ") + 1)
    return count.cast(pl.Int64)


def _bigrams(text: pl.Expr) -> pl.Expr:
    pairs = pl.concat_str([pl.element(), pl.element().shift(-1)], separator=" ")
    return text.str.split(" ").list.eval(pairs.drop_nulls()).list.unique()


@dataclass(frozen=True)
class EchoesInstruction(RowFilter):
    max_added_words: int = 3
    min_copied_fraction: float = 0.8
    min_copy_words: int = 4
    name: str = "echoes_instruction"
    Config: ClassVar[type[Strict]] = EchoRules
    config_key: ClassVar[str] = "echo"

    @classmethod
    def from_config(cls, config: EchoRules, run: RunContext) -> list[EchoesInstruction]:
        if not config.enabled:
            return []
        return [cls(config.max_added_words, config.min_copied_fraction, config.min_copy_words)]

    def flag(self, rows: pl.DataFrame) -> pl.DataFrame:
        # Every answer against what it answers: an instruction's response, a preference
        # pair's chosen side, each assistant turn against the user turn before it.
        # Each derived text is a column computed once: written inline, the normalized texts
        # were recomputed by every expression that reads them (4x the cost).
        texts = (
            units(rows, ("response", "messages"), ("assistant",))
            .rename({"prompt": "instruction", "text": "response"})
            .select(
                "row_id",
                "field",
                "turn",
                "role",
                pl.col("response").alias("_raw_response"),
                pl.col("instruction").alias("_raw_instruction"),
                normalized("instruction").alias("_instruction"),
                normalized("response").alias("_response"),
            )
            .with_columns(
                _words(pl.col("_instruction")).alias("_instruction_words"),
                _words(pl.col("_response")).alias("_response_words"),
            )
        )
        instruction, response, pairs = pl.col("_instruction"), pl.col("_response"), pl.col("_pairs")
        # Padding with spaces makes the containment whole-word: "cat" is not in "cats".
        contains = (pl.lit(" ") + response + pl.lit(" ")).str.contains(
            pl.lit(" ") + instruction + pl.lit(" "), literal=True
        )
        starts = (response + pl.lit(" ")).str.starts_with(instruction + pl.lit(" "))
        added = pl.col("_response_words") - pl.col("_instruction_words")
        repeats = starts | (contains & (added <= self.max_added_words))
        # Bigrams (most of the rule's cost) only where a copy is possible: a response with
        # u distinct words has at least u - 1 distinct bigrams, and at most the instruction's
        # (its words - 1) can be shared, so a copy needs u - 1 <= (words - 1) / fraction.
        distinct = response.str.split(" ").list.n_unique()
        may_copy = (pl.col("_response_words") >= self.min_copy_words) & (
            (distinct - 1) <= (pl.col("_instruction_words") - 1) / self.min_copied_fraction
        )
        texts = texts.filter(repeats | may_copy).with_columns(
            _bigrams(pl.col("_response")).alias("_pairs")
        )
        copied = (
            pairs.list.set_intersection(_bigrams(instruction)).list.len()
            / pairs.list.len().clip(lower_bound=1)
        ).fill_null(0.0)
        copies = (pl.col("_response_words") >= self.min_copy_words) & (
            copied >= self.min_copied_fraction
        )
        # "Repeat after me" is answered by repeating.
        asked = pl.col("_raw_instruction").str.contains(ASKED_TO_ECHO)
        echo = (instruction != "") & (repeats | copies) & ~asked
        flagged = texts.filter(echo).with_columns(
            pl.when(repeats).then(1.0).otherwise(copied).cast(pl.Float64).alias("_score"),
            pl.when(repeats).then(pl.lit("repeats")).otherwise(pl.lit("copies")).alias("_how"),
            added.alias("_added"),
            copied.round(3).alias("_copied"),
        )
        return decisions(
            flagged,
            self.name,
            pl.col("_score"),
            how=pl.col("_how"),
            added_words=pl.col("_added"),
            copied_bigram_fraction=pl.col("_copied"),
            response=pl.col("_raw_response").str.slice(0, 200),
        )
