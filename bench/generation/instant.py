"""bench/generation/instant.py: calls per second through a synthesis method vs. a bare client,
against an OpenAI-compatible server that answers at once (`instant_server.py`, its own process).

Ours: `self_instruct` with `num_instructions = calls / 2` (an instruction call and a response
call each) on the OpenAI-compatible backend, every call real (a fresh warehouse) and logged,
the whole method timed: prompts, call cache lookups, the similarity screens, call-log writes,
rows. The baseline sends the method's request bodies (the same prompts, sampling and seeds,
so the server does the same work for both) with `http.client` from a thread pool of the same
size, one keep-alive connection per thread. Each side runs in a process of its own
(peak RSS is that process's), alternating, `--rounds` times; medians are reported. A smaller
run of ours (`--calls / 5`) checks that time, memory and the call log per call stay flat.

    python bench/generation/instant.py [--calls 100000] [--in-flight 64] [--rounds 1]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

HERE = Path(__file__).resolve().parent


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


SEED_TOPICS = ("river", "mill", "comet", "violin", "bridge", "garden")


def method_config(port: int, calls: int, in_flight: int):
    """self_instruct with calls / 2 instructions (an instruction call and a response call each)
    on the instant server."""
    from assets.recipe.loader import load_recipe  # noqa: F401  (registers every method)
    from assets.synthesis.methods.self_instruct import SelfInstruct

    return SelfInstruct(
        method="self_instruct",
        num_instructions=calls // 2,
        generator={
            "backend": "openai",
            "base_url": f"http://127.0.0.1:{port}/v1",
            "model": "instant",
            "max_in_flight": in_flight,
        },
    )


def seed_rows():
    import polars as pl

    from warehouse.rows import conform, with_row_ids

    instructions = [f"Write a short note about the {t} and why it matters." for t in SEED_TOPICS]
    frame = pl.DataFrame(
        {"kind": "instruction", "instruction": instructions, "response": "A note."}
    )
    return with_row_ids(conform(frame))


def method_requests(port: int, calls: int, in_flight: int) -> list[bytes]:
    """The request bodies the method sends: its instruction prompts (seed examples drawn as it
    draws them) with its instruction sampling, then its response prompt on an instruction
    of the kind the server writes, with its response sampling. Same sizes on both sides, so
    the server's share of each call is the same."""
    from instant_server import answer

    from assets.synthesis.methods.self_instruct import SelfInstructMethod

    config = method_config(port, calls, in_flight)
    method = SelfInstructMethod(config)
    instructions = method._pool(seed_rows())["instruction"].to_list()
    drawn = method._draw_examples(type("Ctx", (), {"random_seed": 0})(), len(instructions))
    prompts = [
        (method._instruction_prompt(picks, instructions), index, config.instruction_sampling)
        for index, picks in enumerate(drawn)
    ]
    prompts += [
        (
            method.response_template.render(instruction=answer(prompt, index)),
            index,
            config.response_sampling,
        )
        for prompt, index, _ in list(prompts)
    ]
    return [
        json.dumps(
            {
                "model": "instant",
                "messages": [{"role": "user", "content": prompt}],
                "temperature": sampling.temperature,
                "top_p": sampling.top_p,
                "max_tokens": sampling.max_tokens,
                "seed": sampling.seed + index,
                "stream": False,
            }
        ).encode()
        for prompt, index, sampling in prompts
    ]


def baseline(port: int, calls: int, in_flight: int) -> dict:
    """The method's requests POSTed with http.client from `in_flight` threads, one
    connection each."""
    local = threading.local()
    bodies = method_requests(port, calls, in_flight)

    def one(body: bytes) -> int:
        conn = getattr(local, "conn", None)
        if conn is None:
            conn = local.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        conn.request("POST", "/v1/chat/completions", body, {"Content-Type": "application/json"})
        response = conn.getresponse()
        payload = json.loads(response.read())
        return len(payload["choices"][0]["message"]["content"])

    started = time.perf_counter()
    with ThreadPoolExecutor(in_flight) as pool:
        for _ in pool.map(one, bodies, chunksize=64):
            pass
    elapsed = time.perf_counter() - started
    return {"calls": len(bodies), "seconds": elapsed, "peak_rss_mb": peak_rss_mb()}


