"""Responses that only echo their instruction.

A response echoes its instruction when, after normalization (lowercase, every run of
characters that are not letters or digits made one space), it contains the whole instruction
as whole words and adds at most `max_added_words` words to it: "Name three rivers." answered
with "Name three rivers" or "Sure! Name three rivers." is an echo; "The capital of France is
Paris." for "What is the capital of France?" is not (it does not repeat the question).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import polars as pl
from pydantic import Field

from assets.steps import RowFilter
from warehouse.settings import Strict

if TYPE_CHECKING:
    from assets.stage_setup import StageSetup

_NOT_WORD = r"[^\p{L}\p{N}]+"


class EchoRules(Strict):
    """Drop instruction rows whose response only repeats the instruction."""

    enabled: bool = True
    max_added_words: int = Field(
        default=3,
        ge=0,
        description="Words a response may add to a repeated instruction and still be an echo.",
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
    return pl.when(text == "").then(0).otherwise(text.str.count_matches(" ") + 1)


@dataclass(frozen=True)
class EchoesInstruction(RowFilter):
    max_added_words: int
    name: str = "echoes_instruction"

    @classmethod
    def configured(cls, setup: StageSetup) -> list[EchoesInstruction]:
        rules = setup.filters.echo
        return [cls(rules.max_added_words)] if rules.enabled else []

    def flag(self, rows: pl.DataFrame) -> pl.DataFrame:
        instruction = normalized("instruction")
        response = normalized("response")
        # Padding with spaces makes the containment whole-word: "cat" is not in "cats".
        contains = (pl.lit(" ") + response + pl.lit(" ")).str.contains(
            pl.lit(" ") + instruction + pl.lit(" "), literal=True
        )
        added = _words(response) - _words(instruction)
        echo = (
            (pl.col("kind") == "instruction")
            & (instruction != "")
            & contains
            & (added <= self.max_added_words)
        )
        return rows.filter(echo).select(
            "row_id",
            pl.lit(self.name).alias("rule"),
            added.cast(pl.Float64).alias("score"),
            pl.struct(
                added_words=added,
                max_added_words=pl.lit(self.max_added_words),
                response=pl.col("response").str.slice(0, 200),
            )
            .struct.json_encode()
            .alias("evidence"),
        )
