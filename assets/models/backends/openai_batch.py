"""The `openai_batch` backend: calls go through the OpenAI Batch API (assets/models/batch/).

Its identity is the online backend's (`backend` is `openai`, the same model and server URL),
so a call's request hash, the generator id and the rows made from its output are the same
whichever way it was sent; the call log's `mode` and the `batches` table say how. `complete`
makes one call online, for the outputs a batch returned that missed their JSON schema."""

from __future__ import annotations

from assets.models.backends.base import Completion, Prompt
from assets.models.backends.batch_backend import BatchBackendBase
from assets.models.backends.openai_batch_api import OpenAIBatchAPI
from assets.models.backends.openai_http import OpenAIHTTPBackend
from assets.models.generators import OpenAIBatchModel, Sampling
from assets.models.json_schema import JsonSchema


class OpenAIBatchBackend(BatchBackendBase):
    backend = "openai"
    provider = "openai_batch"

    def __init__(self, config: OpenAIBatchModel):
        super().__init__(config, OpenAIBatchAPI(config), config.base_url)
        self.online = OpenAIHTTPBackend(config)

    def complete(
        self,
        prompt: Prompt,
        sampling: Sampling,
        sample_index: int,
        schema: JsonSchema | None = None,
    ) -> Completion:
        return self.online.complete(prompt, sampling, sample_index, schema)
