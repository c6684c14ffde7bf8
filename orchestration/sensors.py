"""Start the flow when seed files land in the watched folder (`$SYNTHFOUNDRY_HOME/inbox`);
re-materialize a synthesized version left pending on provider batches once they finish;
mark runs whose process died as failed."""

import hashlib
import json
from pathlib import Path

import dagster as dg

from assets.models.batch.pending import poll_pending
from assets.resources import RecipeResource
from orchestration.home import INBOX
from orchestration.jobs import flow_job
from orchestration.run_health import fail_dead_runs
from warehouse.resource import WarehouseResource

SEED_SUFFIXES = (".jsonl", ".ndjson", ".parquet", ".csv")


def seed_files(folder: Path) -> dict[str, str]:
    """name → "size:mtime_ns" of every seed file in `folder` (a changed file counts as new)."""
    if not folder.is_dir():
        return {}
    return {
        p.name: f"{p.stat().st_size}:{p.stat().st_mtime_ns}"
        for p in sorted(folder.iterdir())
        if p.is_file() and p.suffix.lower() in SEED_SUFFIXES and not p.name.startswith(".")
    }


@dg.sensor(
    job=flow_job,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Runs the flow when new or changed seed files appear in $SYNTHFOUNDRY_HOME/inbox.",
)
def new_seed_files(
    context: dg.SensorEvaluationContext, warehouse: WarehouseResource
) -> dg.SensorResult:
    folder = warehouse.get().home / INBOX
    seen = json.loads(context.cursor) if context.cursor else {}
    current = seed_files(folder)
    changed = sorted(name for name, stamp in current.items() if seen.get(name) != stamp)
    if not changed:
        return dg.SensorResult(
            skip_reason=f"no new seed files in {folder}", cursor=json.dumps(current)
        )
    run_key = hashlib.sha256(json.dumps({n: current[n] for n in changed}).encode()).hexdigest()[:16]
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(
                run_key=run_key, tags={"synthfoundry/new_seed_files": ",".join(changed)[:200]}
            )
        ],
        cursor=json.dumps(current),
    )


@dg.sensor(
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Marks runs failed whose `synthfoundry run` process on this machine died "
    "without ending them (killed), so the UI does not show them in progress.",
)
def dead_runs(context: dg.SensorEvaluationContext) -> dg.SkipReason:
    failed = fail_dead_runs(context.instance)
    if failed:
        return dg.SkipReason(f"marked failed, their process having died: {', '.join(failed)}")
    return dg.SkipReason("no run left unfinished by a dead process")


# What a pending synthesized version's completion re-materializes: it and everything after it.
AFTER_SEED = ["synthesized", "filtered", "decontaminated", "published"]


@dg.sensor(
    job=flow_job,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Polls the provider batches a pending synthesized version waits for, and "
    "re-materializes synthesized (and the stages after it) once every one has finished.",
)
def pending_batches(
    context: dg.SensorEvaluationContext, warehouse: WarehouseResource, recipe: RecipeResource
) -> dg.SensorResult | dg.SkipReason:
    wh = warehouse.get()
    versions = poll_pending(wh, "synthesized", recipe.load(wh.home))
    if not versions:
        return dg.SkipReason("no synthesized version is pending")
    ready = [v for v in versions if v.ready]
    if not ready:
        waiting = "; ".join(f"v{v.version}: {v.progress()}" for v in versions)
        return dg.SkipReason(f"pending batches still running ({waiting})")
    # The newest ready version's run adopts the batches of every older one too.
    newest = ready[-1]
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(
                # One run per pending version, however often the sensor sees it ready.
                run_key=f"synthesized-v{newest.version}-{newest.run_id}",
                asset_selection=[dg.AssetKey(key) for key in AFTER_SEED],
                tags={"synthfoundry/pending_version": str(newest.version)},
            )
        ]
    )
