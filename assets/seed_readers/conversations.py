"""Conversation records in seed files: OpenAI `messages` (`{role, content, ...}`) and ShareGPT
`conversations` (`{from, value}`), made `conversation` rows with canonical `messages`; a record
whose turns are not a conversation gets a `bad_conversation` problem naming the turn."""

from __future__ import annotations

import json
from typing import Any

import polars as pl

from warehouse.conversations import (
    ConversationError,
    canonical_messages,
    encode,
    transcripts,
)

LAYOUTS = ("messages", "conversations")

# ShareGPT speakers as OpenAI roles (the names used by ShareGPT, Vicuna, OpenHermes, LLaMA
# Factory and Axolotl exports).
SHAREGPT_ROLES = {
    "human": "user",
    "user": "user",
    "gpt": "assistant",
    "assistant": "assistant",
    "chatgpt": "assistant",
    "bard": "assistant",
    "bing": "assistant",
    "model": "assistant",
    "system": "system",
    "tool": "tool",
    "observation": "tool",
    "function_response": "tool",
}


def _sharegpt(turns: object) -> list[dict[str, Any]]:
    if not isinstance(turns, list) or not turns:
        raise ConversationError("conversations must be a non-empty list of turns")
    messages = []
    for number, turn in enumerate(turns, start=1):
        if not isinstance(turn, dict):
            raise ConversationError(f"turn {number}: is {type(turn).__name__}, not an object")
        if "role" in turn:  # some ShareGPT exports already use OpenAI's keys
            messages.append(turn)
            continue
        speaker = turn.get("from")
        if speaker not in SHAREGPT_ROLES:
            raise ConversationError(
                f"turn {number}: speaker {speaker!r} is not one of "
                f"{', '.join(sorted(SHAREGPT_ROLES))}"
            )
        messages.append({"role": SHAREGPT_ROLES[speaker], "content": turn.get("value")})
    return messages


def parse_record(raw: str) -> tuple[str | None, str | None]:
    """(canonical messages JSON, problem) of one record's text; (None, None) when the record
    is not a conversation."""
    try:
        record = json.loads(raw)
    except (json.JSONDecodeError, TypeError):
        return None, None
    if not isinstance(record, dict):
        return None, None
    layout = next((key for key in LAYOUTS if record.get(key) is not None), None)
    if layout is None:
        return None, None
    turns = record[layout]
    if isinstance(turns, str):  # CSV cells and string columns hold the list as JSON text
        try:
            turns = json.loads(turns)
        except json.JSONDecodeError:
            return None, f"bad_conversation: {layout} is text but not a JSON list"
    try:
        messages = canonical_messages(turns if layout == "messages" else _sharegpt(turns))
    except ConversationError as exc:
        return None, f"bad_conversation: {layout}: {exc}"
    return encode(messages), None


def with_conversations(frame: pl.DataFrame) -> pl.DataFrame:
    """Records of `frame` (canonical fields with `raw` and `problem`) that hold a conversation
    become `conversation` rows with `messages` and their transcript as `text`."""
    if frame.is_empty() or "raw" not in frame.columns:
        return frame.with_columns(pl.lit(None, dtype=pl.String).alias("messages"))
    candidate = pl.col("problem").is_null() & pl.col("raw").str.contains(
        r'"(?:messages|conversations)"\s*:'
    )
    frame = frame.with_row_index("_position")
    found = frame.filter(candidate).select("_position", "raw")
    # Nested, hostile JSON is checked turn by turn in Python, only for the records that name a
    # conversation layout (a vectorized decode would fail a whole batch on one odd turn).
    parsed = pl.DataFrame(
        [(position, *parse_record(raw)) for position, raw in found.iter_rows()],
        schema={"_position": pl.UInt32, "messages": pl.String, "_problem": pl.String},
        orient="row",
    )
    frame = frame.join(parsed, on="_position", how="left")
    is_conversation = pl.col("messages").is_not_null()
    frame = frame.with_columns(
        pl.when(is_conversation)
        .then(pl.coalesce("kind", pl.lit("conversation")))
        .when(pl.col("_problem").is_not_null())
        .then(pl.lit("conversation"))
        .otherwise(pl.col("kind"))
        .alias("kind"),
        pl.coalesce("problem", "_problem").alias("problem"),
    ).with_columns(
        pl.when((pl.col("kind") != "conversation") & is_conversation)
        .then(
            pl.lit("bad_conversation: a record with turns must be kind conversation, not ")
            + pl.col("kind")
        )
        .otherwise(pl.col("problem"))
        .alias("problem")
    )
    texts = transcripts(
        frame.filter(is_conversation).select(
            pl.col("_position").cast(pl.String).alias("row_id"), "kind", "messages"
        )
    ).select(pl.col("row_id").cast(pl.UInt32).alias("_position"), pl.col("text").alias("_text"))
    return (
        frame.join(texts, on="_position", how="left")
        .with_columns(pl.coalesce("_text", "text").alias("text"))
        .drop("_position", "_problem", "_text")
    )
