"""Rows whose answer garbles a named term of their own reference answer.

Small models garble named terms: "Rayleigh Scrubber scattering" for Rayleigh scattering, "the
Krebs Cyclone" for the Krebs cycle. Where a row carries a reference text in `answer` (a seed's
answer: `self_chat` carries its seed's, `preference_pairs` and `constrained_instruct` their
source's), the real term is on the row, and the garble is visible without a model:

- the terms are a capitalized name (not opening a sentence) followed by a lowercase content
  word in the reference: "Rayleigh scattering", "Krebs cycle", "Pythagorean identity";
- **inserted**: the answer writes the name, a capitalized word, then the term's word
  ("Rayleigh Scrubber scattering", "Pythagorean Theorem identity");
- **swapped**: the reference introduces the term as a noun ("called Rayleigh scattering",
  "the Krebs cycle") and the answer writes the name followed by a capitalized word in place of
  the term's word, the phrase ending there ("the Krebs Cyclone, a series of reactions").

Precision over recall. A unit (a response, an assistant turn) that also states the term
exactly is kept, and so is a capitalized word the reference uses itself. "Neil Alden
Armstrong" under "Neil Armstrong" garbles nothing: a name without a lowercase word is no
term, and a past-tense verb after a name ("a tabby named Tom loved") is no term's word. A
lowercase word inside ("Rayleigh elastic scattering") is an adjective, not a garble, and
"Rayleigh's scattering law" or "the scattering Rayleigh described" say the same thing in
other words.
Qualifiers ("Newton's Second law") are kept, and a swap to a word that heads terms of its own
("the Rayleigh Criterion", "the Doppler Effect") is another term, not a garble.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import polars as pl

from assets.filters.defects.spans import DefectRule, RuleConfig
from assets.filters.defects.units import decisions, shortened, units
from assets.steps import no_flags
from warehouse.settings import Strict

# A preference row's `response` is its chosen side: the claim the pair makes.
_KINDS = ("instruction", "preference", "conversation")

_NAME = r"\p{Lu}\p{L}+(?:['’]s)?"
# A term in the reference: a name after a word or a comma (so not a sentence's first word),
# then a lowercase content word. The word before is matched too, for the swap's naming test.
_TERM = rf"([\p{{L}},;:]+)\s+({_NAME})\s+(\p{{Ll}}[\p{{Ll}}-]{{2,}})\b"
# Words before a name that introduce a term as a noun ("an effect called Rayleigh scattering",
# "the Krebs cycle"); not "as" or "by", which introduce a verb as often ("as Einstein showed"),
# nor "named", which introduces a person or a pet ("a tabby named Tom loved boxes").
_NAMING = ("the", "a", "an", "called", "termed")
# What may follow a swapped-in word: the noun phrase ends there ("the Krebs Cyclone, a loop",
# "Rayleigh Scrubbing in the air"). A content word after it ("the Einstein Field equations")
# makes it another, longer term's name, which is not a swap, and so does a possessive ("Tom
# Holland's 'Rubicon'": a person's full name).
_PHRASE_END = (
    r"(?:\s+(?:in|of|to|on|at|is|are|was|were|as|by|and|or|which|that|where|it|has|have"
    r"|because|with|for|from|when|makes|made)\b|[^\p{L}\s'’]|\s*$)"
)
# Lowercase words after a name that are no term's word ("Paris was", "Armstrong and").
_FUNCTION_WORDS = (
    "and", "are", "was", "were", "has", "had", "have", "the", "for", "but", "who", "which",
    "that", "with", "from", "into", "than", "then", "also", "not", "can", "could", "would",
    "will", "may", "might", "should", "did", "does", "its", "his", "her", "their", "our",
    "this", "these", "those", "when", "where", "while", "because", "after", "before", "is",
    "made", "said", "says", "used", "became", "remains", "lies", "sits", "won", "wrote",
)  # fmt: skip
# Capitalized words that qualify a term legitimately ("Newton's Second law", "General
# relativity"), and words that head a term of their own (a swap to them names another term).
_QUALIFIERS = (
    "first", "second", "third", "fourth", "fifth", "universal", "general", "special",
    "generalized", "extended", "modified", "classical", "inverse", "strong", "weak",
    "fundamental", "original", "famous", "so-called", "standard", "modern",
)  # fmt: skip
_TERM_HEADS = (
    "law", "laws", "principle", "effect", "theorem", "equation", "equations", "criterion",
    "number", "constant", "limit", "rule", "cycle", "scale", "series", "model", "process",
    "distribution", "test", "method", "transform", "curve", "scattering", "space", "function",
    "formula", "identity", "hypothesis", "paradox", "conjecture", "algorithm", "diagram",
    "experiment", "index", "unit", "units", "radiation", "wave", "waves", "ratio", "sequence",
    "triangle", "belt", "line", "reaction", "theory",
)  # fmt: skip


class GarbledTermConfig(RuleConfig):
    """Drop rows whose answer garbles a multi-word term of their reference text (`answer`)."""


def reference_terms(rows: pl.DataFrame) -> pl.DataFrame:
    """`row_id, name, word, named, vocabulary`: each named term of each row's reference text,
    whether the reference introduces it ("called", "the"), and the reference's words."""
    # The vocabulary joins the terms once per row: carried through the explode, it was copied
    # for every term found (a long reference naming a term 20,000 times took a minute).
    vocabulary = rows.select(
        "row_id",
        pl.col("answer")
        .str.to_lowercase()
        .str.extract_all(r"\p{L}[\p{L}'’-]*")
        .alias("vocabulary"),
    )
    return (
        rows.select("row_id", pl.col("answer").str.extract_all(_TERM).alias("_m"))
        .explode("_m")
        .filter(pl.col("_m").is_not_null())
        .with_columns(
            pl.col("_m").str.extract(_TERM, 1).str.to_lowercase().alias("_before"),
            pl.col("_m").str.extract(_TERM, 2).alias("name"),
            pl.col("_m").str.extract(_TERM, 3).alias("word"),
        )
        # A past-tense verb is no term's word ("Tom loved"); "speed" or "seed" may be.
        .filter(
            ~pl.col("word").is_in(_FUNCTION_WORDS)
            & (~pl.col("word").str.ends_with("ed") | pl.col("word").str.ends_with("eed"))
        )
        .with_columns(pl.col("_before").is_in(_NAMING).alias("named"))
        .group_by("row_id", "name", "word", maintain_order=True)
        .agg(pl.col("named").any())
        .join(vocabulary, on="row_id", how="left", maintain_order="left")
    )


