"""Any OpenAI-compatible server (vLLM, TGI, Ollama, llama.cpp server, hosted APIs) over HTTP.

One `complete` call is one `POST {base_url}/chat/completions`, retried with exponential
backoff and jitter on 429, 5xx, timeouts, dropped connections and unparseable bodies, honouring
`Retry-After`. Calls are thread safe: `CachedModel` keeps up to `max_in_flight` of them going,
each thread on its own keep-alive connection (`http_connection`: a socket and a C parser,
about a fifth of `http.client`'s CPU per request). A failure budget shared by all threads ends a
run against a server that is down instead of letting every call retry on its own.

A call with a JSON schema sends it as `response_format` (`json_schema`, strict). Its output is
validated; one that does not match is asked for again, with another seed, up to
`schema_retries` times, then the call fails naming the schema and the last problem. A server
that refuses that layout (a 400/415/422, or llama-cpp-python's 500, naming `response_format`)
is asked with llama.cpp's (`json_object` with a `schema`) from then on, and one that refuses
both without any; outputs are validated and retried the same way.

The API key is read from the environment variable named by `api_key_env` at call time and
goes only into the Authorization header; messages name the variable, never its value, and any
server text quoted in an error has the value masked.
"""

from __future__ import annotations

import dataclasses
import http.client
import json
import os
import random
import threading
import time
from collections import deque
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from assets.models.backends.base import Completion, Prompt, chat_messages, openai_completion
from assets.models.backends.errors import BackendError
from assets.models.backends.http_connection import HTTPConnection
from assets.models.generators import OpenAICompatibleModel, Sampling
from assets.models.json_schema import JsonSchema

# 408 request timeout, 409 conflict (vLLM under load), 425 too early, 429 rate limited.
RETRYABLE_4XX = frozenset({408, 409, 425, 429})
BODY_SNIPPET_CHARS = 300
# Errors with which servers refuse a `response_format` they do not support when the body names
# it: 400/422 from most, 500 from llama-cpp-python's server (its request validation error).
FORMAT_REFUSAL_STATUSES = frozenset({400, 415, 422, 500})
# Seeds of the retries of a call whose output missed its schema: far from other sample indexes.
RETRY_SEED_STRIDE = 1_000_003
RECENT_ERRORS = 3
# Errors on a kept-alive connection that the server may have closed while it sat idle.
_STALE_CONNECTION = (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError)


class FailureBudgetExceeded(BackendError):
    """Too many requests in a row failed; the server is down or refusing work."""


class SchemaNotMet(BackendError):
    """A call with a JSON schema whose outputs never matched it within `schema_retries`."""


