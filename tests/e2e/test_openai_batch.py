"""The `openai_batch` backend against the fake Batch API (tests/batch_server.py, deterministic
echo completions): the same answers, request hashes and rows as online calls; injected
failures and expired batches resubmit exactly the requests left without an answer; a run that
stops waiting (or dies after recording a batch) resumes from the `batches` table without
submitting anything twice; and the run's budget holds at batch prices."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest
import yaml

from assets.models.backends import build_backend
from assets.models.batch import WAIT_FOR_BATCHES_TAG
from assets.models.budget import Budget, BudgetConfig, BudgetExhausted
from assets.models.call_cache import CachedModel
from assets.models.context import ModelContext
from assets.models.generators import OpenAIBatchModel, OpenAICompatibleModel, Sampling
from assets.models.json_schema import JsonSchema
from assets.models.pricing import Price
from orchestration.resources import build_resources
from orchestration.sensors import AFTER_SEED, pending_batches
from tests.batch_server import batch_server, first_failures
from tests.conftest import BASE_RECIPE, REPO, SELF_INSTRUCT, materialize, recipe_dict
from tests.e2e.batch_client import SAMPLING as CLIENT_SAMPLING
from tests.e2e.batch_client import batch_model
from tests.e2e.batch_client import prompts as client_prompts
from warehouse import Warehouse
from warehouse.batches import record_batch

SAMPLING = Sampling(temperature=0.0, max_tokens=16)
PRICE = {
    "input_per_million": 2.0,
    "output_per_million": 8.0,
    "batch_input_per_million": 1.0,
    "batch_output_per_million": 4.0,
}
PROMPTS = [(f"tell me about topic {n}", 0) for n in range(12)]
# Runs killed in the kill test (each a forked process).
KILL_POINTS = 20


def _settings(base_url: str, backend: str = "openai_batch", **changes: object) -> dict:
    return {
        "backend": backend,
        "base_url": base_url,
        "model": "batch-model",
        "backoff_base_s": 0.01,
        "backoff_max_s": 0.05,
        **({"poll_interval_s": 0.02, "max_wait_s": 30.0} if backend == "openai_batch" else {}),
        **changes,
    }


def _model(home, base_url: str, run_id: str = "batch-run", budget=None, **changes) -> CachedModel:
    settings = _settings(base_url, **changes)
    config = (
        OpenAIBatchModel if settings["backend"] == "openai_batch" else OpenAICompatibleModel
    ).model_validate(settings)
    ctx = ModelContext(wh=Warehouse(home), run_id=run_id, budget=budget)
    return CachedModel(build_backend(config), "gen-batch", ctx, price=config.price)


def _query(home, query: str) -> list[dict]:
    with Warehouse(home).reader() as con:
        return con.sql(query).pl().to_dicts()


def test_batch_answers_enter_the_call_log_as_online_calls_do(tmp_path):
    with batch_server() as server:
        online = _model(tmp_path / "online", server.base_url, backend="openai")
        batch = _model(tmp_path / "batch", server.base_url, price=PRICE)
        online_results = online.complete_many(PROMPTS, SAMPLING)
        batch_results = batch.complete_many(PROMPTS, SAMPLING)
        assert server.online_requests == len(PROMPTS)
        assert set(server.submitted.values()) == {1} and len(server.submitted) == len(PROMPTS)

    assert [(r.request_hash, r.text) for r in batch_results] == [
        (r.request_hash, r.text) for r in online_results
    ]
    calls = _query(tmp_path / "batch", "SELECT * FROM model_calls ORDER BY request_hash")
    assert len(calls) == len(PROMPTS)
    assert {(c["backend"], c["mode"], c["status"]) for c in calls} == {("openai", "batch", "ok")}
    price = Price(**PRICE)
    for call in calls:
        # Batch prices: half the online ones here.
        expected = price.cost(call["prompt_tokens"], call["completion_tokens"], "batch")
        assert call["cost"] == pytest.approx(expected) and call["cost"] > 0
    [row] = _query(tmp_path / "batch", "SELECT * FROM batches")
    assert row["status"] == "completed" and row["collected_at"] is not None
    assert sorted(row["request_hashes"]) == [c["request_hash"] for c in calls]
    assert row["completed_count"] == len(PROMPTS) and row["failed_count"] == 0
    assert row["cost"] == pytest.approx(sum(c["cost"] for c in calls))


def test_injected_failures_resubmit_exactly_the_failed_requests(home):
    failing, fail = first_failures(2)
    with batch_server(fail=fail) as server:
        results = _model(home, server.base_url).complete_many(PROMPTS, SAMPLING)
        submitted = dict(server.submitted)
    assert len(results) == len(PROMPTS)
    assert {h for h, n in submitted.items() if n == 2} == failing
    assert all(n == 1 for h, n in submitted.items() if h not in failing)
    errors = _query(home, "SELECT * FROM model_calls WHERE status = 'error'")
    assert {e["request_hash"] for e in errors} == failing
    assert all("HTTP 500: server_error: injected" in e["error"] for e in errors)
    batches = _query(home, "SELECT * FROM batches ORDER BY submitted_at")
    assert [b["request_count"] for b in batches] == [len(PROMPTS), 2]
    assert [b["failed_count"] for b in batches] == [2, 0]


@pytest.mark.parametrize("ending", ["expired", "cancelled", "failed"])
def test_requests_a_batch_left_undone_go_into_a_follow_up_batch(home, ending):
    with batch_server(outcome=lambda n: ending if n == 1 else "completed") as server:
        results = _model(home, server.base_url).complete_many(PROMPTS, SAMPLING)
        submitted = dict(server.submitted)
    assert len(results) == len(PROMPTS)
    # expired and cancelled answered the first half; failed answered none.
    answered_first = 0 if ending == "failed" else len(PROMPTS) // 2
    assert sorted(submitted.values()).count(2) == len(PROMPTS) - answered_first
    statuses = [b["status"] for b in _query(home, "SELECT * FROM batches ORDER BY submitted_at")]
    assert statuses == [ending, "completed"]


ANSWER_SCHEMA = JsonSchema(
    "answer",
    {"type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"]},
)


@pytest.mark.parametrize("reask", ["batch", "online"])
def test_outputs_that_miss_their_schema_are_asked_again(home, reask):
    """Two prompts' first answers are not JSON: they are logged as failed calls and asked
    again with another seed, in a follow-up batch of exactly those two or online."""
    broken = {PROMPTS[2][0], PROMPTS[7][0]}

    def answer(prompt: str, seed: int) -> str:
        return "no JSON here" if prompt in broken and seed == 0 else '{"answer": "fine"}'

    with batch_server(answer=answer) as server:
        model = _model(home, server.base_url, schema_reask=reask)
        model.schema = ANSWER_SCHEMA
        results = model.complete_many(PROMPTS, SAMPLING)
        submitted, online = dict(server.submitted), server.online_requests
    assert [r.text for r in results] == ['{"answer": "fine"}'] * len(PROMPTS)
    twice = {h for h, n in submitted.items() if n == 2}
    failed = _query(home, "SELECT * FROM model_calls WHERE status = 'error'")
    assert {f["raw_output"] for f in failed} == {"no JSON here"} and len(failed) == 2
    assert all("does not match its JSON schema: not JSON" in f["error"] for f in failed)
    ok = _query(home, "SELECT request_hash, mode FROM model_calls WHERE status = 'ok'")
    asked_again = {f["request_hash"] for f in failed}
    if reask == "batch":
        assert twice == asked_again and online == 0
        assert [b["request_count"] for b in _query(home, "SELECT * FROM batches")] == [12, 2]
    else:
        # Online, the first attempt repeats the batch's request (the same seed), and its
        # schema retry moves the seed.
        assert not twice and online == 4
    assert {o["mode"] for o in ok if o["request_hash"] in asked_again} == {reask}


def test_a_run_that_stops_waiting_is_resumed_without_resubmitting(home):
    with batch_server(hold=True) as server:
        with pytest.raises(RuntimeError, match="batches still open after max_wait_s") as stop:
            _model(home, server.base_url, max_wait_s=0.2).complete_many(PROMPTS, SAMPLING)
        assert "batch_1" in str(stop.value)
        [row] = _query(home, "SELECT * FROM batches")
        assert row["status"] == "in_progress" and row["collected_at"] is None
        server.hold = False
        results = _model(home, server.base_url, run_id="rerun").complete_many(PROMPTS, SAMPLING)
        submitted = dict(server.submitted)
    assert len(results) == len(PROMPTS)
    assert len(submitted) == len(PROMPTS) and set(submitted.values()) == {1}
    assert len(_query(home, "SELECT * FROM batches")) == 1


@pytest.mark.parametrize("created", [False, True])
def test_a_run_killed_after_recording_a_batch_adopts_it(home, created):
    """Killed between recording a batch (`submitting`) and learning its id: the re-run finds
    it among the provider's batches by its input file, or creates it if it never was."""
    with batch_server() as server:
        model = _model(home, server.base_url)
        hashes = [model.request_hash(p, SAMPLING, i) for p, i in PROMPTS]
        from assets.models.batch.request_files import request_body, request_line

        content = b"".join(
            request_line(h, request_body("batch-model", p, SAMPLING, i, None))
            for h, (p, i) in zip(hashes, PROMPTS, strict=True)
        )
        api = model.backend.api
        file_id = api.upload("killed.jsonl", content)
        record_batch(
            model.ctx.wh, batch_key="killed", provider="openai_batch",
            base_url=server.base_url, model="batch-model", generator_id="gen-batch",
            input_file_id=file_id, request_hashes=hashes, run_id="killed",
        )  # fmt: skip
        if created:
            api.create(file_id, {})
        results = model.complete_many(PROMPTS, SAMPLING)
        submitted = dict(server.submitted)
    assert len(results) == len(PROMPTS)
    assert len(submitted) == len(PROMPTS) and set(submitted.values()) == {1}
    [row] = _query(home, "SELECT * FROM batches")
    assert row["batch_key"] == "killed" and row["batch_id"] == "batch_1"


