"""What every batch backend shares: `CachedModel` hands its missing calls to the batch runner
(`submits_batches`), it has no model file digest, and it records its generator settings."""

from __future__ import annotations

from assets.models.backends.base import Completion, Prompt
from assets.models.backends.openai_batch_api import BatchAPIError
from assets.models.generators import Sampling
from assets.models.json_schema import JsonSchema


class BatchBackendBase:
    # `CachedModel` hands this backend's missing calls to `BatchRunner` at once.
    submits_batches = True
    provider: str
    config: object

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
