"""A stage's steps on Spark, with the decisions, rows, funnel and statistics of `run_steps`.

- Consecutive row steps run as one Spark job: the version is cut into chunks of `chunk_rows`
  rows, one task each, and a task runs every step of the run on its chunk with the steps'
  own `apply` (`mapInArrow`). A row step's result for a row depends on that row alone, so
  chunks give the in-process result. Chunks travel as Arrow IPC bytes, so every column comes
  back with exactly its Polars type; the driver reads the tasks' output partition by
  partition (`toLocalIterator`), in chunk order.
- Statistics: each task reports `stats()` of its copy of each step that saw rows, and the
  driver merges them (`merge_stats`), as the local runner merges batches.
- Exact dedup keys rows on the executors (`ExactDedup.keys`) and clusters them with a Spark
  window; only the duplicates come back.
- The steps go to the executors once per job as a Spark broadcast of their executor copies
  (`RowStep.for_executors`): the embedding and lexical detectors compute their benchmark side
  (item vectors, fitted TF-IDF) here, once, and drop the warehouse; each task unpickles its
  own copy (its statistics are its own), and the model is loaded once per executor process
  (`embeddings._load` is a module-level cache keyed by model and device).
- Vectors a step's executor copy encodes (the cascade's candidates) come back with their chunk
  and go to the driver's warehouse cache (`RowStep.take_encoded`, `store_encoded`), as they
  would in process.
- Semantic dedup embeds on the executors (only texts missing from the warehouse cache, which
  this process reads and fills) and clusters once, here, with the in-process algorithm.
- A step that holds the warehouse (the call log: judge scores, the decontamination judge) runs
  in this process: the warehouse is a local DuckDB file. So do the other corpus steps (near
  dedup has its own `backend: spark`).
- Where each step ran is reported per step (`StageOutput.engines`): `spark executors` or
  `spark driver`.
"""

from __future__ import annotations

import io
import math
import pickle
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl
import pyarrow as pa

from assets.dedup.exact import ExactDedup
from assets.dedup.semantic import SemanticDedup
from assets.embeddings import Device, Embedder
from assets.models.context import ModelContext
from assets.spark_session import SparkConfig, spark_session, to_spark
from assets.steps import (
    SPARK_DRIVER,
    SPARK_EXECUTORS,
    RowStep,
    Step,
    apply_flags,
    merge_stats,
    no_decisions,
    no_flags,
    own_spark_backend,
)
from assets.stream import StageOutput, run_steps
from warehouse import Warehouse
from warehouse.rows import CONTENT_COLUMNS, DECISION_SCHEMA

if TYPE_CHECKING:
    from pyspark import Broadcast
    from pyspark.sql import DataFrame, SparkSession

# One record per (chunk, step) with its funnel counts and decisions, one per chunk with the rows
# it keeps, one per (task, step) with the step's statistics, one per (chunk, step) that encoded
# embeddings with them (for the driver's cache).
RECORD_SCHEMA = pa.schema(
    [
        ("chunk", pa.int64()),
        ("step", pa.int32()),
        ("kind", pa.string()),
        ("rows_in", pa.int64()),
        ("rows_out", pa.int64()),
        ("payload", pa.binary()),
    ]
)
RECORD_DDL = "chunk long, step int, kind string, rows_in long, rows_out long, payload binary"
KEYS_DDL = "position long, row_id string, cluster_id string"


class SparkStepError(RuntimeError):
    """A step that cannot run on Spark, or Spark output that breaks the engine's contract."""


