"""The backend interface: one prompt in, one completion out, with its token counts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from assets.models.json_schema import JsonSchema
from assets.recipe.generators import Sampling


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
        prompt: str,
        sampling: Sampling,
        sample_index: int,
        schema: JsonSchema | None = None,
    ) -> Completion:
        """One chat completion of a single user message; with a `schema`, its text is JSON
        held to it (or the call fails), as far as the backend can enforce it."""
        ...
