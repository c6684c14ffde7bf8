"""The keep-alive HTTP connection: responses sized by Content-Length, chunked, or ended by the
server closing; one connection for many requests; failures raised as http.client raises them."""

from __future__ import annotations

import contextlib
import http.client
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest

from assets.models.backends.http_connection import HTTPConnection

Handler = Callable[[socket.socket, bytes], bool]  # (client, request) -> keep the connection


def _request(client: socket.socket, pending: bytearray) -> bytes | None:
    """One request (head and Content-Length body) from `client`, None when it closed."""
    while b"\r\n\r\n" not in pending:
        data = client.recv(65536)
        if not data:
            return None
        pending += data
    head, _, rest = bytes(pending).partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(rest) < length:
        rest += client.recv(65536)
    pending[:] = rest[length:]
    return head + b"\r\n\r\n" + rest[:length]


@contextmanager
def raw_server(handler: Handler) -> Iterator[tuple[int, list[int]]]:
    """A loopback server answering each request with `handler`; yields its port and the
    number of requests seen on each connection."""
    listener = socket.create_server(("127.0.0.1", 0))
    connections: list[int] = []

    def serve() -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            connections.append(0)
            pending = bytearray()
            with client:
                while (request := _request(client, pending)) is not None:
                    connections[-1] += 1
                    if not handler(client, request):
                        break

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1], connections
    finally:
        # shutdown wakes the thread blocked in accept() (close alone leaves it waiting out the
        # join's timeout).
        with contextlib.suppress(OSError):
            listener.shutdown(socket.SHUT_RDWR)
        listener.close()
        thread.join(timeout=5)


def _sized(client: socket.socket, request: bytes) -> bool:
    body = request.partition(b"\r\n\r\n")[2]
    client.sendall(
        b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nRetry-After: 7\r\n\r\n%s" % (len(body), body)
    )
    return True


def test_many_requests_on_one_connection_with_sized_bodies():
    with raw_server(_sized) as (port, connections):
        conn = HTTPConnection("127.0.0.1", port, https=False, timeout=5)
        for n in range(3):
            response = conn.post("/v1/x", b'{"n": %d}' % n, {"Content-Type": "application/json"})
            assert (response.status, response.body) == (200, b'{"n": %d}' % n)
            assert response.getheader("retry-after") == "7" and not response.will_close
        conn.close()
    assert connections == [3]


def test_a_chunked_body_is_joined():
    def chunked(client: socket.socket, request: bytes) -> bool:
        client.sendall(
            b"HTTP/1.1 429 Too Many Requests\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
        )
        return True

    with raw_server(chunked) as (port, _):
        response = HTTPConnection("127.0.0.1", port, https=False, timeout=5).post("/", b"{}", {})
    assert (response.status, response.body) == (429, b"hello world")


def test_a_body_that_ends_with_the_connection_and_a_server_that_closes():
    def until_close(client: socket.socket, request: bytes) -> bool:
        client.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n{}")
        return False

    with raw_server(until_close) as (port, connections):
        conn = HTTPConnection("127.0.0.1", port, https=False, timeout=5)
        first = conn.post("/", b"{}", {})
        assert (first.status, first.body, first.will_close) == (200, b"{}", True)
        # Closed after that response: the next request opens a new connection.
        assert conn.post("/", b"{}", {}).body == b"{}"
    assert connections == [1, 1]


def test_failures_are_raised_as_http_client_raises_them():
    def drop(client: socket.socket, request: bytes) -> bool:
        return False

    with raw_server(drop) as (port, _), pytest.raises(http.client.RemoteDisconnected):
        HTTPConnection("127.0.0.1", port, https=False, timeout=5).post("/", b"{}", {})

    def garbage(client: socket.socket, request: bytes) -> bool:
        client.sendall(b"NOT HTTP AT ALL\r\n\r\n")
        return True

    with raw_server(garbage) as (port, _), pytest.raises(http.client.HTTPException):
        HTTPConnection("127.0.0.1", port, https=False, timeout=5).post("/", b"{}", {})

    def silent(client: socket.socket, request: bytes) -> bool:
        threading.Event().wait(1)  # well past the client's 0.3 s timeout
        return False

    with raw_server(silent) as (port, _), pytest.raises(TimeoutError):
        HTTPConnection("127.0.0.1", port, https=False, timeout=0.3).post("/", b"{}", {})
