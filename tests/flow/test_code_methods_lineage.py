"""code_instruct and program_of_thought on SmolLM2, their code run in the real sandbox: every
row and every rejected attempt resolves to its seed, its generator and its logged calls."""

from __future__ import annotations

import json
from datetime import datetime

import duckdb
import polars as pl

from assets.synthesis.context import SynthesisContext
from assets.synthesis.methods.code_instruct import CodeInstruct, CodeInstructMethod
from assets.synthesis.methods.program_of_thought import (
    ProgramOfThought,
    ProgramOfThoughtMethod,
)
from warehouse import Warehouse
from warehouse.rows import conform, with_row_ids

# One thread: llama.cpp's two-thread barriers crawl on a CPU shared with other processes.
MODEL = {"n_threads": 1, "n_ctx": 1024}
SEEDS = {
    "kind": ["instruction", "instruction"],
    "task_type": ["coding", "math"],
    "instruction": ["Write a Python function that flattens a list of lists.", "What is 17 + 25?"],
    "answer": [None, "42"],
}


def test_code_methods_on_smollm2_link_rows_and_attempts_to_seeds_generators_and_calls(tmp_path):
    seeds = with_row_ids(conform(pl.DataFrame(SEEDS)))
    ctx = SynthesisContext(
        wh=Warehouse(tmp_path), run_id="run-1", created_at=datetime(2026, 1, 1), random_seed=1
    )
    sampling = {"temperature": 0.2, "seed": 7}
    outputs = [
        CodeInstructMethod(
            CodeInstruct(
                method="code_instruct",
                generator=MODEL,
                repair_attempts=1,
                sampling={**sampling, "max_tokens": 160},
            )
        ).run(seeds, ctx),
        ProgramOfThoughtMethod(
            ProgramOfThought(
                method="program_of_thought",
                generator=MODEL,
                repair_attempts=1,
                sampling={**sampling, "max_tokens": 64},
            )
        ).run(seeds, ctx),
    ]
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        logged = dict(con.sql("SELECT request_hash, generator_id FROM model_calls").fetchall())
    seed_ids = set(seeds["row_id"])
    named: set[str] = set()
    for method, output in zip(("code_instruct", "program_of_thought"), outputs, strict=True):
        (generator,) = output.generators
        finished = set()  # sources that ended in a kept row or a last failed attempt
        for row in output.rows.to_dicts():
            assert row["method"] == method and row["verified"]
            assert (
                set(row["seed_ids"]) <= seed_ids and row["generator_id"] == generator.generator_id
            )
            assert row["call_ids"] and all(
                logged[c] == generator.generator_id for c in row["call_ids"]
            )
            assert json.loads(row["attributes"])["execution"]["sandbox"] == "bubblewrap"
            named |= set(row["call_ids"])
            finished.add(row["parent_ids"][0])
        for decision in output.rejections.to_dicts():
            evidence = json.loads(decision["evidence"])
            assert logged[evidence["call_id"]] == generator.generator_id
            assert set(evidence["seed_ids"]) <= seed_ids
            assert all(logged[c] == generator.generator_id for c in evidence["earlier_call_ids"])
            assert len(evidence["earlier_call_ids"]) == evidence["attempt"]
            named.add(evidence["call_id"])
            if evidence["attempt"] == 1:
                finished.add(evidence.get("source_row_id") or evidence["problem_row_id"])
        assert output.model_calls >= 1
        # Each source was tried: it made a row, or its attempts were all recorded.
        assert finished | {json.loads(d)["seed_ids"][0] for d in output.rejections["evidence"]} >= {
            seeds["row_id"][0] if method == "code_instruct" else seeds["row_id"][1]
        }
    assert named == set(logged)  # every logged call is a row's or a rejected attempt's
