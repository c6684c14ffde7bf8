"""The shared model-calling loop, driven as a plug-in method would drive it, against a loopback
OpenAI-compatible server: screens, rejections keyed by their call, lineage filled in, calls
counted and cached."""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import datetime

import polars as pl
import pytest

from assets.models.call_progress import PROGRESS_PREFIX
from assets.models.generators import OpenAICompatibleModel, Sampling
from assets.models.prompt_templates import PromptTemplate
from assets.synthesis.context import MethodOutput, SynthesisContext
from assets.synthesis.model_run import Lineage, ModelRun
from tests.servers import Fault, fault_server
from warehouse import Warehouse
from warehouse.rows import conform, with_row_ids

SAMPLING = Sampling(temperature=0.0, max_tokens=16)
TEMPLATE = PromptTemplate("summary", "1", "Summarize: $text")
# What the server answers to the prompt made from each seed text: (text, finish_reason).
ANSWERS = {
    "alpha": ("A short summary of alpha.", "stop"),
    "beta": ("I'm sorry, I can't help with that.", "stop"),
    "gamma": ("   ", "stop"),
    "delta": ("A summary that runs on and", "length"),
    "epsilon": ("Epsilon, summarized.", "stop"),
}


def _answer(prompt: str, attempt: int) -> Fault:
    text, finish_reason = ANSWERS[prompt.removeprefix("Summarize: ")]
    body = {
        "choices": [{"message": {"content": text}, "finish_reason": finish_reason}],
        "usage": {"prompt_tokens": 3, "completion_tokens": 5},
    }
    return Fault(body=json.dumps(body).encode())


class SummaryMethod:
    """A plug-in method: one summary per seed document; `epsilon` is held back by its own
    acceptance rule (as a source, not a call)."""

    name = "summary"

    def __init__(self, generator: OpenAICompatibleModel):
        self.generator = generator

    def run(self, seeds: pl.DataFrame, ctx: SynthesisContext) -> MethodOutput:
        run = ModelRun(self.name, ctx)
        model = run.model(self.generator, [TEMPLATE], {"sampling": SAMPLING.model_dump()})
        documents = ctx.source_rows(["seed"], seeds).sort("row_id").to_dicts()
        calls = model.complete_many(
            [(TEMPLATE.render(text=d["text"]), 0) for d in documents], SAMPLING
        )
        for document, call in zip(documents, calls, strict=True):
            summary = call.text.strip()
            if not run.screen(call, summary, prefix="summary_", source_row_id=document["row_id"]):
                continue
            if document["text"] == "epsilon":
                run.reject_source(document["row_id"], "held_back", score=1.0, why="test")
                continue
            run.keep(
                model,
                [call],
                Lineage.of(document),
                kind="document",
                text=summary,
                attributes={"finish_reason": call.finish_reason},
            )
        return run.output()


@pytest.fixture
def seeds() -> pl.DataFrame:
    frame = pl.DataFrame({"kind": ["document"] * len(ANSWERS), "text": list(ANSWERS)})
    return with_row_ids(conform(frame))


def _generator(base_url: str) -> OpenAICompatibleModel:
    return OpenAICompatibleModel(backend="openai", base_url=base_url, model="stub", max_retries=0)


def _context(home, run_id: str) -> SynthesisContext:
    return SynthesisContext(
        wh=Warehouse(home), run_id=run_id, created_at=datetime(2026, 1, 1), random_seed=0
    )


def test_a_plugin_method_gets_screens_rejections_lineage_and_cached_calls(home, seeds):
    with fault_server(_answer) as server:
        generator = _generator(server.base_url)
        method = SummaryMethod(generator)
        output = method.run(seeds, _context(home, "first"))
        again = method.run(seeds, _context(home, "second"))
        assert len(server.requests) == len(ANSWERS)  # the second run came from the call log

    seed_ids = dict(zip(seeds["text"], seeds["row_id"], strict=True))
    [generator_record] = output.generators
    [row] = output.rows.to_dicts()
    assert row["text"] == "A short summary of alpha." and row["kind"] == "document"
    assert row["seed_ids"] == [seed_ids["alpha"]] and row["parent_ids"] == [seed_ids["alpha"]]
    assert row["generator_id"] == generator_record.generator_id
    assert row["method"] == "summary" and row["run_id"] == "first"
    assert json.loads(row["attributes"]) == {"finish_reason": "stop"}
    assert (output.model_calls, output.cached_calls) == (len(ANSWERS), 0)
    assert (again.model_calls, again.cached_calls) == (0, len(ANSWERS))
    assert again.rows["row_id"].to_list() == output.rows["row_id"].to_list()

    decisions = output.rejections.sort("rule").to_dicts()
    assert [d["rule"] for d in decisions] == [
        "held_back",
        "summary_empty_output",
        "summary_refusal",
        "summary_truncated_output",
    ]
    assert {d["stage"] for d in decisions} == {"synthesized"}
    held_back = decisions[0]
    key = hashlib.sha256(f"summary:{seed_ids['epsilon']}".encode()).hexdigest()[:32]
    assert held_back["row_id"] == key and held_back["score"] == 1.0
    assert json.loads(held_back["evidence"]) == {"why": "test"}
    refusal = json.loads(decisions[2]["evidence"])
    assert decisions[2]["row_id"] == refusal["call_id"][:32]
    assert refusal["raw_output"] == ANSWERS["beta"][0]
    assert refusal["source_row_id"] == seed_ids["beta"]


def test_rows_stamped_midway_stay_in_the_output_and_content_columns_are_checked(home, seeds):
    with fault_server(_answer) as server:
        generator = _generator(server.base_url)
        run = ModelRun("summary", _context(home, "run"))
        model = run.model(generator, [TEMPLATE], {})
        [call] = model.complete_many([(TEMPLATE.render(text="alpha"), 0)], SAMPLING)
    parent = Lineage(seed_ids=["s"], parent_ids=[])
    run.keep(model, [call], parent, attributes={}, instruction="first", response="one")
    [first_id] = run.rows()["row_id"].to_list()
    run.keep(model, [call], Lineage(["s"], [first_id]), attributes={}, instruction="second")
    with pytest.raises(TypeError, match="not row content columns"):
        run.keep(model, [call], parent, attributes={}, instructions="typo")
    rows = run.output().rows
    assert rows["instruction"].to_list() == ["first", "second"]
    assert rows["parent_ids"].to_list() == [[], [first_id]]
    assert rows["call_ids"].to_list() == [[call.request_hash]] * 2


def test_a_long_batch_logs_its_progress_every_few_seconds(home, seeds, caplog, monkeypatch):
    monkeypatch.setattr("assets.models.call_progress.PROGRESS_EVERY_SECONDS", 0.2)

    def slow(prompt: str, attempt: int) -> Fault:
        return Fault(body=_answer(prompt, attempt).body, delay_s=0.15)

    with fault_server(slow) as server:
        generator = _generator(server.base_url).model_copy(update={"max_in_flight": 1})
        with caplog.at_level(logging.INFO, logger="synthfoundry"):
            SummaryMethod(generator).run(seeds, _context(home, "slow"))
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith(PROGRESS_PREFIX)]
    # Five calls of 0.15 s each, a report due every 0.2 s: a few lines, not one per call.
    assert 2 <= len(lines) < len(ANSWERS)
    assert all(line.startswith(f"{PROGRESS_PREFIX}summary: ") for line in lines)
    assert "/5 model calls made, 0 cache hits, 0 failed" in lines[-1]
