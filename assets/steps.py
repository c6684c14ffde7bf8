"""The one step interface of the filtered and decontaminated stages, and the runner of a stage.

A stage is a list of steps of two kinds:

- a `RowStep` sees one batch of rows and returns the rows it keeps (possibly rewritten, e.g.
  redacted, or annotated with new columns) and its decisions. Its result for a row depends on
  that row alone, so any split into batches gives the same result: the local runner can
  stream batches and Spark can run it in `mapInArrow`. It keeps no state between batches
  except its statistics, which add up over batches (`merge_stats`).
- a `CorpusStep` needs the whole version (dedup, detectors that weigh rows by the corpus's
  IDF). Its `state` declares the compact per-row state it keeps of a version (hashes,
  signatures, embeddings), never whole rows, so a streaming engine can collect it batch by
  batch.

A step's decisions are `row_id, rule, action, score, evidence` (`STEP_DECISION_SCHEMA`); the
runner adds the stage. A rule that only flags rows to drop subclasses `RowFilter` (or
`CorpusFilter`) and implements `flag`. `stats()` returns the step's statistics as
materialization metadata entries (`{"pii": {...}}`); most steps have none.

Every step class, built-in or plug-in, is built one way: it declares its settings as a pydantic
`Config` model and `config_key`, its key under the stage's recipe section, and the classmethod
`from_config(config, run)` builds its steps from that config and the run's `RunContext` (none
when the config turns it off; several when one config drives several steps). The registries
(assets/registry.py) list the classes in stage order, and the recipe's sections are assembled
from their `Config` models (assets/recipe/sections.py).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import polars as pl
from pydantic import BaseModel

from assets.run_context import RunContext
from warehouse.rows import DECISION_SCHEMA

if TYPE_CHECKING:
    import numpy as np

    from assets.spill import Spill

STEP_DECISION_SCHEMA: dict[str, pl.DataType] = {
    name: dtype for name, dtype in DECISION_SCHEMA.items() if name != "stage"
}
FLAG_SCHEMA: dict[str, pl.DataType] = {
    "row_id": pl.String(),
    "rule": pl.String(),
    "score": pl.Float64(),
    "evidence": pl.String(),
}


def no_decisions() -> pl.DataFrame:
    return pl.DataFrame(schema=STEP_DECISION_SCHEMA)


def no_flags() -> pl.DataFrame:
    return pl.DataFrame(schema=FLAG_SCHEMA)


@dataclass(frozen=True)
class StepOutput:
    """The rows a step keeps and its decisions (`STEP_DECISION_SCHEMA`)."""

    rows: pl.DataFrame
    decisions: pl.DataFrame = field(default_factory=no_decisions)


class Step(ABC):
    """One step of a stage; `name` names it in errors and, for filters, in decisions.

    `Config` is the model of its recipe settings, `config_key` its key under the stage's
    recipe section; `legacy_keys` maps older flat keys of that section to fields of `Config`
    (they keep old recipes valid)."""

    name: str
    Config: ClassVar[type[BaseModel]]
    config_key: ClassVar[str]
    legacy_keys: ClassVar[dict[str, str]] = {}

    @classmethod
    def from_config(cls, config: Any, run: RunContext) -> list[Step]:
        """The steps `config` asks for: by default one built from the config alone, none when
        it says `enabled: false`."""
        return [cls(config)] if getattr(config, "enabled", True) else []  # type: ignore[call-arg]

    @abstractmethod
    def apply(self, rows: pl.DataFrame) -> StepOutput:
        """The rows kept and the decisions taken."""

    def stats(self) -> dict[str, Any]:
        """Statistics over every batch seen so far, as metadata entries."""
        return {}


class RowStep(Step):
    """A step whose result for a row depends on that row alone (see the module docstring)."""

    def for_executors(self) -> RowStep | None:
        """This step as Spark executors run it (None: it runs in the driver process). A step
        that holds what executors cannot reach (the warehouse) returns a copy without it, with
        its corpus-level parts (benchmark item vectors) computed here, once: they are
        broadcast with the copy. By default the step itself."""
        return self

    def take_encoded(self) -> tuple[list[str], np.ndarray] | None:
        """On an executor copy, after `apply`: the embeddings that call encoded (cache keys,
        vectors), which the driver stores through `store_encoded` of the step it copied;
        None when it encoded none. By default none."""
        return None

    def store_encoded(self, keys: list[str], vectors: np.ndarray) -> None:
        """On the driver: keep what an executor copy of this step encoded (`take_encoded`)."""
        raise NotImplementedError(f"step {self.name!r} keeps no vectors from its executors")


@dataclass(frozen=True)
class CorpusState:
    """The compact per-row state a corpus step keeps of a version: `columns` (with `row_id`)
    is what a streaming engine collects from every batch before the step decides."""

    columns: dict[str, pl.DataType]
    description: str


@dataclass(frozen=True)
class CorpusDecision:
    """What a corpus step decided over a whole version: the rows to drop (`FLAG_SCHEMA`) and,
    for a step that annotates rows, new columns by `row_id` (rows without one get nulls)."""

    flags: pl.DataFrame = field(default_factory=lambda: no_flags())
    annotations: pl.DataFrame | None = None

    def applied_to(self, rows: pl.DataFrame) -> StepOutput:
        """One batch of the version with the decision applied (its decisions included)."""
        if self.annotations is not None:
            rows = rows.join(self.annotations, on="row_id", how="left", maintain_order="left")
        if self.flags.is_empty():
            return StepOutput(rows)
        return apply_flags(rows, self.flags.join(rows.select("row_id"), on="row_id", how="semi"))


class CorpusStep(Step):
    """A step that needs the whole version; `state` declares what it keeps per row.

    A streamed corpus step (`streamed = True`) sees the version batch by batch in `observe`,
    keeping only its compact state in the stage's `Spill` (a DuckDB table, a memory-mapped
    array), then `decide`s once every batch was seen; the runner applies the decision to the
    batches as they stream on. A step that is not streamed gets the whole version in `apply`
    (the runner gathers it in memory: fine for small versions, not for millions of rows)."""

    state: ClassVar[CorpusState]
    streamed: ClassVar[bool] = False

    def observe(self, batch: pl.DataFrame, spill: Spill) -> None:
        """Keep the compact state of one batch of the version in `spill`."""
        raise NotImplementedError(f"{self.name} is not a streamed corpus step")

    def decide(self, spill: Spill) -> CorpusDecision:
        """The decision over every batch observed."""
        raise NotImplementedError(f"{self.name} is not a streamed corpus step")

    def decide_whole(self, rows: pl.DataFrame) -> CorpusDecision:
        """A streamed step's decision on a version held in memory (one batch)."""
        from assets.spill import Spill

        with Spill.temporary() as spill:
            if rows.height:
                self.observe(rows, spill)
            return self.decide(spill)


