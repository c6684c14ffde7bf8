"""A row as the texts a defect rule judges one by one: its units.

An instruction row is its `instruction`, `input` and `response`; a preference row adds the
rejected answer (`attributes.rejected`, field `rejected`); a conversation is one unit per turn
(field `messages`, `turn` counted from 1); a document is its `text`. Each unit knows its
`role` (`user`, `context`, `assistant`, `system`, `tool`, `document`), the `prompt` it answers
(a response's instruction, an assistant turn's last user turn) and its `context` (an
instruction's input; every turn before a conversation turn's prompt), so a rule can judge a
response against what it was asked and name exactly which field or turn is wrong.
"""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl

from assets.filters.defects.batch_units import ROW, shared_units
from assets.steps import no_flags
from warehouse.conversations import decoded
from warehouse.rows import REJECTED_PATH

# Every field a unit can come from, in the order a decode gives them and a row's first
# offending unit is chosen by.
ALL_FIELDS = ("instruction", "input", "response", "rejected", "text", "messages")
UNIT_SCHEMA: dict[str, pl.DataType] = {
    "row_id": pl.String(),
    "kind": pl.String(),
    "field": pl.String(),
    "turn": pl.Int64(),
    "role": pl.String(),
    "text": pl.String(),
    "prompt": pl.String(),
    "context": pl.String(),
}


def _flat_units(rows: pl.DataFrame, fields: set[str]) -> list[pl.DataFrame]:
    """Units of instruction, preference and document rows (no JSON to decode)."""
    flat = rows.filter(pl.col("kind").is_in(["instruction", "preference"]))
    # A batch decoded for reuse carries each row's position along (`batch_units`).
    extra = [ROW] if ROW in rows.columns else []
    prompt = pl.col("instruction").fill_null("")
    context = pl.col("input").fill_null("")
    parts: list[pl.DataFrame] = []

    def unit(field: str, role: str, text: pl.Expr, frame: pl.DataFrame = flat) -> None:
        if field in fields and frame.height:
            parts.append(
                frame.select(
                    "row_id",
                    "kind",
                    pl.lit(field).alias("field"),
                    pl.lit(None, dtype=pl.Int64).alias("turn"),
                    pl.lit(role).alias("role"),
                    text.alias("text"),
                    prompt.alias("prompt"),
                    context.alias("context"),
                    *extra,
                ).filter(pl.col("text").is_not_null() & (pl.col("text") != ""))
            )

    unit("instruction", "user", pl.col("instruction"))
    unit("input", "context", pl.col("input"))
    unit("response", "assistant", pl.col("response"))
    if "rejected" in fields:
        preference = flat.filter(pl.col("kind") == "preference")
        rejected = pl.col("attributes").str.json_path_match(REJECTED_PATH)
        unit("rejected", "assistant", rejected, preference)
    if "text" in fields:
        documents = rows.filter(pl.col("kind") == "document")
        unit("text", "document", pl.col("text"), documents)
    return parts


def _turn_units(rows: pl.DataFrame, roles: set[str] | None) -> pl.DataFrame | None:
    """One unit per turn of the conversation rows (of `roles`; None: all), with the turn's
    prompt and context."""
    chats = rows.filter((pl.col("kind") == "conversation") & pl.col("messages").is_not_null())
    if chats.is_empty():
        return None
    extra = [ROW] if ROW in rows.columns else []
    turns = (
        chats.select("row_id", "kind", *extra, decoded().alias("m"))
        .explode("m")
        .filter(pl.col("m").is_not_null())
        .select(
            "row_id",
            "kind",
            *extra,
            pl.col("m").struct.field("role"),
            pl.col("m").struct.field("content"),
        )
        .with_columns(
            pl.int_range(1, pl.len() + 1).over("row_id").cast(pl.Int64).alias("turn"),
            pl.col("content").fill_null(""),
        )
    )
    # The last user turn before each turn (an assistant turn's prompt), and the turns before
    # that prompt as context: forward-filled over the conversation, then shifted by one.
    user_text = pl.when(pl.col("role") == "user").then(pl.col("content"))
    user_turn = pl.when(pl.col("role") == "user").then(pl.col("turn"))
    turns = turns.with_columns(
        user_text.forward_fill().shift(1).over("row_id").alias("prompt"),
        user_turn.forward_fill().shift(1).over("row_id").alias("_prompt_turn"),
    )
    context = (
        turns.select("row_id", "turn", "content")
        .join(turns.select("row_id", "_prompt_turn", pl.col("turn").alias("_of")), on="row_id")
        .filter(pl.col("turn") < pl.col("_prompt_turn"))
        .group_by("row_id", "_of")
        .agg(pl.col("content").sort_by("turn").str.join("\n\n").alias("context"))
    )
    return (
        (turns if roles is None else turns.filter(pl.col("role").is_in(list(roles))))
        .join(
            context,
            left_on=["row_id", "turn"],
            right_on=["row_id", "_of"],
            how="left",
        )
        .select(
            "row_id",
            "kind",
            pl.lit("messages").alias("field"),
            "turn",
            "role",
            pl.col("content").alias("text"),
            pl.col("prompt").fill_null(""),
            pl.col("context").fill_null(""),
            *extra,
        )
    )