def test_the_budget_holds_for_batches(home):
    with batch_server() as server:
        model = _model(home, server.base_url, budget=Budget(BudgetConfig(max_calls=5)))
        with pytest.raises(BudgetExhausted, match="max_calls = 5"):
            model.complete_many(PROMPTS, SAMPLING)
        submitted = sum(server.submitted.values())
    assert submitted == 5
    assert len(_query(home, "SELECT * FROM model_calls WHERE status = 'ok'")) == 5


def _batch_recipe(home, base_url: str, backend: str) -> Path:
    generator = _settings(base_url, backend)
    methods = [*BASE_RECIPE["synthesis"]["methods"], {**SELF_INSTRUCT, "generator": generator}]
    path = home / "recipe.yaml"
    path.write_text(yaml.safe_dump(recipe_dict(synthesis={"methods": methods})), encoding="utf-8")
    return path


def _outcome(home, materialization: dg.AssetMaterialization) -> dict:
    return {
        "metadata": {
            key: materialization.metadata[key].value for key in ("batches", "model_spend")
        },
        "rows": _query(
            home,
            "SELECT row_id, seed_ids, parent_ids, call_ids, generator_id, method FROM synthesized "
            "ORDER BY row_id",
        ),
        "decisions": _query(
            home,
            "SELECT corpus, row_id, stage, rule, action FROM decisions ORDER BY ALL",
        ),
        "yield": _query(home, "SELECT * FROM generator_yield ORDER BY generator_id"),
        "modes": _query(home, "SELECT DISTINCT mode FROM model_calls"),
    }


