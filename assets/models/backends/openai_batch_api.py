"""The subset of the OpenAI Files and Batches APIs a batch run needs, over plain HTTP: upload
an input file, create a batch, read a batch, list batches, download a file. Any server that
implements these endpoints will do (tests use tests/batch_server.py on loopback).

Requests are retried with doubling delays on 429, 5xx and transport failures, up to the
generator's `max_retries`; the API key is read at call time from the variable `api_key_env`
names and never appears in an error."""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
import uuid

from assets.models.backends.errors import BackendError
from assets.models.generators import AnthropicBatchModel, OpenAIBatchModel

RETRYABLE = frozenset({408, 409, 425, 429})
SNIPPET_CHARS = 300


class BatchAPIError(BackendError):
    """A Files or Batches request that failed for good."""

    readme_section = "Prices, budgets and batch inference"


class OpenAIBatchAPI:
    def __init__(self, config: OpenAIBatchModel | AnthropicBatchModel):
        self.config = config
        self.root = config.base_url.rstrip("/")

    def upload(self, name: str, content: bytes) -> str:
        """POST /files (purpose `batch`); the new file's id."""
        boundary = uuid.uuid4().hex
        body = b"".join(
            [
                f'--{boundary}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\n'
                "batch\r\n".encode(),
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
                f'filename="{name}"\r\nContent-Type: application/jsonl\r\n\r\n'.encode(),
                content,
                f"\r\n--{boundary}--\r\n".encode(),
            ]
        )
        reply = self._json("POST", "/files", body, f"multipart/form-data; boundary={boundary}")
        return str(reply["id"])

    def create(self, input_file_id: str, metadata: dict[str, str]) -> dict:
        """POST /batches for chat completions; the batch object."""
        body = {
            "input_file_id": input_file_id,
            "endpoint": "/v1/chat/completions",
            "completion_window": self.config.completion_window,
            "metadata": metadata,
        }
        return self._json("POST", "/batches", json.dumps(body).encode(), "application/json")

    def get(self, batch_id: str) -> dict:
        return self._json("GET", f"/batches/{batch_id}")

    def list_recent(self, limit: int = 100) -> list[dict]:
        """The newest batches (one page): how a run finds a batch it created but never
        recorded the id of."""
        return list(self._json("GET", f"/batches?limit={limit}").get("data") or [])

    def content(self, file_id: str) -> bytes:
        """GET /files/{id}/content."""
        return self._request("GET", f"/files/{file_id}/content")

    # -- transport --------------------------------------------------------------------------

    def _json(
        self, method: str, path: str, body: bytes | None = None, content_type: str | None = None
    ) -> dict:
        data = self._request(method, path, body, content_type)
        try:
            return json.loads(data)
        except ValueError:
            raise BatchAPIError(
                f"{method} {self.root}{path}: not JSON: {_snippet(data, self._key())!r}"
            ) from None

    def auth_headers(self, key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {key}"}

    def _key(self) -> str | None:
        name = self.config.api_key_env
        if name is None:
            return None
        value = os.environ.get(name, "").strip()
        if not value:
            raise BatchAPIError(
                f"{self.root}: the API key variable {name} (generator.api_key_env) is not set "
                "or empty in this process's environment"
            )
        return value

    def _request(
        self, method: str, path: str, body: bytes | None = None, content_type: str | None = None
    ) -> bytes:
        key = self._key()
        headers = {"Accept": "application/json"}
        if content_type:
            headers["Content-Type"] = content_type
        if key:
            headers.update(self.auth_headers(key))
        attempt = 0
        while True:
            attempt += 1
            request = urllib.request.Request(
                f"{self.root}{path}", data=body, headers=headers, method=method
            )
            try:
                with urllib.request.urlopen(request, timeout=self.config.timeout_s) as response:
                    return response.read()
            except urllib.error.HTTPError as error:
                data = error.read()
                problem = f"HTTP {error.code}: {_snippet(data, key)}"
                retry = error.code >= 500 or error.code in RETRYABLE
            except (OSError, TimeoutError) as error:
                problem, retry = f"{type(error).__name__}: {error}", True
            if not retry or attempt > self.config.max_retries:
                raise BatchAPIError(
                    f"{method} {self.root}{path} failed after {attempt} attempts: {problem}"
                )
            time.sleep(
                min(self.config.backoff_max_s, self.config.backoff_base_s * 2 ** (attempt - 1))
            )


def _snippet(data: bytes, key: str | None) -> str:
    text = data[:65536].decode("utf-8", "replace")
    if key:
        text = text.replace(key, "***")
    return " ".join(text.split())[:SNIPPET_CHARS]
