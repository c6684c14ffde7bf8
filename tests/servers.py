"""Loopback servers for tests and benchmarks: a scripted OpenAI-compatible server that injects
faults, the real one (`python -m llama_cpp.server` on a GGUF file), and Dagster web servers
started and stopped."""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from assets.models.backends.local_llama import default_model_path


@dataclass
class Fault:
    """What the fault server does with one request: `status` and `body`, after `delay_s`;
    `drop` closes the connection without a response; `retry_after` sets that header; `text`
    is the completion's content (default: a sentence made from the prompt)."""

    status: int = 200
    body: bytes | None = None  # None: a valid completion of the request
    text: str | None = None
    delay_s: float = 0.0
    drop: bool = False
    retry_after: str | None = None


@dataclass
class Seen:
    """One request the fault server received."""

    at: float
    wall: float
    prompt: str
    authorization: str | None
    payload: dict = field(default_factory=dict)


@dataclass
class FaultServer:
    """A loopback OpenAI-compatible endpoint that answers from a script of faults.

    `script(prompt, attempt)` picks the fault for the attempt-th request (0-based) carrying
    that prompt; when it returns None the request gets a valid completion. A request whose
    `response_format` type is in `refused_formats` gets a 400 naming it, as servers that do
    not support it answer.
    """

    script: object = None
    refused_formats: frozenset[str] = frozenset()
    requests: list[Seen] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    base_url: str = ""
    active: int = 0
    max_active: int = 0

    def attempts(self, prompt: str) -> int:
        with self.lock:
            return sum(1 for seen in self.requests if seen.prompt == prompt)

    def times(self, prompt: str) -> list[float]:
        with self.lock:
            return [seen.at for seen in self.requests if seen.prompt == prompt]

    def _handle(self, handler: http.server.BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        payload = json.loads(handler.rfile.read(length))
        # A chat's messages, joined (a single-message request: its content).
        prompt = "\n\n".join(m["content"] for m in payload["messages"])
        with self.lock:
            attempt = sum(1 for seen in self.requests if seen.prompt == prompt)
            self.requests.append(
                Seen(
                    time.monotonic(),
                    time.time(),
                    prompt,
                    handler.headers.get("Authorization"),
                    payload,
                )
            )
            self.active += 1
            self.max_active = max(self.max_active, self.active)
        finished = threading.Event()
        try:
            self._answer(handler, prompt, payload, attempt, finished)
        finally:
            self._finish(finished)

    def _finish(self, finished: threading.Event) -> None:
        """Count the request as over before its last bytes go out: the client may send its
        next request the moment it has them, before this thread is done."""
        if not finished.is_set():
            finished.set()
            with self.lock:
                self.active -= 1

    def _answer(
        self,
        handler: http.server.BaseHTTPRequestHandler,
        prompt: str,
        payload: dict,
        attempt: int,
        finished: threading.Event,
    ) -> None:
        layout = (payload.get("response_format") or {}).get("type")
        if layout in self.refused_formats:
            # 400 as most servers answer; 500 as llama-cpp-python's server answers.
            status = 400 if layout == "json_schema" else 500
            fault = Fault(status=status, body=REFUSAL % layout.encode())
        else:
            fault = self.script(prompt, attempt) if self.script else None
            fault = fault or Fault()
        if fault.delay_s:
            time.sleep(fault.delay_s)
        self._finish(finished)
        if fault.drop:
            handler.close_connection = True
            with contextlib.suppress(OSError):
                handler.connection.shutdown(socket.SHUT_RDWR)
            return
        body = (
            fault.body if fault.body is not None else completion_body(prompt, payload, fault.text)
        )
        headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
        send_body(handler, fault.status, body, headers)


def completion_body(prompt: str, payload: dict, text: str | None = None) -> bytes:
    """A well-formed chat completion of `text`, by default one that depends on the prompt (for
    self-instruct: a new one-line instruction, or an answer to one)."""
    if text is None:
        number = int.from_bytes(prompt.encode()[-8:].ljust(8, b"\0"), "big") % 100_000
        text = f"Explain why the number {number} is interesting, in two sentences."
    return json.dumps(
        {
            "id": "fault-server",
            "object": "chat.completion",
            "model": payload.get("model"),
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": len(prompt.split()), "completion_tokens": len(text.split())},
        }
    ).encode()


# How a server without structured outputs refuses them (vLLM and TGI answer much like this).
REFUSAL = b'{"error": {"message": "response_format type %s is not supported", "type": "invalid_request_error", "param": "response_format"}}'


@contextlib.contextmanager
def loopback_http(
    handle: Callable[[http.server.BaseHTTPRequestHandler, str], None],
) -> Iterator[str]:
    """A threaded HTTP server on 127.0.0.1 (a free port) passing every GET and POST to
    `handle(handler, method)`; yields its `/v1` base URL and stops it on exit. The fault
    server and the fake Batch API (tests/batch_server.py) both answer through it."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server API
            handle(self, "GET")

        def do_POST(self) -> None:  # noqa: N802
            handle(self, "POST")

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def send_body(
    handler: http.server.BaseHTTPRequestHandler,
    status: int,
    body: bytes,
    headers: dict[str, str] | None = None,
) -> None:
    """One JSON response; a client that hung up meanwhile is not an error of the server."""
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(body)))
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.end_headers()
    with contextlib.suppress(OSError):
        handler.wfile.write(body)


@contextlib.contextmanager
def fault_server(
    script=None, refused_formats: frozenset[str] = frozenset()
) -> Iterator[FaultServer]:
    server_state = FaultServer(script=script, refused_formats=refused_formats)
    with loopback_http(lambda handler, method: server_state._handle(handler)) as base_url:
        server_state.base_url = base_url
        yield server_state


@dataclass
class ScoreServer:
    """A loopback scoring API as vLLM serves one: `POST /v1/score` (`text_1`, `text_2`, a
    string or a list) and `POST /v1/rerank` (`query`, `documents`), answered with the scores
    `scorer(pairs)` gives (e.g. a real CrossEncoder's). `script(pair, attempt)` may answer the
    attempt-th request for a (request, answer) pair with a `Fault` instead (None: the real
    score). With `api_key`, a request without `Authorization: Bearer <key>` gets a 401."""

    scorer: Callable[[list[tuple[str, str]]], list[float]]
    script: Callable[[tuple[str, str], int], Fault | None] | None = None
    api_key: str | None = None
    model: str = "reward"
    requests: list[Seen] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    base_url: str = ""

    def attempts(self, pair: tuple[str, str]) -> int:
        with self.lock:
            return sum(1 for seen in self.requests if seen.prompt == "\n\n".join(pair))

    def _handle(self, handler: http.server.BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        payload = json.loads(handler.rfile.read(length))
        route = handler.path.rsplit("/", 1)[-1]
        if route == "score":
            query, answers = payload["text_1"], payload["text_2"]
        elif route == "rerank":
            query, answers = payload["query"], payload["documents"]
        else:
            send_body(handler, 404, b'{"detail": "Not Found"}')
            return
        answers = [answers] if isinstance(answers, str) else answers
        pairs = [(query, answer) for answer in answers]
        prompt = "\n\n".join(pairs[0])
        authorization = handler.headers.get("Authorization")
        with self.lock:
            attempt = sum(1 for seen in self.requests if seen.prompt == prompt)
            self.requests.append(
                Seen(time.monotonic(), time.time(), prompt, authorization, payload)
            )
        if self.api_key and authorization != f"Bearer {self.api_key}":
            send_body(handler, 401, b'{"error": "invalid api key"}')
            return
        fault = self.script(pairs[0], attempt) if self.script else None
        if fault is not None:
            if fault.delay_s:
                time.sleep(fault.delay_s)
            if fault.drop:
                handler.close_connection = True
                with contextlib.suppress(OSError):
                    handler.connection.shutdown(socket.SHUT_RDWR)
                return
            if fault.body is not None or fault.status != 200:
                headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
                send_body(handler, fault.status, fault.body or b"{}", headers)
                return
        scores = self.scorer(pairs)
        tokens = sum(len(q.split()) + len(a.split()) for q, a in pairs)
        usage = {"prompt_tokens": tokens, "total_tokens": tokens}
        if route == "score":
            body = {
                "id": "score-loopback",
                "object": "list",
                "model": payload.get("model"),
                "data": [
                    {"index": i, "object": "score", "score": score}
                    for i, score in enumerate(scores)
                ],
                "usage": usage,
            }
        else:
            ranked = sorted(enumerate(scores), key=lambda item: -item[1])
            body = {
                "id": "rerank-loopback",
                "model": payload.get("model"),
                "results": [
                    {"index": i, "document": {"text": answers[i]}, "relevance_score": score}
                    for i, score in ranked
                ],
                "usage": {"total_tokens": tokens},
            }
        send_body(handler, 200, json.dumps(body).encode())


@contextlib.contextmanager
def score_server(
    scorer: Callable[[list[tuple[str, str]]], list[float]],
    script: Callable[[tuple[str, str], int], Fault | None] | None = None,
    api_key: str | None = None,
) -> Iterator[ScoreServer]:
    """A `ScoreServer` on 127.0.0.1 (a free port); its `base_url` ends in `/v1`."""
    state = ScoreServer(scorer=scorer, script=script, api_key=api_key)
    with loopback_http(lambda handler, method: state._handle(handler)) as base_url:
        state.base_url = base_url
        yield state


def contains_secret(root: Path, secret: str) -> list[str]:
    """Files under `root` whose bytes contain `secret`."""
    needle = secret.encode()
    return [str(path) for path in root.rglob("*") if path.is_file() and needle in path.read_bytes()]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def dagster_server(
    args: list[str], port: int, env: dict, cwd: Path, log: Path, timeout_s: float
) -> Iterator[int]:
    """Start a Dagster web server command (its own process group), wait until it answers on
    `port`, and stop the whole group afterwards; its output goes to `log`."""
    with open(log, "wb") as output:
        server = subprocess.Popen(
            args,
            cwd=cwd,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + timeout_s
            while True:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=2)
                    break
                except OSError:
                    assert server.poll() is None, f"{args[0]} exited; see {log}"
                    assert time.monotonic() < deadline, (
                        f"{args[0]} did not come up in {timeout_s:.0f} s; see {log}"
                    )
                    time.sleep(0.5)
            yield port
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)


# The real OpenAI-compatible server (needs the llama-cpp-python server extras: fastapi,
# uvicorn, sse-starlette, starlette-context, pydantic-settings); the HTTP backend's tests and
# `bench/generation` point the backend at it.
SERVED_MODEL = "smollm2"


@dataclass(frozen=True)
class LlamaServer:
    base_url: str
    model: str


@contextlib.contextmanager
def llama_server(
    model_path: Path | None = None,
    api_key: str | None = None,
    n_ctx: int = 2048,
    n_threads: int | None = None,
    ready_timeout_s: float = 120,
) -> Iterator[LlamaServer]:
    """`python -m llama_cpp.server` at 127.0.0.1:<free port>; stopped on exit. The key, if
    any, goes on the server's command line (a test fixture's throwaway value)."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(model_path or default_model_path()),
        "--model_alias",
        SERVED_MODEL,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        str(n_ctx),
    ]
    if n_threads:
        command += ["--n_threads", str(n_threads)]
    if api_key:
        command += ["--api_key", api_key]
    base_url = f"http://127.0.0.1:{port}/v1"
    with tempfile.TemporaryFile("w+") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_ready(process, log, base_url, api_key, ready_timeout_s)
            yield LlamaServer(base_url, SERVED_MODEL)
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_ready(
    process: subprocess.Popen, log: IO[str], base_url: str, api_key: str | None, timeout_s: float
) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        if process.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"llama_cpp.server exited early:\n{log.read()[-3000:]}")
        request = urllib.request.Request(f"{base_url}/models")
        if api_key:
            request.add_header("Authorization", f"Bearer {api_key}")
        try:
            with urllib.request.urlopen(request, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"llama_cpp.server not ready after {timeout_s:g} s")
        time.sleep(0.3)
