"""The streamed runner of a stage's steps: batches in, batches out, bounded memory.

Steps run in order, each on what the previous ones kept, so a dropped row carries the decision
of the first rule that caught it. Consecutive row steps run batch by batch. A corpus step splits
the stage: the batches reaching it are held (spilled to Parquet) while it observes them, it
decides once all are seen, and the held batches stream on through its decision. What reaches the
end, and every decision on the way, goes to `emit` batch by batch (a `VersionWriter` in a
stage asset, lists in `run_steps`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import polars as pl
from pydantic import Field

from assets.spill import Spill
from assets.steps import (
    LOCAL,
    SPARK_EXECUTORS,
    CorpusStep,
    RowStep,
    Step,
    StepOutput,
    merge_stats,
    own_spark_backend,
)
from assets.turn_evidence import name_turns
from warehouse.rows import DECISION_SCHEMA
from warehouse.settings import Strict

FUNNEL_SCHEMA = {"step": pl.String, "kind": pl.String, "rows_in": pl.Int64, "rows_out": pl.Int64}

# Where kept rows and decisions go: `emit(rows, decisions)`, either may be None.
Emit = Callable[[pl.DataFrame | None, pl.DataFrame | None], None]


class StreamingConfig(Strict):
    """How stages stream a version: rows per batch read from the warehouse and passed through
    row steps. Results do not depend on it (so it is not part of the recipe's hash); memory
    grows with it."""

    batch_rows: int = Field(default=50_000, gt=0, le=10_000_000)


class HeldBatches(Protocol):
    """Batches held while a corpus step observes them, read back in the order written."""

    rows: int

    def write(self, batch: pl.DataFrame) -> None: ...

    def read(self) -> Iterator[pl.DataFrame]: ...


class MemoryBatches:
    """Held batches kept in memory (a version that is already in memory)."""

    def __init__(self) -> None:
        self.held: list[pl.DataFrame] = []
        self.rows = 0

    def write(self, batch: pl.DataFrame) -> None:
        self.held.append(batch)
        self.rows += batch.height

    def read(self) -> Iterator[pl.DataFrame]:
        yield from self.held


@dataclass(frozen=True)
class StreamSummary:
    """The steps' merged statistics, the funnel (rows in and out of each step) and the rows
    that reached the end."""

    stats: dict[str, Any]
    funnel: pl.DataFrame
    rows_out: int
    # Per step, in order: where it ran (`local`, `spark driver`, `spark executors`).
    engines: list[tuple[str, str]] = field(default_factory=list)


def _staged(decisions: pl.DataFrame, stage: str) -> pl.DataFrame:
    return (
        decisions.with_columns(pl.lit(stage).alias("stage"))
        .select(DECISION_SCHEMA.keys())
        .cast(DECISION_SCHEMA)
    )


def _segments(steps: Sequence[Step]) -> list[tuple[list[RowStep], CorpusStep | None]]:
    """The steps as runs of row steps, each ended by a corpus step (the last by none)."""
    segments: list[tuple[list[RowStep], CorpusStep | None]] = []
    run: list[RowStep] = []
    for step in steps:
        if isinstance(step, RowStep):
            run.append(step)
        elif isinstance(step, CorpusStep):
            segments.append((run, step))
            run = []
        else:
            raise TypeError(f"step {step.name!r} is neither a RowStep nor a CorpusStep")
    segments.append((run, None))
    return segments


def stream_steps(
    source: Iterable[pl.DataFrame],
    steps: Sequence[Step],
    stage: str,
    emit: Emit,
    spill: Spill,
    hold: Callable[[], HeldBatches] | None = None,
) -> StreamSummary:
    """Run `steps` over the batches of `source` (at least one, possibly empty); corpus steps
    see none of the version once it is empty. `hold` makes the store of batches waiting for a
    corpus step (default: Parquet files in `spill`)."""
    funnel: list[list[Any]] = []
    rows_out = 0
    batches: Iterable[pl.DataFrame] = source
    for index, (row_steps, corpus) in enumerate(_segments(steps)):
        entries = [[step.name, "row", 0, 0] for step in row_steps]
        funnel.extend(entries)
        held = hold() if hold is not None else spill.batches_folder(f"held-{index}")
        for batch in batches:
            # One contiguous chunk per column: Polars 2.1 panics ("i < self.len()") in a string
            # expression of self_contradiction on a slice of a frame made of several chunks
            # (a version concatenated, then cut into batches). A no-op for one chunk.
            batch = batch.rechunk()
            decisions = []
            for step, entry in zip(row_steps, entries, strict=True):
                entry[2] += batch.height
                output = step.apply(batch)
                if not output.decisions.is_empty():
                    decisions.append(_staged(name_turns(output.decisions, batch), stage))
                batch = output.rows
                entry[3] += batch.height
            decided = pl.concat(decisions) if decisions else None
            if corpus is None:
                rows_out += batch.height
                emit(batch, decided)
                continue
            if decided is not None:
                emit(None, decided)
            if corpus.streamed and batch.height:
                corpus.observe(batch, spill)
            held.write(batch)
        if corpus is None:
            break
        batches = _decided(corpus, held, spill, stage, emit, funnel)
    stats: dict[str, Any] = {}
    for step in steps:
        stats = merge_stats(stats, step.stats())
    # A step with its own Spark backend (near dedup, n-gram overlap) runs on executors anyway.
    engines = [(step.name, SPARK_EXECUTORS if own_spark_backend(step) else LOCAL) for step in steps]
    return StreamSummary(
        stats, pl.DataFrame(funnel, schema=FUNNEL_SCHEMA, orient="row"), rows_out, engines
    )


def _decided(
    corpus: CorpusStep,
    held: HeldBatches,
    spill: Spill,
    stage: str,
    emit: Emit,
    funnel: list[list[Any]],
) -> Iterator[pl.DataFrame]:
    """The held batches after the corpus step's decision (unchanged when none reached it)."""
    if held.rows == 0:
        return held.read()
    entry: list[Any] = [corpus.name, "corpus", held.rows, 0]
    funnel.append(entry)
    if corpus.streamed:
        decision = corpus.decide(spill)
        outputs: Iterable[tuple[pl.DataFrame, StepOutput]] = (
            (batch, decision.applied_to(batch)) for batch in held.read()
        )
    else:
        # Not streamed: the step needs the whole version in memory.
        whole = pl.concat(list(held.read()), how="diagonal_relaxed")
        outputs = [(whole, corpus.apply(whole))]
    return _counted(outputs, entry, stage, emit)


def _counted(
    outputs: Iterable[tuple[pl.DataFrame, StepOutput]], entry: list[Any], stage: str, emit: Emit
) -> Iterator[pl.DataFrame]:
    # Steps read a conversation through its transcript; its decisions name the turn.
    for rows_in, output in outputs:
        entry[3] += output.rows.height
        if not output.decisions.is_empty():
            emit(None, _staged(name_turns(output.decisions, rows_in), stage))
        yield output.rows


@dataclass(frozen=True)
class StageOutput:
    """The rows kept, every decision (with its stage), the steps' merged statistics, and the
    funnel: rows in and out of each step, in order."""

    rows: pl.DataFrame
    decisions: pl.DataFrame
    stats: dict[str, Any]
    funnel: pl.DataFrame
    # Per step, in order: where it ran (`local`, `spark driver`, `spark executors`).
    engines: list[tuple[str, str]] = field(default_factory=list)


def batches(rows: pl.DataFrame, batch_rows: int | None) -> Iterator[pl.DataFrame]:
    """`rows` in slices of `batch_rows` (all at once when None); an empty frame is one batch,
    so a row step still shapes the columns of an empty version."""
    if batch_rows is None or rows.height <= batch_rows:
        yield rows
        return
    yield from rows.iter_slices(batch_rows)


def run_steps(
    rows: pl.DataFrame, steps: Sequence[Step], stage: str, batch_rows: int | None = None
) -> StageOutput:
    """The streamed runner (`stream_steps`) on a version held in memory: row
    steps see batches of `batch_rows` (None: the whole version), corpus steps decide over the
    whole version; the rows kept and decisions come back as frames."""
    kept: list[pl.DataFrame] = []
    decided: list[pl.DataFrame] = [pl.DataFrame(schema=DECISION_SCHEMA)]

    def emit(out: pl.DataFrame | None, decisions: pl.DataFrame | None) -> None:
        if out is not None:
            kept.append(out)
        if decisions is not None and not decisions.is_empty():
            decided.append(decisions)

    with Spill.temporary() as spill:
        summary = stream_steps(
            batches(rows, batch_rows), steps, stage, emit, spill, hold=MemoryBatches
        )
    return StageOutput(
        pl.concat(kept, how="diagonal_relaxed") if len(kept) > 1 else kept[0],
        pl.concat(decided),
        summary.stats,
        summary.funnel,
        summary.engines,
    )
