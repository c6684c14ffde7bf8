"""What the user asked in a row, so that a rule can let a request excuse what it asked for: a
tongue twister three times, a blank checklist, a conversation held in Spanish."""

from __future__ import annotations

import polars as pl

from warehouse.conversations import decoded

# Forms that repeat by design: a poem with refrains, a cheer, a chant, an affirmation, a
# song's verse, a nursery rhyme or a lullaby ("Twinkle, twinkle, little star").
REPEATS_BY_FORM = (
    r"(?i)\b(?:villanelles?|triolets?|pantoums?|ghazals?|rondeaus?|rondels?|sestinas?|refrains?|"
    r"choruses|cheers?|chants?|slogans?|mantras?|affirmations?|litany|call and response|"
    r"verses?|nursery rhymes?|lullab(?:y|ies)|hymns?|carols?|jingles?)\b"
)


def requests(rows: pl.DataFrame) -> pl.DataFrame:
    """`row_id, request`: an instruction row's instruction and input, or every user turn of a
    conversation, newline-joined. Decodes conversations: call it on the few rows a rule
    flagged, not on a whole batch."""
    flat = pl.concat_str(
        [pl.col("instruction"), pl.col("input")], separator="\n", ignore_nulls=True
    )
    out = rows.select("row_id", flat.fill_null("").alias("request"))
    chats = rows.filter((pl.col("kind") == "conversation") & pl.col("messages").is_not_null())
    if chats.is_empty():
        return out
    turns = (
        chats.select("row_id", decoded().alias("m"))
        .explode("m")
        .filter(pl.col("m").struct.field("role") == "user")
        .group_by("row_id")
        .agg(pl.col("m").struct.field("content").fill_null("").str.join("\n").alias("_user"))
    )
    return out.join(turns, on="row_id", how="left").select(
        "row_id",
        pl.concat_str(["request", "_user"], separator="\n", ignore_nulls=True).alias("request"),
    )


def unless_asked(flagged: pl.DataFrame, rows: pl.DataFrame, pattern: str) -> pl.DataFrame:
    """`flagged` decisions without those whose row's request (`requests`) matches `pattern`."""
    if flagged.is_empty():
        return flagged
    asked = requests(rows.filter(pl.col("row_id").is_in(flagged["row_id"].implode()))).filter(
        pl.col("request").str.contains(pattern)
    )
    return flagged.filter(~pl.col("row_id").is_in(asked["row_id"].implode()))
