"""The Dagster web server shows the asset graph with its checks and runs the flow."""

from __future__ import annotations

import json
import os
import time
import urllib.request

import pytest

from tests.conftest import REPO, venv_command
from tests.servers import dagster_server, free_port
from warehouse import Warehouse
from warehouse.corpora import current_version

ASSETS_QUERY = """
{ assetNodes { assetKey { path } assetChecksOrError { ... on AssetChecks { checks { name blocking } } } } }
"""
LAUNCH = """
mutation Launch($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
  }
}
"""
STATUS = "query Status($id: ID!) { runOrError(runId: $id) { ... on Run { status } } }"


def _graphql(port: int, query: str, variables: dict | None = None) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query, "variables": variables or {}}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())["data"]


@pytest.fixture
def dagster_dev(home, write_recipe, tmp_path):
    """`dagster dev` (web server and daemon) on loopback, on the project's workspace."""
    port = free_port()
    dagster_home = tmp_path / "dagster-dev"
    dagster_home.mkdir()
    (dagster_home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    env = {
        **os.environ,
        "DAGSTER_HOME": str(dagster_home),
        "SYNTHFOUNDRY_HOME": str(home),
        # Embedding dispersion loads a 15 s model in each step's process; nothing here reads it.
        "SYNTHFOUNDRY_RECIPE": str(write_recipe()),
    }
    args = [venv_command("dagster"), "dev", "-w", "workspace.yaml"]
    args += ["-h", "127.0.0.1", "-p", str(port)]
    with dagster_server(args, port, env, REPO, tmp_path / "dagster-dev.log", timeout_s=120):
        yield port


def test_asset_graph_with_checks_and_a_run_launched_from_the_server(dagster_dev, home):
    nodes = _graphql(dagster_dev, ASSETS_QUERY)["assetNodes"]
    checks = {n["assetKey"]["path"][0]: n["assetChecksOrError"]["checks"] for n in nodes}
    assert set(checks) == {"seed", "synthesized", "filtered", "decontaminated", "published"}
    for corpus in ("seed", "synthesized", "filtered", "decontaminated"):
        assert checks[corpus] == [{"name": "expectations", "blocking": True}]

    params = {
        "selector": {
            "repositoryLocationName": "synthfoundry",
            "repositoryName": "__repository__",
            "jobName": "synthfoundry_flow",
        },
        "runConfigData": {},
    }
    launched = _graphql(dagster_dev, LAUNCH, {"params": params})["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    run_id = launched["run"]["runId"]
    deadline = time.monotonic() + 600
    status = None
    while time.monotonic() < deadline:
        status = _graphql(dagster_dev, STATUS, {"id": run_id})["runOrError"]["status"]
        if status in ("SUCCESS", "FAILURE", "CANCELED"):
            break
        time.sleep(2)
    assert status == "SUCCESS"
    assert current_version(Warehouse(home), "decontaminated") == 1
