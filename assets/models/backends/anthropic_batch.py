"""The `anthropic_batch` backend: Anthropic's Message Batches API behind the batch runner's
OpenAI-shaped endpoints (assets/models/batch/runner.py), so both providers share submission,
resumption, resubmission, budgets and the call log.

`AnthropicBatchAPI` translates: `upload` keeps the OpenAI batch-format request file in a local
folder (Anthropic has no Files API); `create` posts its requests inline
(`POST /messages/batches`, each `custom_id` the request hash, `params` the chat request in
Anthropic's form); `get` maps `processing_status` (in_progress, canceling, ended) to OpenAI's
states and names the results as the batch's output file; `content` of it reads the results
JSONL (`GET /messages/batches/{id}/results`) and rewrites each line as an OpenAI batch output
line: succeeded → status 200 and a chat completion, errored → its error; canceled and expired
requests are left out, so the runner submits them again.

A batch recorded but never created (a run killed in between) is created by the re-run:
Anthropic's list of batches does not say which requests a batch holds."""

from __future__ import annotations

import json

from assets.models.backends.batch_backend import BatchBackendBase
from assets.models.backends.batch_files import LocalBatchFiles
from assets.models.backends.openai_batch_api import OpenAIBatchAPI
from assets.models.generators import AnthropicBatchModel

RESULTS = "results:"
STATES = {"in_progress": "in_progress", "canceling": "cancelling", "ended": "completed"}


def message_params(body: dict) -> dict:
    """An OpenAI chat request body as Anthropic Messages params (system messages joined into
    `system`; no seed or response_format: Anthropic has neither)."""
    system = [m["content"] for m in body["messages"] if m["role"] == "system"]
    params = {
        "model": body["model"],
        "max_tokens": body["max_tokens"],
        "messages": [
            {"role": m["role"], "content": m["content"]}
            for m in body["messages"]
            if m["role"] != "system"
        ],
        "temperature": body["temperature"],
        "top_p": body["top_p"],
    }
    if system:
        params["system"] = "\n\n".join(system)
    return params


def openai_line(result: dict) -> dict | None:
    """An Anthropic results line as an OpenAI batch output line; None when the request was
    canceled or expired (no answer: it is submitted again)."""
    outcome = result.get("result") or {}
    kind = outcome.get("type")
    if kind == "succeeded":
        message = outcome["message"]
        text = "".join(
            b.get("text", "") for b in message.get("content", []) if b.get("type") == "text"
        )
        usage = message.get("usage") or {}
        body = {
            "id": message.get("id"),
            "object": "chat.completion",
            "model": message.get("model"),
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text},
                    "finish_reason": message.get("stop_reason"),
                }
            ],
            "usage": {
                "prompt_tokens": usage.get("input_tokens"),
                "completion_tokens": usage.get("output_tokens"),
            },
        }
        return {"custom_id": result["custom_id"], "response": {"status_code": 200, "body": body}}
    if kind == "errored":
        error = (outcome.get("error") or {}).get("error") or outcome.get("error") or {}
        return {
            "custom_id": result["custom_id"],
            "response": {
                "status_code": 400 if error.get("type") == "invalid_request_error" else 500,
                "body": {"error": {"code": error.get("type"), "message": error.get("message")}},
            },
        }
    return None


class AnthropicBatchAPI(OpenAIBatchAPI):
    def __init__(self, config: AnthropicBatchModel):
        super().__init__(config)
        self.anthropic_version = config.anthropic_version
        self.files = LocalBatchFiles(config.folder, "anthropic")

    def auth_headers(self, key: str) -> dict[str, str]:
        return {"x-api-key": key, "anthropic-version": self.anthropic_version}

    def upload(self, name: str, content: bytes) -> str:
        return self.files.upload(name, content)

    def create(self, input_file_id: str, metadata: dict[str, str]) -> dict:
        requests = [
            {"custom_id": line["custom_id"], "params": message_params(line["body"])}
            for line in map(json.loads, self.files.content(input_file_id).splitlines())
        ]
        body = json.dumps({"requests": requests}).encode()
        created = self._json("POST", "/messages/batches", body, "application/json")
        return self._openai_state(created, input_file_id)

    def get(self, batch_id: str) -> dict:
        return self._openai_state(self._json("GET", f"/messages/batches/{batch_id}"))

    def list_recent(self, limit: int = 100) -> list[dict]:
        # Anthropic's batches do not name their requests: none can be matched to a record.
        return []

    def content(self, file_id: str) -> bytes:
        if not file_id.startswith(RESULTS):
            return self.files.content(file_id)
        raw = self._request("GET", f"/messages/batches/{file_id.removeprefix(RESULTS)}/results")
        lines = (openai_line(json.loads(r)) for r in raw.splitlines() if r.strip())
        return b"".join(json.dumps(line).encode() + b"\n" for line in lines if line is not None)

    @staticmethod
    def _openai_state(batch: dict, input_file_id: str | None = None) -> dict:
        counts = batch.get("request_counts") or {}
        status = STATES.get(batch.get("processing_status"), "in_progress")
        return {
            "id": batch["id"],
            "input_file_id": input_file_id,
            "status": status,
            "output_file_id": f"{RESULTS}{batch['id']}" if status == "completed" else None,
            "error_file_id": None,
            "request_counts": {
                "total": sum(counts.values()),
                "completed": counts.get("succeeded", 0),
                "failed": counts.get("errored", 0),
            },
            "errors": None,
        }


class AnthropicBatchBackend(BatchBackendBase):
    backend = "anthropic"
    provider = "anthropic_batch"

    def __init__(self, config: AnthropicBatchModel):
        super().__init__(config, AnthropicBatchAPI(config), config.base_url)
