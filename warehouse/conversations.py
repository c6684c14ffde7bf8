"""The `conversation` row kind: its `messages` (a JSON list of turns), their canonical form,
and the text view filters, dedup and detectors read.

A message is `{role, content, name, tool_call_id, tool_calls}` (absent parts null);
`tool_calls` is OpenAI's list of `{id, type: "function", function: {name, arguments}}` with
`arguments` a JSON string. A conversation row's `text` is its transcript, one `role: body`
block per turn separated by a blank line, so every text rule sees every turn; `turns()`
gives the same blocks one row per turn, with their offsets in the transcript, so a decision
can name the turn it is about (`turn 3 (assistant)`).
"""

from __future__ import annotations

import json
from typing import Any

import polars as pl

ROLES = ("system", "user", "assistant", "tool")
TURN_SEPARATOR = "\n\n"

TOOL_CALL_DTYPE = pl.Struct(
    {
        "id": pl.String(),
        "type": pl.String(),
        "function": pl.Struct({"name": pl.String(), "arguments": pl.String()}),
    }
)
MESSAGE_DTYPE = pl.Struct(
    {
        "role": pl.String(),
        "content": pl.String(),
        "name": pl.String(),
        "tool_call_id": pl.String(),
        "tool_calls": pl.List(TOOL_CALL_DTYPE),
    }
)
MESSAGES_DTYPE = pl.List(MESSAGE_DTYPE)
MESSAGE_KEYS = tuple(MESSAGE_DTYPE.to_schema())  # type: ignore[attr-defined]

TURNS_SCHEMA: dict[str, pl.DataType] = {
    "row_id": pl.String(),
    "turn": pl.Int64(),
    "role": pl.String(),
    "body": pl.String(),
    "start": pl.Int64(),
    "end": pl.Int64(),
}


class ConversationError(ValueError):
    """A messages list that is not a conversation; the message names the turn."""