@dataclass(frozen=True)
class GarbledTerm(DefectRule):
    """Built like the defect rules (`from_config`: one step, none when disabled)."""

    name: str = "garbled_term"
    Config: ClassVar[type[Strict]] = GarbledTermConfig
    config_key: ClassVar[str] = "garbled_term"

    def flag(self, rows: pl.DataFrame) -> pl.DataFrame:
        if "answer" not in rows.columns:
            return no_flags()
        # Few rows carry a reference text (a number is no term): only those are read.
        candidates = rows.filter(
            pl.col("kind").is_in(_KINDS)
            & pl.col("answer").str.contains(rf"{_NAME}\s+\p{{Ll}}").fill_null(False)
        )
        if candidates.is_empty():
            return no_flags()
        terms = reference_terms(candidates)
        if terms.is_empty():
            return no_flags()
        answers = units(candidates, ("response", "messages"), ("assistant",)).filter(
            pl.col("role") == "assistant"
        )
        pairs = answers.join(terms, on="row_id")
        # Names and words are letters, apostrophes and hyphens: literal in a pattern.
        name, word = pl.col("name"), pl.col("word")
        # Group 1 the span as written, group 2 the capitalized word.
        inserted = pl.concat_str(
            pl.lit(r"((?i:\b"), name, pl.lit(r")\s+(\p{Lu}\p{L}+)\s+(?i:"), word, pl.lit(r")\b)")
        )
        swapped = pl.concat_str(
            pl.lit(r"((?i:\b"), name, pl.lit(r")\s+(\p{Lu}\p{L}{3,}))" + _PHRASE_END)
        )
        exact = pl.format("{} {}", pl.col("name"), pl.col("word")).str.to_lowercase()
        found = pairs.with_columns(
            pl.col("text").str.extract(inserted, 1).alias("_inserted_span"),
            pl.col("text").str.extract(inserted, 2).alias("_inserted"),
            pl.col("text").str.extract(swapped, 1).alias("_swapped_span"),
            pl.col("text").str.extract(swapped, 2).alias("_swapped"),
            pl.col("text").str.to_lowercase().str.contains(exact, literal=True).alias("_exact"),
        )

        def unrelated(column: str, *allowed: str) -> pl.Expr:
            """The capitalized word is new to the reference and no qualifier or term head."""
            lower = pl.col(column).str.to_lowercase()
            known = pl.col("vocabulary").list.contains(lower)
            return pl.col(column).is_not_null() & ~known & ~lower.is_in([*_QUALIFIERS, *allowed])

        # A swap's word must not be an insertion's (then it is one) nor head a term itself.
        is_inserted = unrelated("_inserted")
        is_swapped = (
            ~is_inserted
            & pl.col("named")
            & unrelated("_swapped", *_TERM_HEADS)
            & (pl.col("_swapped").str.to_lowercase() != pl.col("word"))
        )
        garbled = found.filter(~pl.col("_exact") & (is_inserted | is_swapped)).with_columns(
            pl.when(is_inserted)
            .then(pl.col("_inserted_span"))
            .otherwise(pl.col("_swapped_span"))
            .alias("_variant"),
            pl.when(is_inserted)
            .then(pl.format("inserted '{}'", pl.col("_inserted")))
            .otherwise(pl.format("swapped '{}' for '{}'", pl.col("word"), pl.col("_swapped")))
            .alias("_change"),
        )
        return decisions(
            garbled,
            self.name,
            pl.lit(None, pl.Float64),
            span=shortened(pl.col("_variant")),
            reference_term=pl.format("{} {}", pl.col("name"), pl.col("word")),
            change=pl.col("_change"),
        )
