"""Batch runs in processes of their own, for the kill tests: `python -m tests.e2e.batch_client`
imports once, then for each stdin line `HOME<TAB>BASE_URL<TAB>N<TAB>TOPIC` forks a process that
completes N prompts (about TOPIC) through `openai_batch`. That run prints `ready PID` before
its first request (and `done` if it ends); once it has ended or been killed, this server
prints `exit CODE` (negative: the signal that ended it). A kill test with many kill points so
pays for the interpreter's start and imports once instead of once a point.

`SETTINGS`, `SAMPLING` and `prompts` are what a re-run in the test's process uses too, so it
makes the same requests."""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path

from assets.models.backends import build_backend
from assets.models.call_cache import CachedModel
from assets.models.context import ModelContext
from assets.models.generators import OpenAIBatchModel, Sampling
from warehouse import Warehouse

SETTINGS = {
    "backend": "openai_batch",
    "model": "batch-model",
    "poll_interval_s": 0.05,
    "max_requests_per_file": 3,
    "backoff_base_s": 0.01,
    "backoff_max_s": 0.05,
}
SAMPLING = Sampling(temperature=0.0, max_tokens=16)


def prompts(count: int, topic: str = "topic") -> list[tuple[str, int]]:
    return [(f"tell me about {topic} {n}", 0) for n in range(count)]


def batch_model(home: Path, base_url: str, run_id: str) -> CachedModel:
    config = OpenAIBatchModel.model_validate({**SETTINGS, "base_url": base_url})
    return CachedModel(build_backend(config), "gen-batch", ModelContext(Warehouse(home), run_id))


def run(home: str, base_url: str, count: int, topic: str) -> None:
    model = batch_model(Path(home), base_url, "killable")
    print(f"ready {os.getpid()}", flush=True)
    model.complete_many(prompts(count, topic), SAMPLING)
    print("done", flush=True)


def fork_server() -> None:
    """One forked run per stdin line; the parent waits for each, so lines never interleave.
    The parent opens no warehouse, connection or thread pool: a child starts as fresh as a new
    interpreter, only with its modules imported."""
    for line in sys.stdin:
        home, base_url, count, topic = line.rstrip("\n").split("\t")
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                run(home, base_url, int(count), topic)
            except BaseException:
                traceback.print_exc()
                code = 1
            finally:
                sys.stdout.flush()
                # No interpreter teardown: it belongs to the parent.
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        print(f"exit {os.waitstatus_to_exitcode(status)}", flush=True)


if __name__ == "__main__":
    fork_server()
