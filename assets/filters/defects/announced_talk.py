"""`announced_missing`'s form for a named thing announced at a paragraph's end and followed to
the turn's end only by sentences of talk: "Here's the full program:\\n\\nEach line comes back
as a Result ...", "The entry you need is:\\n\\nAdd it with `crontab -e` ...", "These are the
checks I'd run through, in order:\\n\\nDoing them the evening before ...".

What the announcement names is read, not how it is worded: a thing with a shape of its own
(code, a file, an entry, a list of items) cannot be a paragraph of sentences, so sentences
alone after its colon say the thing was left out. An explanation announced ("The short
version is this:", "My reasoning is simple:") is prose and is given by the prose after it;
steps may be told in sentences, so they are not read here (`THEN_PROSE` reads them)."""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl

from assets.filters.defects.units import decisions, shortened, units

# Things written as code or as a file: sentences after their colon are talk about them.
_CODE_THINGS = (
    r"scripts?|programs?|code|functions?|quer(?:y|ies)|commands?|one-liners?|entry|entries|"
    r"(?:server |config(?:uration)? |code )?blocks?|files?|dockerfile|makefile|config(?:uration)?|"
    r"snippets?|regex(?:es)?|formulas?|yaml|json|manifest|crontab|cron line|macro|class"
)
# Things written as items: sentences after their colon may still name the items in a row
# ("Flour, sugar, butter and eggs, in equal weights."), so a first sentence with two commas
# is read as the items given.
_ITEM_THINGS = (
    r"list|ingredients|items|checks|details|things|tips|points|questions|options|table|"
    r"schedule|itinerary|packing list|shopping list|checklist"
)
# The announcing line names the thing and points at it, in either order (a copula, "here", "below", "the
# following", "listed"), and ends the paragraph on its colon.
_POINTS = r"(?:here|below|following|follows|listed|is|are)"


def _announced(things: str) -> str:
    return (
        r"(?m)^(?i:[^\n]*(?:(?-u:\b)"
        + _POINTS
        + r"(?-u:\b)[^\n]*(?-u:\b)(?:"
        + things
        + r")(?-u:\b)|"
        r"(?-u:\b)(?:" + things + r")(?-u:\b)[^\n]*(?-u:\b)" + _POINTS + r"(?-u:\b))"
        r"[^\n]*):[ \t]*\n[ \t]*\n"
    )


# After the colon, to the turn's end: paragraphs whose every line is a sentence of six words
# or more (a capital or an inline backtick first, a full stop last): no fence, marker, table
# or code line. (Rust's regex engine is linear in the text whatever the nesting.)
_TALK_TO_END = r"(?:(?:\p{Lu}|`[^`\n])(?:[^\n]*?[ \t]){5}[^\n]*[.!?][ \t]*(?:\n[ \t]*)*)+\z"
CODE_THEN_TALK = _announced(_CODE_THINGS) + _TALK_TO_END
ITEMS_THEN_TALK = _announced(_ITEM_THINGS) + _TALK_TO_END
_COLON_THEN_SENTENCE = r":[ \t]*\n[ \t]*\n(?:\p{Lu}|`[^`\n])"
# A line that opens on a label ("Day 1 - Rome: the Forum, ...") is an item given.
_LABEL_LINE = r"\n[^\n.:]{1,40}: "
# A blank form or template asked for ends on its labels, not on talk: not read here.
_WANTS_BLANKS = r"(?i)(?-u:\b)(?:blank|fill[- ]in|template|form)(?-u:\b)"


def announced_then_talk(
    rows: pl.DataFrame, answer_fields: Iterable[str], answer_roles: Iterable[str], name: str
) -> pl.DataFrame:
    """The decisions of `name` on `rows`' answer units that announce code or items with a
    colon and give only sentences after it."""
    # Only rows with a colon, a blank line and a capital or an inline backtick after it are
    # split into units (0.1 us a row; a literal ":\n" passes five times as many rows).
    maybe = rows.filter(
        pl.any_horizontal(
            pl.col(c).fill_null("").str.contains(_COLON_THEN_SENTENCE)
            for c in ("response", "text")
            if c in rows.columns
        )
    )
    if maybe.is_empty():
        return decisions(maybe, name, pl.lit(0.0))
    text = pl.col("text")
    items = text.str.extract(ITEMS_THEN_TALK, 0)
    # The first sentence after the colon, for the commas of items named in a row.
    first = items.str.replace(r"(?s)^[^\n]*:[ \t]*\n\s*", "").str.extract(r"^[^.!?]*", 0)
    found = (
        units(maybe, answer_fields, answer_roles)
        .filter(text.str.contains(_COLON_THEN_SENTENCE))
        .with_columns(
            pl.coalesce(
                text.str.extract(CODE_THEN_TALK, 0),
                pl.when(first.str.count_matches(",") < 2).then(items),
            ).alias("_span")
        )
        .filter(
            pl.col("_span").is_not_null()
            & ~pl.col("_span").str.contains(_LABEL_LINE)
            & ~pl.col("prompt").str.contains(_WANTS_BLANKS)
        )
    )
    return decisions(
        found,
        name,
        pl.lit(1.0),
        span=shortened(pl.col("_span").str.extract(r"^[^\n]*", 0)),
        how=pl.lit("announced with a colon, only talk after it"),
    )