def drops(flagged: pl.DataFrame) -> pl.DataFrame:
    """`flag` output (`row_id, rule, score, evidence`) as drop decisions."""
    return (
        flagged.with_columns(pl.lit("drop").alias("action"))
        .select(STEP_DECISION_SCHEMA.keys())
        .cast(STEP_DECISION_SCHEMA)
    )


def apply_flags(rows: pl.DataFrame, flagged: pl.DataFrame) -> StepOutput:
    """Drop the flagged rows; a row flagged by several rules of the step gets each decision."""
    if flagged.is_empty():
        return StepOutput(rows)
    return StepOutput(rows.join(flagged.select("row_id"), on="row_id", how="anti"), drops(flagged))


class RowFilter(RowStep):
    """A row rule that flags the rows to drop."""

    @abstractmethod
    def flag(self, rows: pl.DataFrame) -> pl.DataFrame:
        """The rows to drop: `row_id`, `rule`, `score` (float or null), `evidence` (JSON)."""

    def apply(self, rows: pl.DataFrame) -> StepOutput:
        return apply_flags(rows, self.flag(rows))


class CorpusFilter(CorpusStep):
    """A corpus rule (dedup) that flags the rows to drop, reading the whole version; a
    streamed one implements `observe` and `decide` instead of `flag`."""

    def flag(self, rows: pl.DataFrame) -> pl.DataFrame:
        """The rows to drop: `row_id`, `rule`, `score` (float or null), `evidence` (JSON)."""
        if not self.streamed:
            raise NotImplementedError(f"{self.name}: a corpus filter implements flag")
        return self.decide_whole(rows).flags

    def apply(self, rows: pl.DataFrame) -> StepOutput:
        return apply_flags(rows, self.flag(rows))


# Where a step ran (`step_engines` of a version): this process with the local engine, the
# Spark driver process, or Spark executors (the step's row-local work left the driver).
LOCAL, SPARK_DRIVER, SPARK_EXECUTORS = "local", "spark driver", "spark executors"


def own_spark_backend(step: Step) -> bool:
    """Whether `step` submits its own Spark jobs (`backend: spark`: near dedup, n-gram
    overlap), on either engine."""
    config = getattr(step, "config", None)
    return "spark" in (getattr(step, "backend", None), getattr(config, "backend", None))


def merge_stats(left: dict[str, Any], right: dict[str, Any]) -> dict[str, Any]:
    """Statistics of two batches as one: numbers add, dicts merge key by key, anything else
    (a model name, a generator id) must be equal."""
    merged = dict(left)
    for key, value in right.items():
        if key not in merged:
            merged[key] = value
        elif isinstance(value, dict) and isinstance(merged[key], dict):
            merged[key] = merge_stats(merged[key], value)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            merged[key] = merged[key] + value
        elif merged[key] != value:
            raise ValueError(
                f"statistic {key!r} differs between batches: {merged[key]!r}, {value!r}"
            )
    return merged
