"""Batch input files: one JSONL line per request, `custom_id` its request hash and `body` the
exact request the online backend would send, split into files within the provider's limits
on lines and bytes."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator

from assets.models.backends.base import Prompt, chat_messages
from assets.models.backends.openai_http import RETRY_SEED_STRIDE, openai_response_format
from assets.models.generators import Sampling
from assets.models.json_schema import JsonSchema

CHAT_COMPLETIONS = "/v1/chat/completions"


def request_body(
    model: str,
    prompt: Prompt,
    sampling: Sampling,
    sample_index: int,
    schema: JsonSchema | None,
    reask: int = 0,
) -> dict:
    """What `OpenAIHTTPBackend.complete` posts for this call (OpenAI's `response_format`
    layout for a schema): the same request, so the same answer. The `reask`-th ask again of
    an output that missed its schema moves the seed as the online backend's retries do."""
    body = {
        "model": model,
        "messages": chat_messages(prompt),
        "temperature": sampling.temperature,
        "top_p": sampling.top_p,
        "max_tokens": sampling.max_tokens,
        "seed": sampling.seed + sample_index + reask * RETRY_SEED_STRIDE,
        "stream": False,
    }
    if schema is not None:
        body["response_format"] = openai_response_format(schema)
    return body


def request_line(request_hash: str, body: dict) -> bytes:
    line = {"custom_id": request_hash, "method": "POST", "url": CHAT_COMPLETIONS, "body": body}
    return json.dumps(line, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


def split_lines(lines: Iterable[bytes], max_lines: int, max_bytes: int) -> Iterator[list[bytes]]:
    """The lines in order, cut into files of at most `max_lines` lines and `max_bytes` bytes;
    a single line over `max_bytes` is an error (no file could carry it)."""
    current: list[bytes] = []
    size = 0
    for line in lines:
        if len(line) > max_bytes:
            raise ValueError(
                f"one batch request is {len(line)} bytes, over max_bytes_per_file={max_bytes}"
            )
        if current and (len(current) >= max_lines or size + len(line) > max_bytes):
            yield current
            current, size = [], 0
        current.append(line)
        size += len(line)
    if current:
        yield current
