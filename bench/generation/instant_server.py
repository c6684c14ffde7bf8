"""An OpenAI-compatible chat server that answers at once, for measuring the client side.

Run as a process of its own (`python bench/generation/instant_server.py`): it prints its port
and serves `POST /v1/chat/completions` on 127.0.0.1 with keep-alive, one asyncio loop. The
answer is 8 to 15 words drawn from a fixed vocabulary by a hash of the prompt and the request's seed, so self-instruct's similarity
screens see distinct instructions.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import sys

STEMS = [
    "river", "stone", "mill", "grain", "boat", "flood", "town", "spring", "record", "miller",
    "water", "autumn", "farmer", "hill", "sack", "bread", "kettle", "glass", "tide", "plum",
    "honey", "comet", "violin", "salt", "bridge", "moss", "lantern", "chess", "bicycle", "owl",
    "volcano", "garden", "engine", "letter", "market", "window", "forest", "island", "castle",
    "ladder", "mirror", "needle", "orbit", "pencil", "rocket", "saddle", "tunnel", "valley",
    "wagon", "yard",
]  # fmt: skip
# About 9,700 words: stems with suffixes, and pairs of stems run together (one word each, for
# the `\w+` tokens ROUGE-L compares); none is on self-instruct's blacklist.
VOCABULARY = [
    *(stem + suffix for stem in STEMS for suffix in ("", "s", "ing", "ed", "er", "ly", "ful")),
    *(a + b + end for a in STEMS for b in STEMS if a != b for end in ("", "s", "ed", "ing")),
]


def answer(prompt: str, seed: object) -> str:
    digest = hashlib.blake2b(f"{seed}:{prompt}".encode(), digest_size=32).digest()
    count = 8 + digest[0] % 8
    picks = [int.from_bytes(digest[i : i + 2], "big") % len(VOCABULARY) for i in range(1, 31, 2)]
    return "Describe " + " ".join(VOCABULARY[i] for i in picks[:count]) + "."


def response(body: bytes) -> bytes:
    payload = json.loads(body)
    prompt = payload["messages"][0]["content"]
    text = answer(prompt, payload.get("seed"))
    data = json.dumps(
        {
            "id": "instant",
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
    head = (
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(data)}\r\nConnection: keep-alive\r\n\r\n"
    )
    return head.encode() + data


class Connection(asyncio.Protocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            length = 0
            for line in self.buffer[:end].split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            if len(self.buffer) < end + 4 + length:
                return
            body = self.buffer[end + 4 : end + 4 + length]
            self.buffer = self.buffer[end + 4 + length :]
            self.transport.write(response(body))  # type: ignore[attr-defined]


async def serve() -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(Connection, "127.0.0.1", 0, backlog=1024)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(serve())
    except KeyboardInterrupt:
        sys.exit(0)
