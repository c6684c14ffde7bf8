"""A batch run in a process of its own, for the kill tests: `python -m tests.e2e.batch_client
HOME BASE_URL N [TOPIC]` completes N prompts (about TOPIC) through `openai_batch`, printing
`ready` once imported. `SETTINGS`, `SAMPLING` and `prompts` are what a re-run in the test's
process uses too, so it makes the same requests."""

from __future__ import annotations

import sys
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


def main(home: str, base_url: str, count: int, topic: str = "topic") -> None:
    model = batch_model(Path(home), base_url, "killable")
    print("ready", flush=True)
    model.complete_many(prompts(count, topic), SAMPLING)
    print("done", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), *sys.argv[4:])
