"""Generators, the model-call log (which doubles as the call cache), publications, traces."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field

import polars as pl

from warehouse.connection import Warehouse
from warehouse.corpora import now
from warehouse.queries import sql

CALL_COLUMNS = (
    "request_hash",
    "generator_id",
    "backend",
    "model",
    "prompt",
    "params",
    "sample_index",
    "raw_output",
    "finish_reason",
    "prompt_tokens",
    "completion_tokens",
    "latency_ms",
    "status",
    "error",
    "run_id",
    "cost",
    "mode",
)


@dataclass(frozen=True)
class GeneratorRecord:
    """What made a row: backend, model (and its digest), prompt template, parameters."""

    backend: str
    model: str | None = None
    model_digest: str | None = None
    template_name: str | None = None
    template_version: str | None = None
    template_sha256: str | None = None
    template_text: str | None = field(default=None, compare=False)
    params: dict = field(default_factory=dict, compare=False)

    @property
    def generator_id(self) -> str:
        identity = {k: v for k, v in asdict(self).items() if k != "template_text"}
        digest = hashlib.sha256(json.dumps(identity, sort_keys=True, default=str).encode())
        return f"gen-{digest.hexdigest()[:16]}"


def register_generators(wh: Warehouse, generators: list[GeneratorRecord]) -> None:
    if not generators:
        return
    frame = pl.DataFrame(
        [
            {
                "generator_id": g.generator_id,
                **{k: v for k, v in asdict(g).items() if k != "params"},
                "params": json.dumps(g.params, sort_keys=True, default=str),
            }
            for g in {g.generator_id: g for g in generators}.values()
        ]
    )
    with wh.writer() as con:
        con.register("new_generators", frame.to_arrow())
        con.execute(sql("insert_generators"), [now()])


def log_calls(wh: Warehouse, calls: pl.DataFrame) -> None:
    """Append model calls (one row each, columns `CALL_COLUMNS`) to the call log."""
    if calls.is_empty():
        return
    with wh.writer() as con:
        con.register("new_calls", calls.select(CALL_COLUMNS).to_arrow())
        con.execute(
            "INSERT INTO model_calls BY NAME SELECT *, ?::TIMESTAMP AS created_at FROM new_calls",
            [now()],
        )


def cached_calls(wh: Warehouse, request_hashes: list[str]) -> pl.DataFrame:
    """The newest successful call for each of `request_hashes` that has one."""
    with wh.reader() as con:
        return con.sql(sql("cached_calls"), params=[request_hashes]).pl()


def record_publication(
    wh: Warehouse,
    corpus: str,
    version: int,
    path: str,
    row_count: int,
    manifest: dict,
    run_id: str | None,
) -> None:
    with wh.writer() as con:
        con.execute(
            "INSERT INTO publications VALUES (?, ?, ?, ?, ?::JSON, ?, ?)",
            [corpus, version, path, row_count, json.dumps(manifest, default=str), run_id, now()],
        )


def conversation_turns(row: dict) -> list[dict]:
    """A conversation row's turns, each with the model call and generator that wrote it
    (`attributes.turn_calls`/`turn_generators`; null for turns given by a seed)."""
    if row.get("kind") != "conversation" or not row.get("messages"):
        return []
    attributes = json.loads(row.get("attributes") or "{}") or {}
    calls = attributes.get("turn_calls") or []
    generators = attributes.get("turn_generators") or []
    turns = []
    for number, turn in enumerate(json.loads(row["messages"]), start=1):
        turns.append(
            {
                "turn": number,
                **turn,
                "call_id": calls[number - 1] if number <= len(calls) else None,
                "generator_id": generators[number - 1] if number <= len(generators) else None,
            }
        )
    return turns


def trace(wh: Warehouse, row_id: str, max_depth: int = 20) -> dict:
    """Everything the warehouse knows about `row_id`: where it occurs, its ancestry, its calls,
    its generator and every decision made about it (and about its ancestors)."""
    with wh.reader() as con:
        occurrences = con.sql(sql("trace_occurrences"), params=[row_id]).pl()
        if occurrences.is_empty():
            decisions = con.sql(sql("trace_decisions"), params=[[row_id]]).pl()
            return {"row_id": row_id, "found": False, "decisions": decisions.to_dicts()}
        row = con.sql(sql("trace_row"), params=[row_id]).pl().to_dicts()[0]
        ancestors: list[dict] = []
        frontier = [p for p in (row.get("parent_ids") or []) if p != row_id]
        seen = {row_id}
        for _ in range(max_depth):
            frontier = [p for p in frontier if p not in seen]
            if not frontier:
                break
            seen.update(frontier)
            parents = con.sql(sql("trace_rows"), params=[frontier]).pl().to_dicts()
            ancestors.extend(parents)
            frontier = [p for parent in parents for p in (parent.get("parent_ids") or [])]
        lineage_ids = [row_id, *[a["row_id"] for a in ancestors]]
        seed_ids = sorted({s for r in [row, *ancestors] for s in (r.get("seed_ids") or [])})
        call_ids = sorted({c for r in [row, *ancestors] for c in (r.get("call_ids") or [])})
        generator_ids = sorted(
            {r["generator_id"] for r in [row, *ancestors] if r.get("generator_id")}
        )
        return {
            "row_id": row_id,
            "found": True,
            "row": row,
            "turns": conversation_turns(row),
            "occurrences": occurrences.to_dicts(),
            "ancestors": ancestors,
            "seeds": con.sql(sql("trace_seeds"), params=[seed_ids]).pl().to_dicts(),
            "generators": con.sql(
                "SELECT * FROM generators WHERE list_contains(?, generator_id)",
                params=[generator_ids],
            )
            .pl()
            .to_dicts(),
            "calls": con.sql(sql("trace_calls"), params=[call_ids]).pl().to_dicts(),
            "decisions": con.sql(sql("trace_decisions"), params=[lineage_ids]).pl().to_dicts(),
        }
