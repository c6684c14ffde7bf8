"""The backend interface: one prompt in, one completion out, with its token counts.

A prompt is a string (sent as one user message) or a list of chat messages (`{role,
content}`, roles system/user/assistant), so a model can see a real multi-turn history or
few-shot turns; a string prompt's request hash and call-log text are what they always were.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Protocol, TypeAlias

from assets.models.generators import Sampling
from assets.models.json_schema import JsonSchema

# Chat messages, `{"role": ..., "content": ...}`, in order.
Messages: TypeAlias = list[dict[str, str]]
Prompt: TypeAlias = str | Messages


def chat_messages(prompt: Prompt) -> Messages:
    """The messages a chat backend sends for `prompt`: a string is one user message."""
    return [{"role": "user", "content": prompt}] if isinstance(prompt, str) else prompt


def prompt_text(prompt: Prompt) -> str:
    """The prompt as the call log holds it: a string as it is, messages as JSON."""
    return prompt if isinstance(prompt, str) else json.dumps(prompt, ensure_ascii=False)


@dataclass(frozen=True)
class Completion:
    text: str
    finish_reason: str | None
    prompt_tokens: int | None
    completion_tokens: int | None
    latency_ms: float


class Backend(Protocol):
    backend: str
    model: str
    # How many `complete` calls may run at once from different threads.
    max_in_flight: int

    @property
    def model_digest(self) -> str | None:
        """A digest or revision that pins the model weights."""
        ...

    def lineage_params(self) -> dict:
        """Backend settings that shape outputs (context size, server URL): generator identity."""
        ...

    def complete(
        self,
        prompt: Prompt,
        sampling: Sampling,
        sample_index: int,
        schema: JsonSchema | None = None,
    ) -> Completion:
        """One chat completion of `prompt` (`chat_messages`); with a `schema`, its text is JSON
        held to it (or the call fails), as far as the backend can enforce it."""
        ...


def openai_completion(result: dict, text: str | None, started: float) -> Completion:
    """An OpenAI-shaped result (a server's body, or llama.cpp's chat or raw result) with its
    `text` as a Completion, timed from `started`."""
    choice = result["choices"][0]
    usage = result.get("usage") or {}
    return Completion(
        text=text or "",
        finish_reason=choice.get("finish_reason"),
        prompt_tokens=usage.get("prompt_tokens"),
        completion_tokens=usage.get("completion_tokens"),
        latency_ms=(time.perf_counter() - started) * 1000,
    )
