"""One keep-alive HTTP/1.1 connection for POSTs of JSON, on a socket with httptools' parser.

`http.client` spends about 170 µs of CPU per request here (a buffered reader made per
response, headers parsed by the `email` package), against about 35 µs for one `sendall` and a
C parser (httptools, llhttp: the parser uvicorn uses, installed with it). Against a server that
answers in microseconds that difference is most of a call's cost, and every worker thread
pays it under the one GIL. Responses may be sized by Content-Length, chunked, or (HTTP/1.0)
end when the server closes; TLS for https. Failures raise what `http.client` raises for them
(`RemoteDisconnected` for a connection closed before a response, `TimeoutError`, `OSError`,
`HTTPException` for a response that does not parse), so callers treat both alike.
"""

from __future__ import annotations

import http.client
import socket
import ssl
from dataclasses import dataclass, field

import httptools

RECEIVE_BYTES = 65536


@dataclass
class Response:
    status: int
    body: bytes
    # Lowercase names; the last value of a repeated header.
    headers: dict[str, str] = field(default_factory=dict)
    will_close: bool = False

    def getheader(self, name: str) -> str | None:
        return self.headers.get(name.lower())


class _Reader:
    """httptools callbacks: one response's headers and body."""

    def __init__(self) -> None:
        self.headers: dict[str, str] = {}
        self.chunks: list[bytes] = []
        self.headers_done = False
        self.keep_alive = False
        self.done = False
        self.parser = httptools.HttpResponseParser(self)

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers[name.decode("latin-1").lower()] = value.decode("latin-1")

    def on_headers_complete(self) -> None:
        self.headers_done = True
        # Asked here: once the message is complete the parser is reset for the next one.
        self.keep_alive = self.parser.should_keep_alive()

    def on_body(self, body: bytes) -> None:
        self.chunks.append(body)

    def on_message_complete(self) -> None:
        self.done = True


class HTTPConnection:
    """A connection to one host, opened on first use and kept open between requests while
    the server allows; not thread safe (one per thread)."""

    def __init__(self, host: str, port: int | None, https: bool, timeout: float):
        self.host = host
        self.port = port or (443 if https else 80)
        self.https = https
        self.timeout = timeout
        self._socket: socket.socket | None = None
        name = f"[{host}]" if ":" in host else host
        default = self.port == (443 if https else 80)
        self._host_header = name if default else f"{name}:{self.port}"

    def post(self, path: str, body: bytes, headers: dict[str, str]) -> Response:
        """One POST and its response; the connection stays open unless the server closes it."""
        lines = [f"POST {path} HTTP/1.1", f"Host: {self._host_header}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        lines.append(f"Content-Length: {len(body)}")
        request = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
        sock = self._socket or self._connect()
        sock.sendall(request)
        return self._response(sock)

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    def _connect(self) -> socket.socket:
        sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.https:
            sock = ssl.create_default_context().wrap_socket(sock, server_hostname=self.host)
        self._socket = sock
        return sock

    def _response(self, sock: socket.socket) -> Response:
        reader = _Reader()
        parser = reader.parser
        received = False
        try:
            while not reader.done:
                data = sock.recv(RECEIVE_BYTES)
                if not data:
                    if reader.headers_done and not (
                        "content-length" in reader.headers or "transfer-encoding" in reader.headers
                    ):
                        break  # a body that ends when the connection does
                    self.close()
                    if not received:
                        raise http.client.RemoteDisconnected(
                            "Remote end closed connection without response"
                        )
                    raise http.client.IncompleteRead(b"".join(reader.chunks))
                received = True
                parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self.close()
            raise http.client.HTTPException(f"unparseable response: {exc}") from None
        will_close = not reader.done or not reader.keep_alive
        if will_close:
            self.close()
        return Response(
            parser.get_status_code(), b"".join(reader.chunks), reader.headers, will_close
        )