def _home(tmp_path, monkeypatch, name: str) -> Path:
    home = tmp_path / name
    home.mkdir()
    (tmp_path / f"dagster-{name}").mkdir()
    monkeypatch.setenv("SYNTHFOUNDRY_HOME", str(home))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / f"dagster-{name}"))
    return home


def test_a_recipe_on_openai_batch_makes_the_rows_it_makes_online(tmp_path, monkeypatch):
    """Online, and on `openai_batch` in a run that waits for its batches (`--wait`'s tag)."""
    outcomes = {}
    with batch_server() as server:
        for backend in ("openai", "openai_batch"):
            home = _home(tmp_path, monkeypatch, backend)
            recipe = _batch_recipe(home, server.base_url, backend)
            result = materialize(home, recipe, tags={WAIT_FOR_BATCHES_TAG: "true"})
            assert result.success
            [materialization] = result.asset_materializations_for_node("synthesized")
            outcomes[backend] = _outcome(home, materialization)
        rounds = len(server.batches)
    online, batch = outcomes["openai"], outcomes["openai_batch"]
    assert batch["rows"] and batch["rows"] == online["rows"]
    assert any(r["method"] == "self_instruct" for r in batch["rows"])
    assert batch["decisions"] == online["decisions"]
    assert batch["yield"] == online["yield"]
    assert online["modes"] == [{"mode": "online"}] and batch["modes"] == [{"mode": "batch"}]
    # self-instruct asks in rounds (instructions, then responses): a batch per round, each
    # shown on the step's materialization with its state and counts.
    assert rounds >= 2
    shown = batch["metadata"]["batches"]
    assert len(shown) == rounds and {b["status"] for b in shown} == {"completed"}
    assert sum(b["request_count"] for b in shown) == sum(b["completed_count"] for b in shown)
    assert online["metadata"]["batches"] == []
    [spent] = batch["metadata"]["model_spend"]
    assert spent["mode"] == "batch" and spent["calls"] == sum(b["request_count"] for b in shown)