def to_ipc(frame: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.write_ipc_stream(buffer)
    return buffer.getvalue()


def from_ipc(payload: bytes | bytearray) -> pl.DataFrame:
    return pl.read_ipc_stream(io.BytesIO(payload))


def to_vectors(encoded: tuple[list[str], np.ndarray]) -> bytes:
    """Cache keys and float32 vectors as Arrow IPC bytes (`take_encoded`)."""
    keys, vectors = encoded
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    frame = pl.DataFrame({"key": keys, "vector": vectors.reshape(len(keys), -1)})
    return to_ipc(frame)


def from_vectors(payload: bytes | bytearray) -> tuple[list[str], np.ndarray]:
    frame = from_ipc(payload)
    return frame["key"].to_list(), frame["vector"].to_numpy().astype(np.float32, copy=False)


def _holds_driver_state(step: Step) -> bool:
    return any(isinstance(value, Warehouse | ModelContext) for value in vars(step).values())


def runs_on_driver(step: Step) -> bool:
    """Whether `step` must run in this process: a corpus step, a row step with its own Spark
    backend, or one holding the warehouse (directly or through a model context), which
    executors cannot open, unless it makes a copy without it (`for_executors`)."""
    if not isinstance(step, RowStep) or getattr(step, "backend", None) == "spark":
        # A step with its own Spark backend submits its own jobs, from the driver.
        return True
    if type(step).for_executors is not RowStep.for_executors:
        return False
    return _holds_driver_state(step)


def engine_of(step: Step) -> str:
    """Where `step` runs on the Spark engine (`step_engines`): a step with its own Spark
    backend, a row step with an executor copy, exact and semantic dedup on the executors."""
    if own_spark_backend(step) or isinstance(step, ExactDedup | SemanticDedup):
        return SPARK_EXECUTORS
    return SPARK_DRIVER if runs_on_driver(step) else SPARK_EXECUTORS


def executor_copies(steps: Sequence[RowStep]) -> list[RowStep]:
    """What the executors run: each step's `for_executors` copy, which must not hold the
    warehouse."""
    copies = [step.for_executors() for step in steps]
    for copy in copies:
        if _holds_driver_state(copy):
            raise SparkStepError(
                f"step {copy.name!r} cannot run on Spark: its executor copy holds the warehouse"
            )
    return copies


def _record(
    chunk: int,
    step: int,
    kind: str,
    rows_in: int | None = None,
    rows_out: int | None = None,
    payload: bytes | None = None,
) -> dict[str, Any]:
    return {
        "chunk": chunk,
        "step": step,
        "kind": kind,
        "rows_in": rows_in,
        "rows_out": rows_out,
        "payload": payload,
    }


def chunk_runner(
    shipped: Broadcast[bytes],
) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """mapInArrow body: (chunk, payload) rows in; per chunk, every step applied in order.
    `shipped` broadcasts the pickled steps: each task unpickles its own copies, so statistics
    never carry over between tasks of a reused Python worker."""

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        steps: list[RowStep] = pickle.loads(shipped.value)
        saw_rows = [False] * len(steps)
        for batch in batches:
            for chunk, payload in zip(
                batch.column("chunk").to_pylist(), batch.column("payload").to_pylist(), strict=True
            ):
                rows = from_ipc(payload)
                records = []
                for index, step in enumerate(steps):
                    saw_rows[index] = saw_rows[index] or not rows.is_empty()
                    output = step.apply(rows)
                    decisions = None if output.decisions.is_empty() else to_ipc(output.decisions)
                    records.append(
                        _record(chunk, index, "step", rows.height, output.rows.height, decisions)
                    )
                    encoded = step.take_encoded()
                    if encoded is not None:
                        records.append(
                            _record(chunk, index, "vectors", payload=to_vectors(encoded))
                        )
                    rows = output.rows
                records.append(_record(chunk, -1, "rows", payload=to_ipc(rows)))
                yield pa.RecordBatch.from_pylist(records, schema=RECORD_SCHEMA)
        stats = [
            _record(-1, index, "stats", payload=pickle.dumps(step.stats()))
            for index, step in enumerate(steps)
            if saw_rows[index]
        ]
        if stats:
            yield pa.RecordBatch.from_pylist(stats, schema=RECORD_SCHEMA)

    return run


def key_runner(step: ExactDedup) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """mapInArrow body: each row's exact-dedup cluster key, with its position in the version."""

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            rows = pl.from_arrow(batch)
            assert isinstance(rows, pl.DataFrame)
            keys = step.keys(rows.cast({c: pl.String for c in CONTENT_COLUMNS}))
            yield pa.RecordBatch.from_pydict(
                {
                    "position": rows["position"].to_arrow(),
                    "row_id": keys["row_id"].to_arrow().cast(pa.string()),
                    "cluster_id": keys["cluster_id"].to_arrow().cast(pa.string()),
                }
            )

    return run


def _pickled(steps: Sequence[Step]) -> bytes:
    from pyspark import cloudpickle

    for step in steps:
        try:
            cloudpickle.dumps(step)
        except Exception as exc:  # noqa: BLE001  # any pickling failure means the same thing
            raise SparkStepError(
                f"step {step.name!r} cannot run on Spark: it cannot be sent to the executors "
                f"({type(exc).__name__}: {exc})"
            ) from exc
    return cloudpickle.dumps(list(steps))


def vector_runner(
    model: str, device: Device
) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """mapInArrow body: (chunk, payload of `position, text`) in; each text's normalized vector
    (float32 bytes) out, encoded by the executor process's one copy of the model."""

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        embedder = Embedder(model, device=device)
        for batch in batches:
            for payload in batch.column("payload").to_pylist():
                texts = from_ipc(payload)
                vectors = embedder.encode(texts["text"].to_list())
                yield pa.RecordBatch.from_pydict(
                    {
                        "position": texts["position"].to_arrow(),
                        "vector": pa.array([v.tobytes() for v in vectors], pa.binary()),
                    }
                )

    return run


def encode_on_spark(
    spark: SparkSession, texts: list[str], model: str, device: Device, chunk_rows: int
) -> np.ndarray:
    """`Embedder(model, device=device).encode(texts)`, chunk by chunk on the executors."""
    frame = pl.DataFrame(
        {"position": pl.int_range(len(texts), dtype=pl.Int64, eager=True), "text": texts},
        schema={"position": pl.Int64, "text": pl.String},
    )
    encoded = (
        _chunks(spark, frame, chunk_rows)
        .mapInArrow(vector_runner(model, device), "position long, vector binary")
        .toArrow()
        .sort_by("position")
    )
    if encoded.num_rows != len(texts):
        raise SparkStepError(f"{encoded.num_rows} vectors came back for {len(texts)} texts")
    flat = np.frombuffer(b"".join(encoded.column("vector").to_pylist()), dtype=np.float32)
    return flat.reshape(len(texts), -1).copy()


def semantic_dedup_on_spark(
    spark: SparkSession, rows: pl.DataFrame, step: SemanticDedup, chunk_rows: int
) -> pl.DataFrame:
    """`step.flag(rows)`: the rows' vectors through the warehouse cache, the missing ones
    encoded on the executors; clustering and the greedy pass once, here."""
    compared = step.compared(rows)
    if compared.height < 2:
        return no_flags()
    embedder = Embedder(step.config.model)

    def on_executors(texts: list[str]) -> np.ndarray:
        return encode_on_spark(spark, texts, step.config.model, "auto", chunk_rows)

    vectors = embedder.embed(step.wh, compared["content"].to_list(), encode=on_executors)
    step.encoded += embedder.encoded
    step.cache_hits += embedder.cache_hits
    order = compared["row_id"].arg_sort().to_numpy()
    return step.decide_vectors(compared["row_id"].gather(order), vectors[order]).flags


@dataclass
class _Segment:
    """What one Spark job of consecutive row steps gave back."""

    steps: Sequence[RowStep]
    rows: list[pl.DataFrame] = field(default_factory=list)
    decisions: list[list[pl.DataFrame]] = field(default_factory=list)
    counts: list[list[int]] = field(default_factory=list)
    stats: list[dict[str, Any] | None] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.decisions = [[] for _ in self.steps]
        self.counts = [[0, 0] for _ in self.steps]
        self.stats = [None for _ in self.steps]


def _chunks(spark: SparkSession, rows: pl.DataFrame, chunk_rows: int) -> DataFrame:
    payloads = [(i, to_ipc(chunk)) for i, chunk in enumerate(rows.iter_slices(chunk_rows))]
    # One chunk per partition: parallelize keeps the list's order, so partition i is chunk i.
    rdd = spark.sparkContext.parallelize(payloads, numSlices=len(payloads))
    return spark.createDataFrame(rdd, "chunk long, payload binary")


def run_row_steps(
    spark: SparkSession, rows: pl.DataFrame, steps: Sequence[RowStep], chunk_rows: int
) -> _Segment:
    """Run `steps` in order on every chunk of `rows` (not empty) on Spark."""
    shipped = spark.sparkContext.broadcast(_pickled(executor_copies(steps)))
    segment = _Segment(steps)
    output = _chunks(spark, rows, chunk_rows).mapInArrow(chunk_runner(shipped), RECORD_DDL)
    next_chunk = 0
    for record in output.toLocalIterator(prefetchPartitions=True):
        if record.kind == "rows":
            if record.chunk != next_chunk:
                raise SparkStepError(f"chunk {record.chunk} came back before chunk {next_chunk}")
            next_chunk += 1
            segment.rows.append(from_ipc(record.payload))
        elif record.kind == "vectors":
            # What the executors encoded goes to the driver's warehouse cache, as in process.
            steps[record.step].store_encoded(*from_vectors(record.payload))
        elif record.kind == "step":
            segment.counts[record.step][0] += record.rows_in
            segment.counts[record.step][1] += record.rows_out
            if record.payload is not None:
                segment.decisions[record.step].append(from_ipc(record.payload))
        else:
            task = pickle.loads(record.payload)
            seen = segment.stats[record.step]
            segment.stats[record.step] = task if seen is None else merge_stats(seen, task)
    shipped.destroy()
    return segment


def exact_dedup_on_spark(
    spark: SparkSession, rows: pl.DataFrame, step: ExactDedup, chunk_rows: int
) -> pl.DataFrame:
    """`step.flag(rows)`: keys on the executors, clusters by a Spark window; the flags come
    in the version's row order, as in process."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    frame = rows.select(
        pl.int_range(pl.len(), dtype=pl.Int64).alias("position"),
        "row_id",
        "kind",
        *CONTENT_COLUMNS,
    )
    partitions = max(1, math.ceil(rows.height / chunk_rows))
    keyed = to_spark(spark, frame).repartition(partitions).mapInArrow(key_runner(step), KEYS_DDL)
    cluster = Window.partitionBy("cluster_id")
    duplicates = (
        keyed.select(
            "position",
            "row_id",
            "cluster_id",
            F.min("row_id").over(cluster).alias("duplicate_of"),
            F.count(F.lit(1)).over(cluster).alias("cluster_size"),
        )
        .where(F.col("row_id") != F.col("duplicate_of"))
        .toArrow()
    )
    clustered = pl.from_arrow(duplicates)
    assert isinstance(clustered, pl.DataFrame)
    return step.duplicates(clustered.sort("position").drop("position"))


def _segments(steps: Sequence[Step]) -> Iterator[list[Step]]:
    """`steps` cut into runs of row steps that can run on executors, and single other steps."""
    run: list[Step] = []
    for step in steps:
        if runs_on_driver(step):
            if run:
                yield run
                run = []
            yield [step]
        else:
            run.append(step)
    if run:
        yield run


def _staged(decisions: pl.DataFrame, stage: str) -> pl.DataFrame:
    return (
        decisions.with_columns(pl.lit(stage).alias("stage"))
        .select(DECISION_SCHEMA.keys())
        .cast(DECISION_SCHEMA)
    )


def run_steps_on_spark(
    rows: pl.DataFrame,
    steps: Sequence[Step],
    stage: str,
    config: SparkConfig,
    chunk_rows: int,
) -> StageOutput:
    """`run_steps(rows, steps, stage)`, with row steps and exact dedup on Spark."""
    spark = spark_session(config)
    decisions = [pl.DataFrame(schema=DECISION_SCHEMA)]
    funnel: list[tuple[str, str, int, int]] = []
    stats: list[dict[str, Any]] = []
    engines: list[tuple[str, str]] = []
    for segment in _segments(steps):
        first = segment[0]
        on_executors = isinstance(first, ExactDedup | SemanticDedup) or not runs_on_driver(first)
        if rows.is_empty() or not on_executors:
            # What the local runner does, step by step (an empty version shapes its columns).
            for step in segment:
                local = run_steps(rows, [step], stage)
                decisions.append(local.decisions)
                funnel.extend(local.funnel.iter_rows())
                stats.append(step.stats())
                engines.append((step.name, engine_of(step) if rows.height else SPARK_DRIVER))
                rows = local.rows
        elif isinstance(first, ExactDedup | SemanticDedup):
            if isinstance(first, ExactDedup):
                flags = exact_dedup_on_spark(spark, rows, first, chunk_rows)
            else:
                flags = semantic_dedup_on_spark(spark, rows, first, chunk_rows)
            output = apply_flags(rows, flags)
            engines.append((first.name, SPARK_EXECUTORS))
            funnel.append((first.name, "corpus", rows.height, output.rows.height))
            decisions.append(_staged(output.decisions, stage))
            stats.append(first.stats())
            rows = output.rows
        else:
            row_steps = [step for step in segment if isinstance(step, RowStep)]
            ran = run_row_steps(spark, rows, row_steps, chunk_rows)
            for step, found, (rows_in, rows_out), merged in zip(
                row_steps, ran.decisions, ran.counts, ran.stats, strict=True
            ):
                funnel.append((step.name, "row", rows_in, rows_out))
                engines.append((step.name, SPARK_EXECUTORS))
                decisions.append(_staged(pl.concat(found) if found else no_decisions(), stage))
                # A step no task gave rows reports what it reports before any row.
                stats.append(step.stats() if merged is None else merged)
            kept = [chunk for chunk in ran.rows if not chunk.is_empty()]
            rows = pl.concat(kept) if kept else ran.rows[0]
    merged_stats: dict[str, Any] = {}
    for step_stats in stats:
        merged_stats = merge_stats(merged_stats, step_stats)
    return StageOutput(
        rows,
        pl.concat(decisions),
        merged_stats,
        pl.DataFrame(
            funnel,
            schema={
                "step": pl.String,
                "kind": pl.String,
                "rows_in": pl.Int64,
                "rows_out": pl.Int64,
            },
            orient="row",
        ),
        engines,
    )
