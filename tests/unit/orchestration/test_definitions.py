"""Definitions, the seed-file sensor and the schedule."""

from __future__ import annotations

import json
import subprocess
import sys

import dagster as dg
import pytest

from orchestration.definitions import build_definitions, defs
from orchestration.sensors import new_seed_files
from tests.conftest import REPO
from warehouse.resource import WarehouseResource

HEAVY = ("torch", "sentence_transformers", "sklearn", "llama_cpp", "great_expectations", "llm")


def test_definitions_load_without_heavy_imports():
    code = f"import json, sys; import orchestration.definitions; print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    loaded = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert json.loads(loaded.stdout) == []


def test_one_job_covers_every_asset_and_check():
    job = defs.resolve_job_def("synthfoundry_flow")
    assets = {key.to_user_string() for key in job.asset_layer.executable_asset_keys}
    assert assets == {"seed", "synthesized", "filtered", "decontaminated", "published"}
    checks = {
        key.asset_key.to_user_string() for key in job.asset_layer.asset_graph.asset_check_keys
    }
    assert checks == {"seed", "synthesized", "filtered", "decontaminated"}
    schedule = defs.resolve_schedule_def("daily_refresh")
    assert schedule.default_status == dg.DefaultScheduleStatus.STOPPED


def test_runs_execute_in_one_process_unless_configured(monkeypatch):
    def executor() -> str:
        return build_definitions().resolve_job_def("synthfoundry_flow").executor_def.name

    monkeypatch.delenv("SYNTHFOUNDRY_EXECUTOR", raising=False)
    assert executor() == "in_process"
    monkeypatch.setenv("SYNTHFOUNDRY_EXECUTOR", "multiprocess")
    assert executor() == "multiprocess"
    monkeypatch.setenv("SYNTHFOUNDRY_EXECUTOR", "celery")
    with pytest.raises(ValueError, match="SYNTHFOUNDRY_EXECUTOR='celery': use one of in_process"):
        executor()


def test_sensor_requests_a_run_for_new_seed_files_only(tmp_path):
    resources = {"warehouse": WarehouseResource(home=str(tmp_path))}
    with dg.build_sensor_context(resources=resources) as context:
        first = new_seed_files(context)
    assert not first.run_requests

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "more.jsonl").write_text('{"instruction": "Name a color.", "response": "Blue."}\n')
    (inbox / "notes.txt").write_text("not a seed file")
    with dg.build_sensor_context(cursor=first.cursor, resources=resources) as context:
        second = new_seed_files(context)
    assert len(second.run_requests) == 1
    assert second.run_requests[0].tags["synthfoundry/new_seed_files"] == "more.jsonl"

    with dg.build_sensor_context(cursor=second.cursor, resources=resources) as context:
        third = new_seed_files(context)
    assert not third.run_requests
