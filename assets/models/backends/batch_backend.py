"""What every batch backend shares: `CachedModel` hands its missing calls to the batch runner
(`submits_batches`), it has no model file digest, and it records its generator settings."""

from __future__ import annotations

from typing import Any

from assets.models.backends.base import Completion, Prompt
from assets.models.backends.openai_batch_api import BatchAPIError
from assets.models.generators import Sampling
from assets.models.json_schema import JsonSchema


class BatchBackendBase:
    # `CachedModel` hands this backend's missing calls to `BatchRunner` at once.
    submits_batches = True
    # Requests go in files, not connections.
    max_in_flight = 1
    provider: str

    def __init__(self, config: Any, api: Any, base_url: str):
        self.config = config
        self.model: str = config.model
        self.api = api
        # Where its batches live (an API root, a folder's file:// URL): a `batches` row's.
        self.base_url = base_url

    @property
    def model_digest(self) -> str | None:
        return None

    def lineage_params(self) -> dict:
        return self.config.lineage_params()  # type: ignore[attr-defined]

    def complete(
        self,
        prompt: Prompt,
        sampling: Sampling,
        sample_index: int,
        schema: JsonSchema | None = None,
    ) -> Completion:
        """One call online: only a provider with an online endpoint has one."""
        raise BatchAPIError(f"{self.provider} has no online endpoint: its calls go in batches")
