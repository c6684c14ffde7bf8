"""The `vllm_batch_file` backend with a stand-in for vLLM's offline runner
(tests/fake_vllm_run_batch.py, the documented `-i IN -o OUT` file contract, echo answers):
its answers enter the call log exactly as the same requests' online answers do; a runner that
crashes fails the requests, naming its log; a run that does not wait ends pending and a
re-run reads the output the runner wrote meanwhile; with no command, the output file written
by someone else is read when it appears."""

from __future__ import annotations

import sys
import threading
import time

import pytest

from assets.models.backends import build_backend
from assets.models.batch.runner import BatchesPending
from assets.models.call_cache import CachedModel
from assets.models.context import ModelContext
from assets.models.generators import OpenAICompatibleModel, Sampling, VLLMBatchFileModel
from tests.batch_server import batch_server
from tests.conftest import REPO
from warehouse import Warehouse

SAMPLING = Sampling(temperature=0.0, max_tokens=16)
PROMPTS = [(f"tell me about topic {n}", 0) for n in range(7)]
RUNNER = [sys.executable, "-m", "tests.fake_vllm_run_batch", "-i", "{input}", "-o", "{output}"]


def _vllm(home, folder, command=RUNNER, **changes) -> CachedModel:
    config = VLLMBatchFileModel.model_validate(
        {
            "backend": "vllm_batch_file",
            "model": "batch-model",
            "folder": str(folder),
            "command": command,
            "poll_interval_s": 0.05,
            "max_wait_s": 60.0,
            **changes,
        }
    )
    return CachedModel(build_backend(config), "gen-vllm", ModelContext(Warehouse(home), "vllm"))


def _query(home, query: str) -> list[dict]:
    with Warehouse(home).reader() as con:
        return con.sql(query).pl().to_dicts()


@pytest.fixture(autouse=True)
def _repo_on_path(monkeypatch):
    # The runner command imports `tests.servers`: it runs from the repository root.
    monkeypatch.chdir(REPO)
    monkeypatch.setenv("PYTHONPATH", str(REPO))


def test_runner_answers_enter_the_call_log_as_online_answers_do(tmp_path):
    with batch_server() as server:
        online = OpenAICompatibleModel.model_validate(
            {"backend": "openai", "base_url": server.base_url, "model": "batch-model"}
        )
        ctx = ModelContext(Warehouse(tmp_path / "online"), "online")
        expected = CachedModel(build_backend(online), "gen-vllm", ctx).complete_many(
            PROMPTS, SAMPLING
        )
    home = tmp_path / "home"
    results = _vllm(home, tmp_path / "files", max_requests_per_file=4).complete_many(
        PROMPTS, SAMPLING
    )
    assert [(r.request_hash, r.text) for r in results] == [
        (r.request_hash, r.text) for r in expected
    ]
    calls = _query(home, "SELECT * FROM model_calls")
    assert len(calls) == len(PROMPTS)
    assert {(c["backend"], c["mode"], c["status"]) for c in calls} == {("openai", "batch", "ok")}
    batches = _query(home, "SELECT * FROM batches ORDER BY submitted_at")
    assert [b["request_count"] for b in batches] == [4, 3]
    assert {(b["provider"], b["status"]) for b in batches} == {("vllm_batch_file", "completed")}
    assert all(b["base_url"] == (tmp_path / "files").resolve().as_uri() for b in batches)
    # The files follow the runner's contract: input, output beside it, and the command's log.
    names = sorted(p.name for p in (tmp_path / "files").iterdir())
    assert sum(n.endswith(".output.jsonl") for n in names) == 2
    assert sum(n.endswith(".log") for n in names) == 2


def test_a_runner_that_crashes_fails_the_requests_naming_its_log(tmp_path):
    model = _vllm(tmp_path / "home", tmp_path / "files", [*RUNNER, "--fail"], max_submissions=2)
    with pytest.raises(RuntimeError, match="got no answer after 2 submissions") as failure:
        model.complete_many(PROMPTS, SAMPLING)
    assert "CUDA out of memory (injected)" in str(failure.value)
    statuses = _query(tmp_path / "home", "SELECT status FROM batches")
    assert [s["status"] for s in statuses] == ["failed", "failed"]


def test_a_run_that_does_not_wait_ends_pending_and_a_rerun_reads_the_output(tmp_path):
    home = tmp_path / "home"
    model = _vllm(home, tmp_path / "files")
    model.ctx.wait_for_batches = False
    with pytest.raises(BatchesPending) as pending:
        model.complete_many(PROMPTS, SAMPLING)
    assert pending.value.requests == len(PROMPTS)
    results = _vllm(home, tmp_path / "files").complete_many(PROMPTS, SAMPLING)
    assert len(results) == len(PROMPTS)
    [batch] = _query(home, "SELECT * FROM batches")
    assert batch["status"] == "completed" and batch["collected_at"] is not None


def test_without_a_command_the_output_file_is_read_when_it_appears(tmp_path):
    """Someone else runs vLLM: the step waits until the output file beside the input is
    complete (a line per request), however long the writer takes."""
    folder = tmp_path / "files"
    from tests.fake_vllm_run_batch import main as run_batch

    def operator() -> None:
        while not any(folder.glob("*.batch.json")):
            time.sleep(0.02)
        [marker] = folder.glob("*.batch.json")
        source = folder / marker.name.removesuffix(".batch.json")
        run_batch(["-i", str(source), "-o", str(source) + ".output.jsonl"])

    writer = threading.Thread(target=operator)
    writer.start()
    results = _vllm(tmp_path / "home", folder, command=None).complete_many(PROMPTS, SAMPLING)
    writer.join(timeout=30)
    assert len(results) == len(PROMPTS)
