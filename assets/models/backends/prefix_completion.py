"""A local model driven by raw text instead of chat messages: the prompt is sent as it is and
the model continues it. Magpie uses it to send only a chat template's user prefix."""

from __future__ import annotations

from functools import cached_property

from assets.models.backends.base import Completion, Prompt
from assets.models.backends.local_llama import LocalLlamaBackend
from assets.models.generators import LocalModel, Sampling
from assets.models.json_schema import JsonSchema


class PrefixCompletionBackend:
    """The `Backend` interface over raw completions of a local model: `complete(prompt)`
    continues `prompt` and stops at any of `stop` (the template's end-of-turn markers)."""

    backend = "local_prefix"
    max_in_flight = 1

    def __init__(self, config: LocalModel, stop: list[str]):
        self.local = LocalLlamaBackend(config)
        self.model = self.local.model
        self.stop = stop

    @cached_property
    def model_digest(self) -> str:
        return self.local.model_digest

    def lineage_params(self) -> dict:
        return {**self.local.lineage_params(), "stop": self.stop}

    def complete(
        self,
        prompt: Prompt,
        sampling: Sampling,
        sample_index: int,
        schema: JsonSchema | None = None,
    ) -> Completion:
        if schema is not None:
            raise ValueError("a raw prefix completion takes no JSON schema")
        if not isinstance(prompt, str):
            raise ValueError("a raw prefix completion takes text, not chat messages")
        return self.local.continue_text(prompt, sampling, sample_index, self.stop)
