"""A reward or reranker model behind a server's scoring API (vLLM's `/score`, or the
Cohere-style `/rerank` that vLLM and hosted rerankers serve), as a backend: one (request,
answer) pair in, its score out as the completion's text (JSON, a number), so each score is a
call that the call log records and caches like any other.

Transport, API key, retries (429, 5xx, timeouts, dropped connections, unparseable bodies,
`Retry-After`) and the failure budget are the chat backend's (`OpenAIHTTPBackend`); only the
route, the request and the reading of a 200 differ. A 200 whose body holds no finite number
for the pair is unparseable: retried, then the call fails naming the body.
"""

from __future__ import annotations

import json
import math
import time

from assets.models.backends.base import Completion, Prompt
from assets.models.backends.openai_http import OpenAIHTTPBackend
from assets.models.generators import Sampling, ScoringEndpoint
from assets.models.json_schema import JsonSchema


def scored_pair(prompt: Prompt) -> tuple[str, str]:
    """The (request, answer) a reward call scores: its prompt is the two as a user and an
    assistant message."""
    if isinstance(prompt, str) or [m["role"] for m in prompt] != ["user", "assistant"]:
        raise ValueError("a reward model scores a user request and an assistant answer")
    return prompt[0]["content"], prompt[1]["content"]


def _number(value: object) -> float:
    """A score as a float: vLLM gives a number (a one-element list before 0.7); anything
    else, or a number that is not finite, is an unparseable body (ValueError)."""
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"not a finite score: {value!r}")
    return float(value)


def _entry(entries: list[dict]) -> dict:
    """The entry of the one pair sent (index 0)."""
    (entry,) = [e for e in entries if isinstance(e, dict) and e.get("index", 0) == 0]
    return entry


class OpenAIScoreBackend(OpenAIHTTPBackend):
    backend = "openai_score"

    def __init__(self, config: ScoringEndpoint):
        super().__init__(config, route=f"/{config.api}")
        self.api = config.api
        self.truncate = config.truncate_prompt_tokens

    def complete(
        self,
        prompt: Prompt,
        sampling: Sampling,
        sample_index: int,
        schema: JsonSchema | None = None,
    ) -> Completion:
        if schema is not None:
            raise ValueError("a scoring endpoint answers with a number; it takes no JSON schema")
        request_text, answer = scored_pair(prompt)
        if self.api == "score":
            body: dict = {"model": self.model, "text_1": request_text, "text_2": answer}
        else:
            body = {"model": self.model, "query": request_text, "documents": [answer]}
        if self.truncate:
            body["truncate_prompt_tokens"] = self.truncate
        return self._request(body)

    def _completion(self, payload: dict, started: float) -> Completion:
        if self.api == "score":
            score = _number(_entry(payload["data"])["score"])
        else:
            score = _number(_entry(payload["results"])["relevance_score"])
        usage = payload.get("usage") or {}
        return Completion(
            text=json.dumps(score),
            finish_reason="stop",
            prompt_tokens=usage.get("prompt_tokens"),
            completion_tokens=None,
            latency_ms=(time.perf_counter() - started) * 1000,
        )
