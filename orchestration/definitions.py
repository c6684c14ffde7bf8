"""The one code location: `dagster dev -w workspace.yaml` loads `defs` from here."""

from __future__ import annotations

import dagster as dg

from assets.decontaminated import decontaminated
from assets.filtered import filtered
from assets.published import published
from assets.seed import seed
from assets.synthesized import synthesized
from orchestration.jobs import flow_job
from orchestration.resources import build_resources
from orchestration.schedules import daily_refresh
from orchestration.sensors import new_seed_files
from quality.checks import corpus_checks

ALL_ASSETS = [seed, synthesized, filtered, decontaminated, published]


def build_definitions(home: str | None = None, recipe: str | None = None) -> dg.Definitions:
    return dg.Definitions(
        assets=ALL_ASSETS,
        asset_checks=corpus_checks,
        jobs=[flow_job],
        schedules=[daily_refresh],
        sensors=[new_seed_files],
        resources=build_resources(home, recipe),
        # The flow is a chain: no two steps could run at once. One process per run instead of
        # one per step saves re-importing torch and great-expectations at every stage and
        # keeps the embedding and language models loaded from one stage to the next.
        executor=dg.in_process_executor,
    )


defs = build_definitions()
