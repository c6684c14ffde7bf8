"""Start the flow when seed files land in the watched folder (`$SYNTHFOUNDRY_HOME/inbox`);
mark runs whose process died as failed."""

import hashlib
import json
from pathlib import Path

import dagster as dg

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
