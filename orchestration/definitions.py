"""The one code location: `dagster dev -w workspace.yaml` loads `defs` from here.

`SYNTHFOUNDRY_EXECUTOR` picks how a run executes its steps: `in_process` (default) or
`multiprocess` (one process per step).
"""

from __future__ import annotations

import os

import dagster as dg

from assets.decontaminated import decontaminated
from assets.filtered import filtered
from assets.published import published
from assets.resources import RecipeResource
from assets.seed import seed
from assets.synthesized import synthesized
from orchestration.jobs import flow_job
from orchestration.resources import build_resources
from orchestration.schedules import daily_refresh
from orchestration.sensors import dead_runs, new_seed_files, pending_batches
from quality.checks import build_corpus_checks

ALL_ASSETS = [seed, synthesized, filtered, decontaminated, published]
CORPUS_CHECKS = build_corpus_checks(RecipeResource)
# The flow is a chain: no two steps could run at once. One process per run saves re-importing
# torch and great-expectations at every stage and keeps the embedding and language models
# loaded from one stage to the next; per-step processes isolate a stage's memory.
EXECUTORS = {"in_process": dg.in_process_executor, "multiprocess": dg.multiprocess_executor}


def executor_from_env() -> dg.ExecutorDefinition:
    name = os.environ.get("SYNTHFOUNDRY_EXECUTOR", "in_process")
    if name not in EXECUTORS:
        raise ValueError(f"SYNTHFOUNDRY_EXECUTOR={name!r}: use one of {', '.join(EXECUTORS)}")
    return EXECUTORS[name]


def build_definitions(home: str | None = None, recipe: str | None = None) -> dg.Definitions:
    return dg.Definitions(
        assets=ALL_ASSETS,
        asset_checks=CORPUS_CHECKS,
        jobs=[flow_job],
        schedules=[daily_refresh],
        sensors=[new_seed_files, pending_batches, dead_runs],
        resources=build_resources(home, recipe),
        executor=executor_from_env(),
    )


defs = build_definitions()
