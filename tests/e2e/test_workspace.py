"""`dagster` loads the workspace file the README tells users to run."""

from __future__ import annotations

import os
import subprocess

from tests.conftest import REPO, venv_command


def test_workspace_loads_in_dagster(tmp_path):
    result = subprocess.run(
        [venv_command("dagster"), "definitions", "validate", "-w", "workspace.yaml"],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={**os.environ, "DAGSTER_HOME": str(tmp_path)},
        timeout=180,
    )
    assert result.returncode == 0, result.stdout + result.stderr
