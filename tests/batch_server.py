"""A fake OpenAI Batch API on loopback for tests: Files (upload, content) and Batches
(create, retrieve, list), with the states validating, in_progress, completed, failed,
expired and cancelled, an error file carrying injected per-request failures, and
`/chat/completions` for online calls. Anthropic's Message Batches (`/messages/batches`,
requests inline, results by custom_id) are served over the same batches.

Completions are a deterministic echo, not a model: every request, online or in a batch, is
answered with `tests.servers.completion_body` of its prompt (or of what `answer(prompt,
seed)` gives, when it gives text), so a batch run and an online run
of one recipe get the same outputs (and so the same rows). The server counts how often each
request (`custom_id`) was submitted, which is how tests see that nothing went twice.

A batch moves one state per retrieval: validating, in_progress, then its final state, which
`outcome(batch_number)` picks (default completed), after `polls_in_progress` retrievals in
progress, unless `hold` is set (it stays in progress). `fail(custom_id, submission)` injects a failure of one request (an error-file line
with HTTP 500); an expired or cancelled batch answers the first half of its requests only; a
failed batch none.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from tests.servers import completion_body, loopback_http, send_body


def _prompt(body: dict) -> str:
    return "\n\n".join(m["content"] for m in body["messages"])


@dataclass
class BatchServer:
    outcome: Callable[[int], str] = lambda number: "completed"
    fail: Callable[[str, int], bool] = lambda custom_id, submission: False
    hold: bool = False
    # The completion text for (prompt, seed), online or in a batch; None: the echo.
    answer: Callable[[str, int], str | None] = lambda prompt, seed: None
    # Retrievals a batch answers `in_progress` before it finishes.
    polls_in_progress: int = 1
    base_url: str = ""
    files: dict[str, bytes] = field(default_factory=dict)
    batches: dict[str, dict] = field(default_factory=dict)
    # Times each request was submitted in a created batch.
    submitted: Counter = field(default_factory=Counter)
    online_requests: int = 0
    # Requests answered (any endpoint): where the kill test picks its moments.
    handled: int = 0
    # The `x-api-key` of each Message Batches request.
    anthropic_keys: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, handler: http.server.BaseHTTPRequestHandler, method: str) -> None:
        path = urlsplit(handler.path).path.removeprefix("/v1")
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        with self.lock:
            self.handled += 1
            status, reply = self._route(method, path, body, handler.headers)
        send_body(
            handler, status, reply if isinstance(reply, bytes) else json.dumps(reply).encode()
        )

    def _route(self, method: str, path: str, body: bytes, headers) -> tuple[int, dict | bytes]:
        parts = path.strip("/").split("/")
        if parts[:2] == ["messages", "batches"]:
            self.anthropic_keys.append(headers.get("x-api-key"))
            return self._anthropic(method, parts[2:], body)
        if method == "POST" and path == "/chat/completions":
            self.online_requests += 1
            return 200, self._completion(json.loads(body))
        if method == "POST" and path == "/files":
            file_id = f"file-{len(self.files) + 1}"
            self.files[file_id] = _multipart_file(body, headers.get("Content-Type", ""))
            return 200, {"id": file_id, "object": "file", "purpose": "batch"}
        if method == "GET" and len(parts) == 3 and parts[0] == "files" and parts[2] == "content":
            if parts[1] not in self.files:
                return 404, {"error": {"message": "no such file"}}
            return 200, self.files[parts[1]]
        if method == "POST" and path == "/batches":
            return self._create(json.loads(body))
        if method == "GET" and path == "/batches":
            newest = sorted(self.batches.values(), key=lambda b: b["created_at"], reverse=True)
            return 200, {"object": "list", "data": newest[:100]}
        if method == "GET" and len(parts) == 2 and parts[0] == "batches":
            batch = self.batches.get(parts[1])
            if batch is None:
                return 404, {"error": {"message": "no such batch"}}
            self._advance(batch)
            return 200, batch
        return 404, {"error": {"message": f"no route {method} {path}"}}

    # -- Anthropic's Message Batches, over the same batches ---------------------------------

    def _anthropic(self, method: str, rest: list[str], body: bytes) -> tuple[int, dict | bytes]:
        """`POST /messages/batches` (requests inline), `GET /messages/batches/{id}` and
        `.../results`: each batch is kept as an OpenAI one (same states, failures and
        counts) and described as Anthropic describes it."""
        if method == "POST" and not rest:
            lines = [
                {"custom_id": r["custom_id"], "body": _openai_body(r["params"])}
                for r in json.loads(body)["requests"]
            ]
            file_id = f"file-{len(self.files) + 1}"
            self.files[file_id] = b"".join(json.dumps(line).encode() + b"\n" for line in lines)
            status, batch = self._create(
                {"input_file_id": file_id, "endpoint": "/v1/messages", "completion_window": "24h"}
            )
            return status, _message_batch(batch)
        batch = self.batches.get(rest[0]) if rest else None
        if batch is None:
            return 404, {"type": "error", "error": {"type": "not_found_error"}}
        if method == "GET" and len(rest) == 1:
            self._advance(batch)
            return 200, _message_batch(batch)
        if method == "GET" and rest[1:] == ["results"] and batch["status"] in FINAL:
            return 200, self._anthropic_results(batch)
        return 404, {"type": "error", "error": {"type": "not_found_error"}}

    def _anthropic_results(self, batch: dict) -> bytes:
        answered = {}
        for key in ("output_file_id", "error_file_id"):
            if batch[key]:
                for raw in self.files[batch[key]].splitlines():
                    line = json.loads(raw)
                    answered[line["custom_id"]] = line["response"]
        results = []
        for raw in self.files[batch["input_file_id"]].splitlines():
            custom_id = json.loads(raw)["custom_id"]
            response = answered.get(custom_id)
            if response is None:
                result = {"type": "expired"}
            elif response["status_code"] == 200:
                completion = response["body"]
                result = {
                    "type": "succeeded",
                    "message": {
                        "id": f"msg_{custom_id[:8]}",
                        "type": "message",
                        "role": "assistant",
                        "model": completion["model"],
                        "content": [
                            {"type": "text", "text": completion["choices"][0]["message"]["content"]}
                        ],
                        "stop_reason": "end_turn",
                        "usage": {
                            "input_tokens": completion["usage"]["prompt_tokens"],
                            "output_tokens": completion["usage"]["completion_tokens"],
                        },
                    },
                }
            else:
                error = {"type": "api_error", "message": "injected"}
                result = {"type": "errored", "error": {"type": "error", "error": error}}
            results.append({"custom_id": custom_id, "result": result})
        return b"".join(json.dumps(r).encode() + b"\n" for r in results)

    def _completion(self, payload: dict) -> bytes:
        prompt = _prompt(payload)
        return completion_body(prompt, payload, self.answer(prompt, payload.get("seed", 0)))

    def _create(self, request: dict) -> tuple[int, dict]:
        content = self.files.get(request.get("input_file_id", ""))
        if content is None:
            return 400, {"error": {"message": "input_file_id not found"}}
        lines = [json.loads(line) for line in content.splitlines() if line.strip()]
        self.submitted.update(line["custom_id"] for line in lines)
        number = len(self.batches) + 1
        batch = {
            "id": f"batch_{number}",
            "object": "batch",
            "endpoint": request["endpoint"],
            "input_file_id": request["input_file_id"],
            "completion_window": request["completion_window"],
            "status": "validating",
            "output_file_id": None,
            "error_file_id": None,
            "created_at": time.time(),
            "request_counts": {"total": len(lines), "completed": 0, "failed": 0},
            "metadata": request.get("metadata"),
            "errors": None,
            "_number": number,
        }
        self.batches[batch["id"]] = batch
        return 200, batch

    def _advance(self, batch: dict) -> None:
        if batch["status"] == "validating":
            batch["status"] = "in_progress"
        elif batch["status"] == "in_progress" and not self.hold:
            batch["_polls"] = batch.get("_polls", 0) + 1
            if batch["_polls"] >= self.polls_in_progress:
                self._finish(batch, self.outcome(batch["_number"]))

    def _finish(self, batch: dict, status: str) -> None:
        lines = [
            json.loads(line)
            for line in self.files[batch["input_file_id"]].splitlines()
            if line.strip()
        ]
        if status == "failed":
            batch["errors"] = {"data": [{"code": "invalid_request", "message": "injected"}]}
            lines = []
        elif status in ("expired", "cancelled"):
            lines = lines[: len(lines) // 2]
        outputs, errors = [], []
        for line in lines:
            custom_id = line["custom_id"]
            if self.fail(custom_id, self.submitted[custom_id]):
                errors.append(
                    {
                        "id": f"req-{custom_id[:8]}",
                        "custom_id": custom_id,
                        "response": {
                            "status_code": 500,
                            "body": {"error": {"code": "server_error", "message": "injected"}},
                        },
                        "error": None,
                    }
                )
                continue
            body = json.loads(self._completion(line["body"]))
            outputs.append(
                {
                    "id": f"req-{custom_id[:8]}",
                    "custom_id": custom_id,
                    "response": {"status_code": 200, "body": body},
                    "error": None,
                }
            )
        for key, entries in (("output_file_id", outputs), ("error_file_id", errors)):
            if entries:
                file_id = f"file-{len(self.files) + 1}"
                self.files[file_id] = b"".join(json.dumps(e).encode() + b"\n" for e in entries)
                batch[key] = file_id
        batch["status"] = status
        batch["request_counts"]["completed"] = len(outputs)
        batch["request_counts"]["failed"] = len(errors)


def first_failures(count: int) -> tuple[set[str], Callable[[str, int], bool]]:
    """A `fail` hook failing the first `count` requests it sees, on their first submission
    only, and the set it fills with their custom_ids."""
    failing: set[str] = set()

    def fail(custom_id: str, submission: int) -> bool:
        if submission == 1 and len(failing) < count:
            failing.add(custom_id)
        return submission == 1 and custom_id in failing

    return failing, fail


FINAL = frozenset({"completed", "failed", "expired", "cancelled"})


def _openai_body(params: dict) -> dict:
    """Anthropic Messages params as the chat request an online run sends (its system
    message first), so both are answered alike."""
    system = [{"role": "system", "content": params["system"]}] if "system" in params else []
    return {
        "model": params["model"],
        "messages": system + params["messages"],
        "max_tokens": params["max_tokens"],
        "temperature": params.get("temperature"),
        "top_p": params.get("top_p"),
    }


def _message_batch(batch: dict) -> dict:
    """An OpenAI-shaped batch as Anthropic's Message Batches API describes it."""
    ended = batch["status"] in FINAL
    counts = batch["request_counts"]
    unanswered = counts["total"] - counts["completed"] - counts["failed"]
    return {
        "id": batch["id"],
        "type": "message_batch",
        "processing_status": "ended" if ended else "in_progress",
        "request_counts": {
            "processing": 0 if ended else counts["total"],
            "succeeded": counts["completed"],
            "errored": counts["failed"],
            "canceled": 0,
            "expired": unanswered if ended else 0,
        },
        "results_url": f"/v1/messages/batches/{batch['id']}/results" if ended else None,
    }


def _multipart_file(body: bytes, content_type: str) -> bytes:
    """The `file` part of a multipart/form-data body."""
    boundary = content_type.split("boundary=", 1)[1].encode()
    for part in body.split(b"--" + boundary):
        head, _, content = part.partition(b"\r\n\r\n")
        if b'name="file"' in head:
            return content.removesuffix(b"\r\n")
    raise ValueError("no file part")


@contextlib.contextmanager
def batch_server(**settings: object) -> Iterator[BatchServer]:
    state = BatchServer(**settings)  # type: ignore[arg-type]
    with loopback_http(state.handle) as base_url:
        state.base_url = base_url
        yield state