def ours(port: int, calls: int, in_flight: int) -> dict:
    """self_instruct with calls / 2 instructions through a fresh warehouse."""
    from assets.synthesis.context import SynthesisContext
    from assets.synthesis.methods.self_instruct import SelfInstructMethod
    from warehouse import Warehouse

    config = method_config(port, calls, in_flight)
    seeds = seed_rows()
    with tempfile.TemporaryDirectory() as home:
        wh = Warehouse(Path(home))
        ctx = SynthesisContext(
            wh=wh, run_id="bench", created_at=datetime(2026, 1, 1), random_seed=0
        )
        method = SelfInstructMethod(config)
        started = time.perf_counter()
        output = method.run(seeds, ctx)
        elapsed = time.perf_counter() - started
        with wh.reader() as con:
            logged = con.execute("SELECT count(*) FROM model_calls").fetchone()[0]
        size = sum(f.stat().st_size for f in Path(home).rglob("*") if f.is_file())
    return {
        "calls": logged,
        "rows": output.rows.height,
        "seconds": elapsed,
        "peak_rss_mb": peak_rss_mb(),
        "log_bytes": size,
    }


def in_process(side: str, port: int, calls: int, in_flight: int) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--side", side, "--port", str(port), "--calls", str(calls),
         "--in-flight", str(in_flight)],
        capture_output=True, text=True, check=False, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    if out.returncode != 0:
        raise RuntimeError(f"{side} failed:\n{out.stderr[-4000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--in-flight", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--side", choices=["ours", "baseline"], help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.side:
        run = ours if args.side == "ours" else baseline
        print(json.dumps(run(args.port, args.calls, args.in_flight)), flush=True)
        return
    server = subprocess.Popen(
        [sys.executable, str(HERE / "instant_server.py")], stdout=subprocess.PIPE, text=True
    )
    try:
        port = int(server.stdout.readline())
        print(
            f"bench/generation/instant: {args.calls} calls, {args.in_flight} in flight, "
            f"{args.rounds} rounds, loopback instant server on port {port}",
            flush=True,
        )
        in_process("baseline", port, 1_000, args.in_flight)  # untimed warm-up
        mine, theirs = [], []
        for round_index in range(args.rounds):
            order = ["ours", "baseline"] if round_index % 2 == 0 else ["baseline", "ours"]
            for side in order:
                result = in_process(side, port, args.calls, args.in_flight)
                rate = result["calls"] / result["seconds"]
                (mine if side == "ours" else theirs).append((rate, result))
                print(f"  {side:<8} {rate:8.0f} calls/s  {json.dumps(result)}", flush=True)
        small = in_process("ours", port, args.calls // 5, args.in_flight)
        print(f"  ours/5   {small['calls'] / small['seconds']:8.0f} calls/s  {json.dumps(small)}")
    finally:
        server.terminate()
        server.wait(timeout=10)
    ours_rate = statistics.median(r for r, _ in mine)
    base_rate = statistics.median(r for r, _ in theirs)
    large = mine[0][1]
    time_growth = (large["seconds"] / large["calls"]) / (small["seconds"] / small["calls"])
    log_growth = (large["log_bytes"] / large["calls"]) / (small["log_bytes"] / small["calls"])
    print(f"ours {ours_rate:.0f} calls/s, baseline {base_rate:.0f} calls/s")
    print(f"RESULT generation_instant_calls_ratio {ours_rate / base_rate:.3f} target 0.8 higher")
    print(f"RESULT generation_instant_seconds_per_call_growth {time_growth:.3f} target 1.25 lower")
    print(f"RESULT generation_instant_log_bytes_per_call_growth {log_growth:.3f} target 1.25 lower")
    print(
        f"RESULT generation_instant_peak_rss_mb {large['peak_rss_mb']:.0f} "
        f"target {2 * small['peak_rss_mb']:.0f} lower"
    )


if __name__ == "__main__":
    main()