class _FormatRefused(Exception):
    """A client error that names `response_format`: the server does not take JSON schemas."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def openai_response_format(schema: JsonSchema) -> dict:
    """OpenAI's layout (also vLLM, llama.cpp's llama-server, Ollama)."""
    return {
        "type": "json_schema",
        "json_schema": {"name": schema.name, "schema": schema.schema, "strict": True},
    }


def llama_cpp_response_format(schema: JsonSchema) -> dict:
    """llama.cpp's own layout, the only one llama-cpp-python's server takes."""
    return {"type": "json_object", "schema": schema.schema}


# The `response_format` layouts tried in turn, the next after a server refuses one.
RESPONSE_FORMATS = (
    ("json_schema", openai_response_format),
    ("json_object", llama_cpp_response_format),
)


class _Retryable(Exception):
    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header: delta-seconds or an HTTP-date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class OpenAIHTTPBackend:
    backend = "openai"

    def __init__(self, config: OpenAICompatibleModel, route: str = "/chat/completions"):
        self.config = config
        self.model = config.model
        self.max_in_flight = config.max_in_flight
        # `route` under the API root: another of the server's APIs (e.g. `/score`) says so.
        self.endpoint = f"{config.base_url.rstrip('/')}{route}"
        url = urlsplit(self.endpoint)
        self._https = url.scheme == "https"
        self._host = url.hostname or ""
        self._port = url.port
        self._path = url.path + (f"?{url.query}" if url.query else "")
        self._local = threading.local()
        self._lock = threading.Lock()
        self._consecutive_failures = 0
        self._recent_errors: deque[str] = deque(maxlen=RECENT_ERRORS)
        self._tripped = threading.Event()
        self._trip_message = ""
        self._jitter = random.Random()
        # The first `RESPONSE_FORMATS` layout the server has not refused (past the end: it
        # refused them all, so calls go without one); only moves forward.
        self._layout = 0

    def lineage_params(self) -> dict:
        return self.config.lineage_params()

    @property
    def model_digest(self) -> str | None:
        # The API names a model but does not pin its weights.
        return None

    @property
    def response_format(self) -> str | None:
        """The `response_format` type schema calls are sent with now (None: the server refused
        every layout)."""
        layout = self._layout
        if layout == len(RESPONSE_FORMATS):
            return None
        return RESPONSE_FORMATS[layout][0]

    # -- the call ---------------------------------------------------------------------------

    def complete(
        self,
        prompt: Prompt,
        sampling: Sampling,
        sample_index: int,
        schema: JsonSchema | None = None,
    ) -> Completion:
        request = {
            "model": self.model,
            "messages": chat_messages(prompt),
            "temperature": sampling.temperature,
            "top_p": sampling.top_p,
            "max_tokens": sampling.max_tokens,
            "seed": sampling.seed + sample_index,
            "stream": False,
        }
        if schema is not None:
            return self._schema_request(request, schema, sampling)
        return self._request(request)

    def _schema_request(self, request: dict, schema: JsonSchema, sampling: Sampling) -> Completion:
        """`request` held to `schema`: sent in the first `response_format` layout the server
        has not refused, its output validated, and asked again (another seed) while it does
        not match."""
        tries = self.config.schema_retries + 1
        problem = ""
        attempt = 0
        # Tokens of every attempt: the call's cost is what all of them used, not the last one.
        used = [0, 0]
        while attempt < tries:
            layout = self._layout
            sent = {**request, "seed": request["seed"] + attempt * RETRY_SEED_STRIDE}
            if layout < len(RESPONSE_FORMATS):
                sent["response_format"] = RESPONSE_FORMATS[layout][1](schema)
            try:
                completion = self._request(sent)
            except _FormatRefused as refused:  # only raised for a request with a layout
                # Not the output's fault: the same attempt again, in the next layout.
                with self._lock:
                    self._layout = max(self._layout, layout + 1)
                problem = refused.message
                continue
            attempt += 1
            used[0] += completion.prompt_tokens or 0
            used[1] += completion.completion_tokens or 0
            problem = schema.problem(completion.text) or ""
            if not problem:
                if attempt == 1:
                    return completion
                return dataclasses.replace(
                    completion, prompt_tokens=used[0], completion_tokens=used[1]
                )
        refused_all = self._layout == len(RESPONSE_FORMATS)
        mode = (
            "without response_format (the server refused it)"
            if refused_all
            else f"with response_format type {self.response_format}"
        )
        hint = (
            "; at temperature 0 a retry repeats the same output: raise the temperature or use "
            "a server that honours response_format"
            if sampling.temperature == 0 and refused_all
            else ""
        )
        raise SchemaNotMet(
            f"{self.endpoint}: no output matched JSON schema {schema.name!r} (sha256 "
            f"{schema.sha256[:12]}) in {tries} attempts {mode} (generator.schema_retries="
            f"{self.config.schema_retries}); last problem: {problem}{hint}"
        )

    def _request(self, request: dict) -> Completion:
        """One completion, retried on transient failures."""
        key = self._api_key()
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if key:
            headers["Authorization"] = f"Bearer {key}"
        body = json.dumps(request).encode()
        attempts = 0
        while True:
            self._raise_if_tripped()
            attempts += 1
            started = time.perf_counter()
            try:
                status, retry_after, data = self._post(body, headers)
                completion = self._parse(
                    status, retry_after, data, key, started, "response_format" in request
                )
            except _Retryable as failure:
                self._count_failure(failure.message)
                if attempts > self.config.max_retries:
                    raise BackendError(
                        f"{self.endpoint}: gave up after {attempts} attempts "
                        f"(generator.max_retries={self.config.max_retries}); "
                        f"last error: {failure.message}"
                    ) from None
                delay = self._backoff(attempts)
                if failure.retry_after is not None:
                    delay = max(delay, min(failure.retry_after, self.config.max_retry_after_s))
                if self._tripped.wait(delay):
                    self._raise_if_tripped()
                continue
            self._count_success()
            return completion

    def _api_key(self) -> str | None:
        name = self.config.api_key_env
        if name is None:
            return None
        value = os.environ.get(name, "")
        if not value.strip():
            raise BackendError(
                f"{self.endpoint}: the API key variable {name} (generator.api_key_env) is not "
                "set or empty in this process's environment"
            )
        return value.strip()

    def _backoff(self, attempt: int) -> float:
        ceiling = min(self.config.backoff_max_s, self.config.backoff_base_s * 2 ** (attempt - 1))
        return ceiling * (0.5 + 0.5 * self._jitter.random())

    # -- transport --------------------------------------------------------------------------

    def _connection(self) -> tuple[HTTPConnection, bool]:
        """This thread's connection and whether it was used before (so may have gone stale)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            return conn, True
        conn = HTTPConnection(self._host, self._port, self._https, self.config.timeout_s)
        self._local.conn = conn
        return conn, False

    def _drop_connection(self) -> None:
        conn = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None:
            conn.close()

    def _post(self, body: bytes, headers: dict[str, str]) -> tuple[int, float | None, bytes]:
        """(status, Retry-After seconds, body) of one POST; transport failures are retryable."""
        for _ in range(2):
            conn, reused = self._connection()
            try:
                response = conn.post(self._path, body, headers)
            except TimeoutError:
                self._drop_connection()
                raise _Retryable(
                    f"no response within {self.config.timeout_s:g} s (generator.timeout_s)"
                ) from None
            except _STALE_CONNECTION as exc:
                self._drop_connection()
                if reused:
                    continue  # the server closed an idle keep-alive connection: reconnect once
                raise _Retryable(f"connection dropped: {type(exc).__name__}: {exc}") from None
            except (OSError, http.client.HTTPException) as exc:
                self._drop_connection()
                raise _Retryable(f"connection failed: {type(exc).__name__}: {exc}") from None
            if response.will_close:
                self._drop_connection()
            retry_after = parse_retry_after(response.getheader("Retry-After"))
            return response.status, retry_after, response.body
        raise _Retryable("connection dropped twice")  # unreachable: a fresh one raises above

    def _parse(
        self,
        status: int,
        retry_after: float | None,
        data: bytes,
        key: str | None,
        started: float,
        formatted: bool = False,
    ) -> Completion:
        """The completion of a 200; otherwise the error to raise (`formatted`: the request
        carried a `response_format`, which an error naming it refuses)."""
        snippet = _snippet(data, key)
        if status == 200:
            try:
                return self._completion(json.loads(data), started)
            except (ValueError, KeyError, IndexError, TypeError, AttributeError):
                raise _Retryable(f"HTTP 200 with an unparseable body: {snippet!r}") from None
        if formatted and status in FORMAT_REFUSAL_STATUSES and b"response_format" in data[:65536]:
            raise _FormatRefused(f"HTTP {status}: {snippet}")
        if status >= 500 or status in RETRYABLE_4XX:
            raise _Retryable(f"HTTP {status}: {snippet}", retry_after)
        if status in (401, 403):
            who = (
                f"the API key from ${self.config.api_key_env}"
                if self.config.api_key_env
                else "a request without an API key (set generator.api_key_env)"
            )
            raise BackendError(f"{self.endpoint}: HTTP {status}: the server rejected {who}")
        hint = " (is base_url the API root, usually ending in /v1?)" if status == 404 else ""
        raise BackendError(f"{self.endpoint}: HTTP {status}{hint}: {snippet}")

    def _completion(self, payload: dict, started: float) -> Completion:
        """The completion in a 200's JSON body; a KeyError, IndexError, TypeError,
        AttributeError or ValueError when the body is not one (retried as unparseable)."""
        return openai_completion(payload, payload["choices"][0]["message"]["content"], started)

    # -- the failure budget -----------------------------------------------------------------

    def _count_success(self) -> None:
        with self._lock:
            self._consecutive_failures = 0

    def _count_failure(self, message: str) -> None:
        with self._lock:
            self._consecutive_failures += 1
            self._recent_errors.append(message)
            if self._consecutive_failures < self.config.max_consecutive_failures:
                return
            if not self._tripped.is_set():
                self._trip_message = (
                    f"{self.endpoint}: {self._consecutive_failures} requests in a row failed "
                    f"(generator.max_consecutive_failures="
                    f"{self.config.max_consecutive_failures}); the server is down or refusing "
                    f"work. Last errors: {' | '.join(self._recent_errors)}"
                )
                self._tripped.set()
        self._raise_if_tripped()

    def _raise_if_tripped(self) -> None:
        if self._tripped.is_set():
            raise FailureBudgetExceeded(self._trip_message)


def _snippet(data: bytes, key: str | None) -> str:
    text = data[:65536].decode("utf-8", "replace")
    if key:
        # Some servers quote the key they rejected; mask it before cutting the text short.
        text = text.replace(key, "***")
    return " ".join(text.split())[:BODY_SNIPPET_CHARS]
