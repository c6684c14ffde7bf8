"""Serve a GGUF file behind a real OpenAI-compatible HTTP API on loopback with
`python -m llama_cpp.server` (needs the server extras: fastapi, uvicorn, sse-starlette,
starlette-context, pydantic-settings). The tests and `bench/generation` point the HTTP
backend at it."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from assets.synthesis.backends.local_llama import default_model_path

SERVED_MODEL = "smollm2"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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


def _wait_ready(process, log, base_url: str, api_key: str | None, timeout_s: float) -> None:
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