def units(
    rows: pl.DataFrame,
    fields: Iterable[str] = ALL_FIELDS,
    roles: Iterable[str] = ("user", "assistant", "system", "tool"),
) -> pl.DataFrame:
    """The units of `rows` (`UNIT_SCHEMA`) of the given fields; conversation turns (field
    `messages`) only of the given roles. Rows of the batch a defect rule is judging are read
    from its units, decoded once (`batch_units`): the same units as a decode of `rows`."""
    fields, roles = set(fields), set(roles)
    shared = shared_units(rows, fields, roles, _every_unit)
    return shared if shared is not None else _decoded_units(rows, fields, roles)


def _every_unit(rows: pl.DataFrame) -> pl.DataFrame:
    # Turns of every role, whatever it is: a caller may ask for any.
    return _decoded_units(rows, set(ALL_FIELDS), None)


def _decoded_units(rows: pl.DataFrame, fields: set[str], roles: set[str] | None) -> pl.DataFrame:
    parts = _flat_units(rows, fields)
    if "messages" in fields and "messages" in rows.columns:
        turn_parts = _turn_units(rows, roles)
        if turn_parts is not None:
            parts.append(turn_parts)
    schema = {**UNIT_SCHEMA, ROW: pl.UInt32()} if ROW in rows.columns else UNIT_SCHEMA
    if not parts:
        return pl.DataFrame(schema=schema)
    return pl.concat([p.cast(schema) for p in parts if p.height] or [pl.DataFrame(schema=schema)])


def where(units: pl.DataFrame) -> pl.Expr:
    """The evidence's `turn` for a unit: `turn 3 (assistant)` for a conversation turn."""
    label = pl.format("turn {} ({})", pl.col("turn"), pl.col("role"))
    return pl.when(pl.col("turn").is_not_null()).then(label).otherwise(pl.lit(None, pl.String))


def first_per_row(flagged: pl.DataFrame) -> pl.DataFrame:
    """One decision per row: the first offending unit (by field order, then turn)."""
    order = {field: at for at, field in enumerate(ALL_FIELDS)}
    return (
        flagged.with_columns(
            pl.col("field").replace_strict(order, default=9, return_dtype=pl.Int64).alias("_o")
        )
        .sort("row_id", "_o", "turn", nulls_last=True)
        .unique("row_id", keep="first", maintain_order=True)
        .drop("_o")
    )


def decisions(
    flagged: pl.DataFrame, rule: str, score: pl.Expr, **evidence: pl.Expr
) -> pl.DataFrame:
    """`row_id, rule, score, evidence` for flagged units (one per row): the evidence names
    the rule, the field, the turn and the offending span, plus the rule's own figures."""
    if flagged.is_empty():
        # Most batches flag nothing: no need to sort, encode and cast nothing.
        return no_flags()
    flagged = first_per_row(flagged)
    return flagged.select(
        "row_id",
        pl.lit(rule).alias("rule"),
        score.cast(pl.Float64).alias("score"),
        pl.struct(
            rule=pl.lit(rule),
            field=pl.col("field"),
            turn=where(flagged),
            **evidence,
        )
        .struct.json_encode()
        .alias("evidence"),
    )


def shortened(text: pl.Expr, chars: int = 160) -> pl.Expr:
    """At most `chars` characters of a quoted span, for evidence."""
    return (
        pl.when(text.str.len_chars() > chars).then(text.str.slice(0, chars) + "…").otherwise(text)
    )
