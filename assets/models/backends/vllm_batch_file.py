"""The `vllm_batch_file` backend: vLLM's offline batch runner driven through files.

`VLLMBatchFiles` gives the batch runner (assets/models/batch/runner.py) the endpoints it uses
of OpenAI's Batch API, kept in a folder: `upload` writes `<name>` (an OpenAI batch-format
input file, the documented input of `python -m vllm.entrypoints.openai.run_batch`), `create`
writes `<name>.batch.json` and starts the configured command with `{input}` and `{output}`
replaced (its output in `<name>.log`), `get` reports the batch `completed` once the output
file `<name>.output.jsonl` holds a line for every request, `failed` when the command exited
without writing it, and `in_progress` otherwise; `content` reads a file back. Without a
command the output file is waited for: any process (or person) may write it.

The command runs in a session of its own: a run killed while it works leaves it working, and
the re-run adopts the batch by its `.batch.json` and reads its output when it is there."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

from assets.models.backends.batch_backend import BatchBackendBase
from assets.models.backends.batch_files import LocalBatchFiles
from assets.models.backends.openai_batch_api import BatchAPIError
from assets.models.generators import VLLMBatchFileModel

OUTPUT_SUFFIX = ".output.jsonl"
BATCH_SUFFIX = ".batch.json"
LOG_TAIL_CHARS = 600


def _lines(path: Path) -> int:
    """Complete (newline-ended) non-empty lines: one still being written is not counted."""
    with open(path, "rb") as handle:
        return sum(1 for line in handle if line.endswith(b"\n") and line.strip())


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class VLLMBatchFiles(LocalBatchFiles):
    def __init__(self, config: VLLMBatchFileModel):
        super().__init__(config.folder, "vllm")
        self.config = config
        # Commands this process started, by batch id: polled (and so reaped) here.
        self._started: dict[str, subprocess.Popen] = {}

    def create(self, input_file_id: str, metadata: dict[str, str]) -> dict:
        source = self.path(input_file_id)
        if not source.is_file():
            raise BatchAPIError(f"vllm_batch_file: no input file {source}")
        batch = {
            "id": source.name,
            "input_file_id": input_file_id,
            "output_file_id": None,
            "error_file_id": None,
            "created_at": time.time(),
            "metadata": metadata,
            "total": _lines(source),
            "pid": None,
        }
        if self.config.command:
            output = self.folder / f"{source.name}{OUTPUT_SUFFIX}"
            argv = [
                part.replace("{input}", str(source)).replace("{output}", str(output))
                for part in self.config.command
            ]
            with open(self.folder / f"{source.name}.log", "ab") as log:
                try:
                    process = subprocess.Popen(
                        argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
                    )
                except OSError as exc:
                    raise BatchAPIError(
                        f"vllm_batch_file: generator.command {argv[0]!r} could not start: {exc}"
                    ) from None
            self._started[source.name] = process
            batch["pid"] = process.pid
        (self.folder / f"{source.name}{BATCH_SUFFIX}").write_text(json.dumps(batch))
        return self._state(batch)

    def get(self, batch_id: str) -> dict:
        marker = self.folder / f"{batch_id}{BATCH_SUFFIX}"
        if not marker.is_file():
            raise BatchAPIError(f"vllm_batch_file: no batch {batch_id} in {self.folder}")
        return self._state(json.loads(marker.read_text()))

    def list_recent(self, limit: int = 100) -> list[dict]:
        markers = sorted(
            self.folder.glob(f"*{BATCH_SUFFIX}"), key=lambda p: p.stat().st_mtime, reverse=True
        )
        return [self._state(json.loads(m.read_text())) for m in markers[:limit]]

    def _running(self, batch: dict) -> bool:
        started = self._started.get(batch["id"])
        if started is not None:
            return started.poll() is None
        return batch["pid"] is not None and _alive(batch["pid"])

    def _state(self, batch: dict) -> dict:
        """The batch as OpenAI's API would describe it."""
        output = self.folder / f"{batch['id']}{OUTPUT_SUFFIX}"
        total = batch["total"]
        done = _lines(output) if output.is_file() else 0
        state = {
            "id": batch["id"],
            "input_file_id": batch["input_file_id"],
            "status": "in_progress",
            "output_file_id": None,
            "error_file_id": None,
            "request_counts": {"total": total, "completed": done, "failed": 0},
            "errors": None,
        }
        if done >= total:
            state["status"] = "completed"
            state["output_file_id"] = output.name
        elif batch["pid"] is not None and not self._running(batch):
            # The command ended without an output line for every request.
            log = self.folder / f"{batch['id']}.log"
            tail = log.read_text(errors="replace")[-LOG_TAIL_CHARS:] if log.is_file() else ""
            state["status"] = "failed"
            state["output_file_id"] = output.name if done else None
            state["errors"] = {
                "data": [
                    {
                        "code": "command_failed",
                        "message": f"the command wrote {done} of {total} answers; log {log}: "
                        + " ".join(tail.split()),
                    }
                ]
            }
        return state


class VLLMBatchFileBackend(BatchBackendBase):
    backend = "openai"
    provider = "vllm_batch_file"

    def __init__(self, config: VLLMBatchFileModel):
        api = VLLMBatchFiles(config)
        super().__init__(config, api, api.folder.as_uri())