def test_the_sensor_completes_a_pending_version(tmp_path, monkeypatch):
    """Without the wait tag, each round of self-instruct ends the step with its version
    pending (metadata: batch ids and progress; its check skipped); the
    `pending_batches` sensor, evaluated against the same Dagster instance, skips while a batch
    runs and requests the re-materialization once all have finished, until a version is
    promoted: the rows are those of a run that waited."""
    home = _home(tmp_path, monkeypatch, "sensor")
    with batch_server(polls_in_progress=2) as server, dg.instance_for_test() as instance:
        recipe = _batch_recipe(home, server.base_url, "openai_batch")
        resources = build_resources(home=str(home), recipe=str(recipe))
        # The stages up to synthesized: what comes after it runs as in any flow run.
        result = materialize(home, recipe, ["seed", "synthesized"], instance=instance)
        pendings = 0
        while True:
            assert result.success
            [materialization] = result.asset_materializations_for_node("synthesized")
            if "pending_batches" not in materialization.metadata:
                break
            pendings += 1
            meta = {k: v.value for k, v in materialization.metadata.items()}
            version = meta["version"]
            assert meta["status"] == "pending" and meta["waiting_method"] == "self_instruct"
            [batch] = meta["pending_batches"]
            assert batch["batch_id"] == f"batch_{pendings}" and batch["status"] == "in_progress"
            assert meta["progress"] == f"0/{batch['request_count']} requests answered"
            checked = {e.asset_key.to_user_string() for e in result.get_asset_check_evaluations()}
            assert "synthesized" not in checked
            [row] = _query(home, f"SELECT * FROM corpus_versions WHERE corpus = 'synthesized' "
                                 f"AND version = {version}")  # fmt: skip
            assert row["status"] == "pending"
            with dg.build_sensor_context(instance=instance, resources=resources) as context:
                waiting = pending_batches(context)
            assert isinstance(waiting, dg.SkipReason) and "still running" in waiting.skip_message
            with dg.build_sensor_context(instance=instance, resources=resources) as context:
                ready = pending_batches(context)
            [request] = ready.run_requests
            assert request.run_key.startswith(f"synthesized-v{version}-")
            assert {k.to_user_string() for k in request.asset_selection} == set(AFTER_SEED)
            result = materialize(
                home, recipe, ["synthesized"], instance=instance, tags=request.tags
            )
        submitted = dict(server.submitted)
    # One pending version per round of self-instruct (instructions, then responses).
    assert pendings >= 2 and set(submitted.values()) == {1}
    statuses = _query(home, "SELECT version, status FROM corpus_versions "
                            "WHERE corpus = 'synthesized' ORDER BY version")  # fmt: skip
    assert [s["status"] for s in statuses] == ["superseded"] * pendings + ["promoted"]
    assert any(r["method"] == "self_instruct" for r in _query(home, "SELECT * FROM synthesized"))
    [check] = result.get_asset_check_evaluations()
    assert check.passed and check.description.endswith("promoted")


