"""bench/generation: completion tokens/s through our generation path vs. a bare client.

HTTP: a loopback `python -m llama_cpp.server` on SmolLM2 (started here). Ours is the path a
method takes: `CachedModel.complete_many` over the OpenAI-compatible backend, with every call
made for real (`refresh_cache`) and logged to a temp warehouse. The baseline sends the same
request bodies with `http.client` from a thread pool of the same size. Local: ours is
`CachedModel` over the local backend; the baseline calls llama-cpp-python's
`Llama.create_chat_completion` directly. Grammar: ours is the local path with every call held
to a JSON schema (a llama.cpp grammar), the baseline the same path unconstrained, on the same
prompts (target: at least 0.8x). Fixed prompts, temperature 0, fixed max_tokens, actual
completion tokens counted; the two sides alternate within each round, medians are reported.

    python bench/generation [--rounds 3] [--requests 8] [--max-tokens 16] [--threads 1]
        [--cases http,local,grammar]
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import signal
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

# The repository root: the loopback llama.cpp server helper lives in tests/.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from assets.models.backends import build_backend  # noqa: E402
from assets.models.backends.local_llama import default_model_path  # noqa: E402
from assets.models.call_cache import CachedModel  # noqa: E402
from assets.models.context import ModelContext  # noqa: E402
from assets.models.generators import LocalModel, OpenAICompatibleModel, Sampling  # noqa: E402
from assets.models.json_schema import JsonSchema  # noqa: E402
from tests.servers import llama_server  # noqa: E402
from warehouse import Warehouse  # noqa: E402

TOPICS = [
    "rivers", "bread", "volcanoes", "chess", "bicycles", "owls", "glass", "tides",
    "maps", "honey", "comets", "violins", "salt", "bridges", "moss", "lanterns",
]  # fmt: skip
IN_FLIGHT = (1, 4, 16)
# What the grammar case asks for: the prompts' two sentences as JSON. Strings long enough that
# both sides usually run to max_tokens, so per-call prompt costs weigh alike on both.
SENTENCES = JsonSchema(
    "two_sentences",
    {
        "type": "object",
        "properties": {
            "sentences": {
                "type": "array",
                "items": {"type": "string", "minLength": 20, "maxLength": 300},
                "minItems": 2,
                "maxItems": 2,
            }
        },
        "required": ["sentences"],
        "additionalProperties": False,
    },
)
TARGETS = {"generation_grammar_ratio": 0.8}


def prompts(n: int) -> list[str]:
    return [f"Write two sentences about {TOPICS[i % len(TOPICS)]}." for i in range(n)]


class Ours:
    """CachedModel over a backend, every call real and logged, tokens read back from the log."""

    def __init__(self, config, home: Path, schema: JsonSchema | None = None, backend=None):
        self.backend = backend or build_backend(config)
        self.wh = Warehouse(home)
        self.schema = schema
        self.rounds = 0

    def __call__(self, texts: list[str], sampling: Sampling) -> Callable[[], int]:
        self.rounds += 1
        run_id = f"bench-{self.backend.backend}-{self.backend.max_in_flight}-{self.rounds}"
        run_id += "-schema" if self.schema else ""
        ctx = ModelContext(self.wh, run_id, refresh_cache=True)
        CachedModel(self.backend, "gen-bench", ctx, self.schema).complete_many(
            [(text, 0) for text in texts], sampling
        )
        return lambda: self.tokens(run_id)

    def tokens(self, run_id: str) -> int:
        with self.wh.reader() as con:
            return con.execute(
                "SELECT sum(completion_tokens) FROM model_calls WHERE run_id = ?", [run_id]
            ).fetchone()[0]


class BareHTTP:
    """The same requests with http.client from a thread pool, one keep-alive connection each."""

    def __init__(self, base_url: str, model: str, in_flight: int):
        url = urlsplit(base_url)
        self.host, self.port, self.path = url.hostname, url.port, url.path + "/chat/completions"
        self.model = model
        self.in_flight = in_flight
        self.local = threading.local()

    def one(self, text: str, sampling: Sampling) -> int:
        conn = getattr(self.local, "conn", None)
        if conn is None:
            conn = self.local.conn = http.client.HTTPConnection(self.host, self.port, timeout=600)
        body = {
            "model": self.model,
            "messages": [{"role": "user", "content": text}],
            "temperature": sampling.temperature,
            "top_p": sampling.top_p,
            "max_tokens": sampling.max_tokens,
            "seed": sampling.seed,
            "stream": False,
        }
        conn.request("POST", self.path, json.dumps(body), {"Content-Type": "application/json"})
        response = conn.getresponse()
        payload = json.loads(response.read())
        if response.status != 200:
            raise RuntimeError(f"HTTP {response.status}: {payload}")
        return payload["usage"]["completion_tokens"]

    def __call__(self, texts: list[str], sampling: Sampling) -> int:
        with ThreadPoolExecutor(self.in_flight) as pool:
            return sum(pool.map(lambda text: self.one(text, sampling), texts))


class BareLlama:
    def __init__(self, n_ctx: int, n_threads: int):
        from llama_cpp import Llama

        self.llm = Llama(
            model_path=str(default_model_path()), n_ctx=n_ctx, n_threads=n_threads, verbose=False
        )

    def __call__(self, texts: list[str], sampling: Sampling) -> int:
        # On a worker thread like ours: measured here, the same calls from the main thread run
        # about 4x slower on a busy machine, which would credit thread placement to our path.
        with ThreadPoolExecutor(1) as pool:
            return pool.submit(self._run, texts, sampling).result()

    def _run(self, texts: list[str], sampling: Sampling) -> int:
        total = 0
        for text in texts:
            result = self.llm.create_chat_completion(
                messages=[{"role": "user", "content": text}],
                temperature=sampling.temperature,
                top_p=sampling.top_p,
                max_tokens=sampling.max_tokens,
                seed=sampling.seed,
            )
            total += result["usage"]["completion_tokens"]
        return total


def tokens_per_s(run: Callable, texts: list[str], sampling: Sampling) -> float:
    started = time.perf_counter()
    tokens = run(texts, sampling)
    elapsed = time.perf_counter() - started
    # Ours counts its tokens from the call log, after the clock stops.
    return (tokens() if callable(tokens) else tokens) / elapsed


def compare(name: str, ours, baseline, texts, sampling, rounds: int) -> float:
    # One untimed pass each: first-call costs (model load, connections) are not throughput.
    ours(texts[:2], sampling)
    baseline(texts[:2], sampling)
    mine, theirs = [], []
    for round_index in range(rounds):
        pair = [(ours, mine), (baseline, theirs)]
        for run, into in pair if round_index % 2 == 0 else reversed(pair):
            into.append(tokens_per_s(run, texts, sampling))
    ratio = statistics.median(mine) / statistics.median(theirs)
    print(
        f"{name:<24} ours {statistics.median(mine):7.1f} tok/s   "
        f"baseline {statistics.median(theirs):7.1f} tok/s   ratio {ratio:.3f}   "
        f"(rounds ours {[round(v, 1) for v in mine]}, baseline {[round(v, 1) for v in theirs]})",
        flush=True,
    )
    return ratio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--requests",
        type=int,
        default=8,
        help="requests per HTTP round (at least the number in flight)",
    )
    parser.add_argument("--local-requests", type=int, default=6, help="requests per local round")
    parser.add_argument("--max-tokens", type=int, default=16)
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="llama.cpp threads on both sides; 1 keeps a shared machine's noise down "
        "(two threads spin on each other when a core is taken away)",
    )
    parser.add_argument("--cases", default="http,local", help="which comparisons to run")
    args = parser.parse_args()
    cases = set(args.cases.split(","))
    # A terminated bench still stops the server it started (the `with` blocks unwind).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sampling = Sampling(temperature=0.0, max_tokens=args.max_tokens, seed=0)
    threads = args.threads
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as home:
        print(
            f"bench/generation: SmolLM2-135M, {threads} threads, max_tokens {args.max_tokens}, "
            f"temperature 0, {args.rounds} rounds",
            flush=True,
        )
        with (
            llama_server(n_threads=threads) if "http" in cases else contextlib.nullcontext()
        ) as server:
            for n in IN_FLIGHT if server else ():
                if n == IN_FLIGHT[0]:
                    # Untimed: the server's first requests pay for paging the model in.
                    BareHTTP(server.base_url, server.model, 1)(prompts(4), sampling)
                config = OpenAICompatibleModel(
                    backend="openai", base_url=server.base_url, model=server.model, max_in_flight=n
                )
                results[f"generation_http_inflight_{n}_ratio"] = compare(
                    f"http, {n} in flight",
                    Ours(config, Path(home) / "http"),
                    BareHTTP(server.base_url, server.model, n),
                    prompts(max(args.requests, n)),
                    sampling,
                    args.rounds,
                )
        local = LocalModel(n_threads=threads)
        if "local" in cases:
            results["generation_local_ratio"] = compare(
                "local (llama-cpp)",
                Ours(local, Path(home) / "local"),
                BareLlama(local.n_ctx, threads),
                prompts(args.local_requests),
                sampling,
                args.rounds,
            )
        if "grammar" in cases:
            # One backend (one loaded model) for both sides: only the grammar differs.
            plain = Ours(local, Path(home) / "grammar")
            results["generation_grammar_ratio"] = compare(
                "local, grammar vs none",
                Ours(local, Path(home) / "grammar", SENTENCES, plain.backend),
                plain,
                prompts(args.local_requests),
                sampling,
                args.rounds,
            )
    for name, value in results.items():
        print(f"RESULT {name} {value:.3f} target {TARGETS.get(name, 0.95)} higher")


if __name__ == "__main__":
    main()
