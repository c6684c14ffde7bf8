"""A run whose process died is marked failed; a run whose process lives is left alone."""

from __future__ import annotations

import subprocess
import uuid

import dagster as dg

from orchestration.run_health import (
    INSTANCE_CONFIG,
    PID_TAG,
    ensure_instance_config,
    process_tags,
)
from orchestration.sensors import dead_runs

NUX_OFF = (
    '# No "Join the Dagster community" dialog over the asset graph on a new home\'s first '
    "visit.\nnux:\n  enabled: false\n"
)


def _started_run(instance: dg.DagsterInstance, tags: dict[str, str]) -> str:
    run_id = str(uuid.uuid4())
    instance.add_run(
        dg.DagsterRun(
            job_name="synthfoundry_flow",
            run_id=run_id,
            status=dg.DagsterRunStatus.STARTED,
            tags=tags,
        )
    )
    return run_id


def test_the_sensor_fails_runs_whose_process_died_and_only_those():
    finished = subprocess.Popen(["true"])
    finished.wait()
    gone = {**process_tags(), PID_TAG: str(finished.pid)}
    with dg.DagsterInstance.ephemeral() as instance:
        dead = _started_run(instance, gone)
        alive = _started_run(instance, process_tags())  # this very process
        untagged = _started_run(instance, {})  # not started by `synthfoundry run`: left alone
        result = dead_runs(dg.build_sensor_context(instance=instance))
        assert dead in str(result.skip_message)
        status = {run.run_id: run.status for run in instance.get_runs()}
        assert status[dead] == dg.DagsterRunStatus.FAILURE
        assert status[alive] == status[untagged] == dg.DagsterRunStatus.STARTED
        # A pid reused by another process is no proof of life: the start time must match too.
        reused = _started_run(instance, {**process_tags(), "synthfoundry/process_start": "1"})
        dead_runs(dg.build_sensor_context(instance=instance))
        assert instance.get_run_by_id(reused).status == dg.DagsterRunStatus.FAILURE


def test_the_instance_config_turns_on_run_monitoring_and_keeps_a_users_own(tmp_path, monkeypatch):
    config = ensure_instance_config(tmp_path / "dagster")
    assert config.read_text() == INSTANCE_CONFIG
    (tmp_path / "old").mkdir()
    # What earlier versions wrote is upgraded.
    for previous in (INSTANCE_CONFIG.split("# No ")[0], INSTANCE_CONFIG.replace(NUX_OFF, "")):
        (tmp_path / "old" / "dagster.yaml").write_text(previous)
        assert ensure_instance_config(tmp_path / "old").read_text() == INSTANCE_CONFIG
    own = "telemetry:\n  enabled: true\n"
    (tmp_path / "old" / "dagster.yaml").write_text(own)
    assert ensure_instance_config(tmp_path / "old").read_text() == own
    # Dagster accepts it.
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster"))
    with dg.DagsterInstance.get() as instance:
        assert instance.run_monitoring_enabled
        # No "Join the Dagster community" dialog on the web UI's first visit.
        assert instance.nux_enabled is False
