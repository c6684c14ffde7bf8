"""Model backends behind one interface; heavy libraries load on first use only."""

from assets.models.backends.anthropic_batch import AnthropicBatchBackend
from assets.models.backends.base import Backend, Completion, Messages, Prompt
from assets.models.backends.local_llama import LocalLlamaBackend
from assets.models.backends.openai_batch import OpenAIBatchBackend
from assets.models.backends.openai_http import OpenAIHTTPBackend
from assets.models.backends.vllm_batch_file import VLLMBatchFileBackend
from assets.models.generators import (
    AnthropicBatchModel,
    GeneratorConfig,
    LocalModel,
    OpenAIBatchModel,
    VLLMBatchFileModel,
)


def build_backend(config: GeneratorConfig) -> Backend:
    """The backend a recipe's `generator` (or `judge`) entry names."""
    if isinstance(config, LocalModel):
        return LocalLlamaBackend(config)
    if isinstance(config, OpenAIBatchModel):
        return OpenAIBatchBackend(config)
    if isinstance(config, AnthropicBatchModel):
        return AnthropicBatchBackend(config)
    if isinstance(config, VLLMBatchFileModel):
        return VLLMBatchFileBackend(config)
    return OpenAIHTTPBackend(config)


__all__ = ["Backend", "Completion", "Messages", "Prompt", "build_backend"]
