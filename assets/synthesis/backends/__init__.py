"""Model backends behind one interface; heavy libraries load on first use only."""

from assets.recipe import GeneratorConfig
from assets.synthesis.backends.base import Backend, Completion
from assets.synthesis.backends.local_llama import LocalLlamaBackend


def build_backend(config: GeneratorConfig) -> Backend:
    """The backend a recipe's `generator` (or `judge`) entry names."""
    return LocalLlamaBackend(config)


__all__ = ["Backend", "Completion", "build_backend"]