def message(
    role: str,
    content: str | None,
    *,
    name: str | None = None,
    tool_call_id: str | None = None,
    tool_calls: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """One message in canonical form (every key present, in contract order)."""
    return {
        "role": role,
        "content": content,
        "name": name,
        "tool_call_id": tool_call_id,
        "tool_calls": tool_calls,
    }


def tool_call(call_id: str, name: str, arguments: dict[str, Any] | str) -> dict[str, Any]:
    """One OpenAI tool call; `arguments` is kept as a JSON string, as the API sends it."""
    text = arguments if isinstance(arguments, str) else json.dumps(arguments, sort_keys=True)
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": text}}


def _string(value: object, what: str, turn: int) -> str:
    if not isinstance(value, str):
        raise ConversationError(f"turn {turn}: {what} is {type(value).__name__}, not a string")
    return value


def _tool_calls(value: object, turn: int) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not value:
        raise ConversationError(f"turn {turn}: tool_calls must be a non-empty list")
    calls = []
    for number, call in enumerate(value, start=1):
        where = f"tool call {number}"
        if not isinstance(call, dict) or not isinstance(call.get("function"), dict):
            raise ConversationError(f"turn {turn}: {where} has no function object")
        function = call["function"]
        arguments = function.get("arguments", "{}")
        if isinstance(arguments, str):
            try:
                json.loads(arguments)
            except json.JSONDecodeError:
                raise ConversationError(
                    f"turn {turn}: {where} arguments are not valid JSON"
                ) from None
        elif isinstance(arguments, dict):
            arguments = json.dumps(arguments, sort_keys=True)
        else:
            raise ConversationError(f"turn {turn}: {where} arguments must be a JSON object")
        calls.append(
            tool_call(
                _string(call.get("id", f"call_{turn}_{number}"), f"{where} id", turn),
                _string(function.get("name"), f"{where} name", turn),
                arguments,
            )
        )
    return calls


def canonical_messages(messages: object) -> list[dict[str, Any]]:
    """`messages` (OpenAI layout, from outside) checked and in canonical form; raises
    `ConversationError` naming the first bad turn."""
    if not isinstance(messages, list) or not messages:
        raise ConversationError("messages must be a non-empty list of turns")
    canonical = []
    for turn, raw in enumerate(messages, start=1):
        if not isinstance(raw, dict):
            raise ConversationError(f"turn {turn}: is {type(raw).__name__}, not an object")
        role = raw.get("role")
        if role not in ROLES:
            raise ConversationError(f"turn {turn}: role {role!r} is not one of {', '.join(ROLES)}")
        calls = _tool_calls(raw["tool_calls"], turn) if raw.get("tool_calls") else None
        if calls and role != "assistant":
            raise ConversationError(f"turn {turn}: only an assistant turn makes tool calls")
        content = raw.get("content")
        if content is None and not calls:
            raise ConversationError(f"turn {turn}: has no content")
        if content is not None:
            content = _string(content, "content", turn)
            if not content.strip() and not calls:
                raise ConversationError(f"turn {turn}: content is empty")
        name = raw.get("name")
        tool_call_id = raw.get("tool_call_id")
        canonical.append(
            message(
                role,
                content,
                name=None if name is None else _string(name, "name", turn),
                tool_call_id=None
                if tool_call_id is None
                else _string(tool_call_id, "tool_call_id", turn),
                tool_calls=calls,
            )
        )
    if not any(m["role"] == "user" for m in canonical):
        raise ConversationError("no user turn")
    return canonical


def encode(messages: list[dict[str, Any]]) -> str:
    """The canonical JSON of canonical messages (what the `messages` column holds)."""
    return json.dumps(
        [{key: m.get(key) for key in MESSAGE_KEYS} for m in messages],
        ensure_ascii=False,
        separators=(",", ":"),
    )


def decoded(column: str = "messages") -> pl.Expr:
    """The `messages` JSON column as a list of message structs."""
    return pl.col(column).str.json_decode(MESSAGES_DTYPE)


def turn_label(turn: int, role: str) -> str:
    return f"turn {turn} ({role})"


def _turn_body() -> pl.Expr:
    """What a turn says, as text: its content, then each tool call as `name(arguments)`."""
    calls = (
        pl.col("tool_calls")
        .list.eval(
            pl.concat_str(
                pl.element().struct.field("function").struct.field("name"),
                pl.lit("("),
                pl.element().struct.field("function").struct.field("arguments"),
                pl.lit(")"),
            )
        )
        .list.join("\n")
    )
    return pl.concat_str(
        pl.col("role"),
        pl.lit(": "),
        pl.concat_str(pl.col("content"), calls, separator="\n", ignore_nulls=True).fill_null(""),
    )


def turns(rows: pl.DataFrame) -> pl.DataFrame:
    """One row per turn of the conversation rows of `rows` (`TURNS_SCHEMA`): its number from 1,
    role, body and the [start, end) of the body in the row's transcript."""
    if "messages" not in rows.columns:
        return pl.DataFrame(schema=TURNS_SCHEMA)
    exploded = (
        rows.filter((pl.col("kind") == "conversation") & pl.col("messages").is_not_null())
        .select("row_id", decoded().alias("m"))
        .explode("m")
        .filter(pl.col("m").is_not_null())
        .unnest("m")
        .with_columns(pl.int_range(1, pl.len() + 1).over("row_id").alias("turn"))
        .with_columns(_turn_body().alias("body"))
    )
    length = pl.col("body").str.len_chars() + len(TURN_SEPARATOR)
    return exploded.with_columns(
        (length.cum_sum().over("row_id") - length).cast(pl.Int64).alias("start")
    ).select(
        "row_id",
        pl.col("turn").cast(pl.Int64),
        "role",
        "body",
        "start",
        (pl.col("start") + pl.col("body").str.len_chars()).cast(pl.Int64).alias("end"),
    )


def transcripts(rows: pl.DataFrame) -> pl.DataFrame:
    """`row_id, text, response`: the transcript of each conversation row of `rows`, and what
    its assistant says (the text of its assistant turns, without role names): the view that
    rules about responses (empty, cut off, refusals) read."""
    said = pl.col("body").str.strip_prefix("assistant: ")
    return (
        turns(rows)
        .sort("row_id", "turn")
        .group_by("row_id", maintain_order=True)
        .agg(
            pl.col("body").str.join(TURN_SEPARATOR).alias("text"),
            said.filter(pl.col("role") == "assistant").str.join(TURN_SEPARATOR).alias("response"),
        )
        .with_columns(pl.col("response").replace("", None))
    )


def with_transcripts(rows: pl.DataFrame) -> pl.DataFrame:
    """Conversation rows without a `text` get their transcript as `text` and what the
    assistant says as `response`."""
    if "messages" not in rows.columns or "kind" not in rows.columns:
        return rows
    missing = rows.filter(
        (pl.col("kind") == "conversation")
        & pl.col("messages").is_not_null()
        & pl.col("text").is_null()
    )
    if missing.is_empty():
        return rows
    # Row ids may not be set yet: key the rows by position while the transcripts are made.
    keyed = rows.with_row_index("_position")
    texts = transcripts(
        keyed.filter(pl.col("text").is_null()).with_columns(
            pl.col("_position").cast(pl.String).alias("row_id")
        )
    ).select(
        pl.col("row_id").cast(pl.UInt32).alias("_position"),
        pl.col("text").alias("_text"),
        pl.col("response").alias("_response"),
    )
    return (
        keyed.join(texts, "_position", "left")
        .with_columns(
            pl.coalesce("text", "_text").alias("text"),
            pl.when(pl.col("_text").is_not_null())
            .then(pl.coalesce("response", "_response"))
            .otherwise(pl.col("response"))
            .alias("response"),
        )
        .drop("_position", "_text", "_response")
    )