def _alive(pid: int) -> bool:
    """Whether `pid` runs (the fork server reaps its runs as soon as they end)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@contextlib.contextmanager
def _killed_at_exit(runs: subprocess.Popen) -> Iterator[None]:
    """The fork server and any run it started (its process group) are gone after the block,
    even when an assertion failed with a run still going."""
    try:
        yield
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(runs.pid, signal.SIGKILL)
        runs.wait(timeout=30)
        for pipe in (runs.stdin, runs.stdout):
            if pipe is not None:
                pipe.close()


def test_kill_9_at_random_points_then_rerun_submits_nothing_twice(tmp_path):
    """A run in its own process (6 requests, 2 batches of 3) is killed (SIGKILL) right after
    the fake server answered its k-th API request, k drawn (seeded) from its first upload to
    its last download, then run again to the end: at `KILL_POINTS` points, on one home and
    one server, each point with requests of its own. Every re-run completes and the server
    saw every request submitted exactly once. The runs are forked from one process that
    imported the client once (tests/e2e/batch_client.py)."""
    rng = random.Random(23)
    count, home = 6, tmp_path / "home"
    home.mkdir()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    runs = subprocess.Popen(
        [sys.executable, "-m", "tests.e2e.batch_client"],
        cwd=REPO, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        start_new_session=True,
    )  # fmt: skip
    assert runs.stdin is not None and runs.stdout is not None
    with batch_server(polls_in_progress=3) as server, _killed_at_exit(runs):
        # API requests of one uninterrupted run: 2 uploads, 2 creations, polls, 2 downloads.
        batch_model(home, server.base_url, "measure").complete_many(
            client_prompts(count, "measure"), CLIENT_SAMPLING
        )
        per_run = server.handled
        mid_way = 0
        for point in range(KILL_POINTS):
            topic = f"point-{point}"
            runs.stdin.write(f"{home}\t{server.base_url}\t{count}\t{topic}\n")
            runs.stdin.flush()
            ready, pid = runs.stdout.readline().split()
            assert ready == "ready", point
            kill_at = server.handled + rng.randint(1, per_run)
            while server.handled < kill_at and _alive(int(pid)):
                time.sleep(0.001)
            with contextlib.suppress(ProcessLookupError):  # it ended before its kill point
                os.kill(int(pid), signal.SIGKILL)
            ended = runs.stdout.readline().strip()
            if ended == "done":  # it finished before its kill point
                ended = runs.stdout.readline().strip()
            assert ended in ("exit 0", f"exit {-signal.SIGKILL}"), (point, ended)
            # Killed between the first submission and the last collection?
            recorded = _query(home, "SELECT collected_at FROM batches")
            mid_way += any(r["collected_at"] is None for r in recorded)
            results = batch_model(home, server.base_url, f"rerun-{point}").complete_many(
                client_prompts(count, topic), CLIENT_SAMPLING
            )
            assert len(results) == count, point
        runs.stdin.close()
        assert runs.wait(timeout=30) == 0
        submitted = dict(server.submitted)
    assert len(submitted) == count * (KILL_POINTS + 1) and set(submitted.values()) == {1}
    calls = _query(home, "SELECT DISTINCT request_hash FROM model_calls WHERE status = 'ok'")
    assert len(calls) == len(submitted)
    assert mid_way >= KILL_POINTS // 2, mid_way


def test_a_batch_adopted_for_some_of_its_requests_still_answers_the_others_later(home):
    with batch_server(hold=True) as server:
        with pytest.raises(RuntimeError, match="batches still open"):
            _model(home, server.base_url, max_wait_s=0.2).complete_many(PROMPTS[:6], SAMPLING)
        server.hold = False
        # The recipe changed: half of the open batch's requests and three new ones.
        assert len(_model(home, server.base_url).complete_many(PROMPTS[3:9], SAMPLING)) == 6
        [first] = _query(home, "SELECT * FROM batches WHERE batch_id = 'batch_1'")
        assert first["status"] == "completed" and first["collected_at"] is None
        # The other half, needed again, comes from the batch already paid for.
        assert len(_model(home, server.base_url).complete_many(PROMPTS[:3], SAMPLING)) == 3
        submitted = dict(server.submitted)
    assert len(submitted) == 9 and set(submitted.values()) == {1}
    [first] = _query(home, "SELECT * FROM batches WHERE batch_id = 'batch_1'")
    assert first["collected_at"] is not None
    assert len(_query(home, "SELECT * FROM model_calls WHERE status = 'ok'")) == 9


def test_synthfoundry_run_ends_pending_and_run_wait_completes(home, capsys):
    """`synthfoundry run` on a batch recipe ends with synthesized pending (its batch named,
    later steps skipped, exit 0); `synthfoundry run --wait` adopts that batch, polls in its
    process until every batch is done, and runs the flow to the end."""
    from orchestration.cli import main

    with batch_server() as server:
        recipe = _batch_recipe(home, server.base_url, "openai_batch")
        assert main(["--home", str(home), "run", "--recipe", str(recipe)]) == 0
        out = capsys.readouterr().out
        assert "synthesized v1 pending: self_instruct waits for" in out and "batch_1" in out
        assert "- filtered skipped" in out
        assert main(["--home", str(home), "run", "--wait", "--recipe", str(recipe)]) == 0
        out = capsys.readouterr().out
        submitted = dict(server.submitted)
    for step in ("synthesized", "filtered", "decontaminated", "published"):
        assert f"✓ {step}" in out
    assert "pending" not in out and set(submitted.values()) == {1}
    statuses = _query(home, "SELECT status FROM corpus_versions WHERE corpus = 'synthesized' "
                            "ORDER BY version")  # fmt: skip
    assert [s["status"] for s in statuses] == ["superseded", "promoted"]
    assert _query(home, "SELECT count(*) AS n FROM batches WHERE collected_at IS NULL") == [
        {"n": 0}
    ]
