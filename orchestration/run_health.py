"""Runs whose process died without a word (SIGKILL, power loss) are marked failed.

A run started by `synthfoundry run` executes in the CLI's own process, so a hard kill leaves
it "started" in Dagster's run storage, and the web UI would show it in progress forever.
Each such run is tagged with its process (host, pid and the process's start time, so a
reused pid is not mistaken for it); the next `synthfoundry run`, and the `dead_runs` sensor
(every 30 s while the Dagster daemon runs, e.g. under `make ui`), report every in-progress
run of this host whose process is gone as failed. Runs the web UI launches are watched by
Dagster's own run monitoring (in the daemon `dagster dev` starts), which the instance's
`dagster.yaml` turns on (`INSTANCE_CONFIG`).
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

import dagster as dg

PID_TAG = "synthfoundry/pid"
HOST_TAG = "synthfoundry/host"
PROCESS_START_TAG = "synthfoundry/process_start"

# The instance configuration written to a new $DAGSTER_HOME (by the CLI and `make ui`).
INSTANCE_CONFIG = """\
telemetry:
  enabled: false
# No "Join the Dagster community" dialog over the asset graph on a new home's first visit.
nux:
  enabled: false
# Runs whose worker process dies are marked failed by the daemon (`dagster dev` runs it).
run_monitoring:
  enabled: true
  poll_interval_seconds: 30
"""

# What the CLI and `make ui` wrote before (before run monitoring; before the dialog was
# turned off): upgraded in place.
_PREVIOUS_CONFIGS = (
    "telemetry:\n  enabled: false\n",
    "telemetry:\n  enabled: false\n"
    "# Runs whose worker process dies are marked failed by the daemon (`dagster dev` runs it).\n"
    "run_monitoring:\n  enabled: true\n  poll_interval_seconds: 30\n",
)

IN_PROGRESS = [
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
]


def ensure_instance_config(dagster_home: str | Path) -> Path:
    """`dagster.yaml` in `dagster_home`: written when missing (or still the old default),
    left alone when a user wrote their own."""
    config = Path(dagster_home) / "dagster.yaml"
    config.parent.mkdir(parents=True, exist_ok=True)
    if not config.exists() or config.read_text(encoding="utf-8") in _PREVIOUS_CONFIGS:
        config.write_text(INSTANCE_CONFIG, encoding="utf-8")
    return config


def process_start(pid: int) -> str | None:
    """When process `pid` started (clock ticks since boot, from /proc), or None if unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: fields follow the last ')'.
    return stat.rsplit(")", 1)[1].split()[19]


def process_tags() -> dict[str, str]:
    """Tags naming this process, for a run it executes in process."""
    pid = os.getpid()
    return {
        PID_TAG: str(pid),
        HOST_TAG: socket.gethostname(),
        PROCESS_START_TAG: process_start(pid) or "",
    }


def process_alive(pid: int, started: str | None) -> bool:
    """Whether the process that tagged a run still runs (the same pid, started at the same
    time)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process holds the pid now
        pass
    return not started or process_start(pid) in (None, started)


def fail_dead_runs(instance: dg.DagsterInstance) -> list[str]:
    """Report every in-progress run of this host whose process is gone as failed; their ids."""
    runs = instance.get_runs(
        filters=dg.RunsFilter(statuses=IN_PROGRESS, tags={HOST_TAG: socket.gethostname()})
    )
    failed = []
    for run in runs:
        pid = run.tags.get(PID_TAG, "")
        if not pid.isdigit() or process_alive(int(pid), run.tags.get(PROCESS_START_TAG)):
            continue
        instance.report_run_failed(
            run,
            message=f"the process running it (pid {pid} on {run.tags[HOST_TAG]}) ended "
            "without finishing the run (killed?); marked failed",
        )
        failed.append(run.run_id)
    return failed
