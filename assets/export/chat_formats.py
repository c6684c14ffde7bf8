"""Chat layouts of a corpus for fine-tuning: the Hugging Face `messages` layout and OpenAI's
fine-tuning JSONL (with `tools` and `tool_calls` for tool-use rows).

Conversation rows keep their turns; instruction and preference rows become a user turn
(instruction, then input) and an assistant turn (the response, the chosen one of a pair);
documents have no turns and are left out of both files.
"""

from __future__ import annotations

import polars as pl

from warehouse.conversations import MESSAGES_DTYPE, decoded

CHAT_KINDS = ("conversation", "instruction", "preference")
# Keys OpenAI's fine-tuning format takes only when they mean something.
_OPTIONAL_KEYS = ("name", "tool_call_id", "tool_calls")


def _pair_messages() -> pl.Expr:
    """An instruction or preference row as a user and an assistant turn."""
    fields = MESSAGES_DTYPE.inner.to_schema()  # type: ignore[attr-defined]

    def turn(role: str, content: pl.Expr) -> pl.Expr:
        return pl.struct(
            *[
                (content if key == "content" else pl.lit(role if key == "role" else None))
                .cast(dtype)
                .alias(key)
                for key, dtype in fields.items()
            ]
        )

    user = pl.concat_str(
        pl.col("instruction"), pl.col("input"), separator="\n\n", ignore_nulls=True
    )
    return pl.concat_list(turn("user", user), turn("assistant", pl.col("response")))


def chat_rows(rows: pl.DataFrame) -> pl.DataFrame:
    """`row_id, kind, task_type, method, messages (list of structs), tools (JSON or null)` for
    every row with turns."""
    chats = rows.filter(
        pl.col("kind").is_in(CHAT_KINDS)
        & ((pl.col("kind") == "conversation") | pl.col("response").is_not_null())
    )
    if "messages" not in chats.columns:
        chats = chats.with_columns(pl.lit(None, dtype=pl.String).alias("messages"))
    return chats.select(
        "row_id",
        "kind",
        "task_type",
        "method",
        pl.when(pl.col("kind") == "conversation")
        .then(decoded())
        .otherwise(_pair_messages())
        .alias("messages"),
        pl.col("attributes").str.json_path_match("$.tools").alias("tools"),
    )


def hf_messages(rows: pl.DataFrame) -> pl.DataFrame:
    """The Hugging Face `messages` layout: chat templates want a string content, so a turn
    that only calls tools has an empty one."""
    chats = chat_rows(rows)
    return chats.with_columns(
        pl.col("messages").list.eval(
            pl.element().struct.with_fields(pl.field("content").fill_null("").alias("content"))
        )
    )


def openai_lines(rows: pl.DataFrame) -> pl.Series:
    """One OpenAI fine-tuning record per chat row: `{"messages": [...], "tools": [...]}`."""
    chats = chat_rows(rows)
    turns = pl.col("messages").list.eval(pl.element().struct.json_encode()).list.join(",")
    # Null optional keys are left out; a quote inside a string is escaped, so `,"name":null`
    # only ever matches a key.
    for key in _OPTIONAL_KEYS:
        turns = turns.str.replace_all(f',"{key}":null', "", literal=True)
    return chats.select(
        pl.concat_str(
            pl.lit('{"messages":['),
            turns,
            pl.lit("]"),
            pl.when(pl.col("tools").is_not_null())
            .then(pl.lit(',"tools":') + pl.col("tools"))
            .otherwise(pl.lit("")),
            pl.lit("}"),
        ).alias("line")
    ).to_series()
