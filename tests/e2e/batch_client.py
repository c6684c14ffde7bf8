"""A batch run in a process of its own, for the kill tests: `python -m tests.e2e.batch_client
HOME BASE_URL N` completes N prompts through `openai_batch`, printing `ready` once imported."""

from __future__ import annotations

import sys
from pathlib import Path

from assets.models.backends import build_backend
from assets.models.call_cache import CachedModel
from assets.models.context import ModelContext
from assets.models.generators import OpenAIBatchModel, Sampling
from warehouse import Warehouse


def main(home: str, base_url: str, count: int) -> None:
    config = OpenAIBatchModel.model_validate(
        {
            "backend": "openai_batch",
            "base_url": base_url,
            "model": "batch-model",
            "poll_interval_s": 0.05,
            "max_requests_per_file": 3,
            "backoff_base_s": 0.01,
            "backoff_max_s": 0.05,
        }
    )
    ctx = ModelContext(wh=Warehouse(Path(home)), run_id="killable")
    model = CachedModel(build_backend(config), "gen-batch", ctx)
    print("ready", flush=True)
    prompts = [(f"tell me about topic {n}", 0) for n in range(count)]
    model.complete_many(prompts, Sampling(temperature=0.0, max_tokens=16))
    print("done", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
