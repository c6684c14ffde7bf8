"""What every synthesis method receives and returns."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import polars as pl

from assets.models.context import ModelContext
from warehouse.lineage import GeneratorRecord
from warehouse.rows import (
    DECISION_SCHEMA,
    ROW_SCHEMA,
    conform,
    empty_decisions,
    empty_rows,
    with_row_ids,
)


def checked_pattern(pattern: str | None) -> str | None:
    """`pattern` if Polars (Rust regex syntax) compiles it; a ValueError names it otherwise."""
    if pattern is not None:
        try:
            pl.Series([""]).str.contains(pattern)
        except pl.exceptions.ComputeError as exc:
            raise ValueError(
                f"instruction_pattern {pattern!r} is not a regular expression: {exc}"
            ) from exc
    return pattern


PATTERN_DESCRIPTION = (
    "A regular expression (Rust regex syntax) the source instruction must contain, e.g. "
    "`^(Who|Which|In what year)` for short factual questions; null: every instruction."
)

SOURCES_DESCRIPTION = (
    "Where the method's input rows come from: `seed` (the current seed version) and/or the "
    "names of methods listed before this one (rows they made in the same run)."
)


@dataclass(kw_only=True)
class SynthesisContext(ModelContext):
    """A model context plus what methods share in one run: the time stamped on rows, the
    random seed, and the rows each method made."""

    created_at: datetime
    random_seed: int
    # Rows each method made earlier in this run, by method name: later methods that list the
    # method in their `sources` build on them (e.g. chain-of-thought over programmatic math).
    produced: dict[str, pl.DataFrame] = field(default_factory=dict)
    # The recipe's `synthesis.samplers` by name: what methods' `attributes` draw from.
    samplers: dict[str, Any] = field(default_factory=dict)

    def record_output(self, method: str, rows: pl.DataFrame) -> None:
        earlier = self.produced.get(method)
        self.produced[method] = rows if earlier is None else pl.concat([earlier, rows])

    def source_rows(self, sources: list[str], seeds: pl.DataFrame) -> pl.DataFrame:
        """Contract rows of the named sources (`seed`, or methods that ran earlier), with
        `origin_seed_ids`: the seed rows each descends from (a seed row descends from itself)."""
        frames = []
        for source in sources:
            if source == "seed":
                frame = (
                    conform(seeds)
                    .select(list(ROW_SCHEMA))
                    .with_columns(pl.concat_list("row_id").alias("origin_seed_ids"))
                )
            elif source in self.produced:
                frame = (
                    self.produced[source]
                    .select(list(ROW_SCHEMA))
                    .with_columns(pl.col("seed_ids").alias("origin_seed_ids"))
                )
            else:
                raise ValueError(
                    f"source {source!r} has not run before this method in the recipe's "
                    f"synthesis.methods (ran: {sorted(self.produced) or 'none'})"
                )
            frames.append(frame)
        return pl.concat(frames).unique("row_id", keep="first", maintain_order=True)

    def select_sources(
        self, sources: list[str], seeds: pl.DataFrame, where: pl.Expr, limit: int | None
    ) -> pl.DataFrame:
        """Rows of `sources` matching `where`, the first `limit` by row_id: the deterministic
        input of a method."""
        rows = self.source_rows(sources, seeds).filter(where).sort("row_id")
        return rows if limit is None else rows.head(limit)

    def source_instructions(
        self,
        sources: list[str],
        seeds: pl.DataFrame,
        task_types: list[str] | None,
        limit: int | None,
        pattern: str | None = None,
    ) -> pl.DataFrame:
        """Instruction rows of `sources` (of `task_types` and with an instruction matching the
        regular expression `pattern`, when given), the first `limit` by row_id: the input of
        methods that rework instructions."""
        where = (pl.col("kind") == "instruction") & pl.col("instruction").is_not_null()
        if task_types is not None:
            where = where & pl.col("task_type").is_in(task_types)
        if pattern is not None:
            where = where & pl.col("instruction").str.contains(pattern)
        return self.select_sources(sources, seeds, where, limit)


class CountsCalls(Protocol):
    """A cached model or a model session: how many calls it made and how many the cache
    answered."""

    new_calls: int
    cache_hits: int


@dataclass
class MethodOutput:
    """Rows a method made (conformed, with row ids), the candidates it rejected, and the
    generators it used."""

    rows: pl.DataFrame = field(default_factory=empty_rows)
    rejections: pl.DataFrame = field(default_factory=empty_decisions)
    generators: list[GeneratorRecord] = field(default_factory=list)
    model_calls: int = 0
    cached_calls: int = 0

    @classmethod
    def made(
        cls,
        rows: pl.DataFrame,
        rejected: list[dict],
        generators: list[GeneratorRecord],
        callers: Iterable[CountsCalls] = (),
    ) -> MethodOutput:
        """The output of a method: its rows, rejected candidates as decisions, and the calls
        of every model and judge it used, summed."""
        callers = list(callers)
        return cls(
            rows=rows,
            rejections=rejections_from_records(rejected),
            generators=generators,
            model_calls=sum(c.new_calls for c in callers),
            cached_calls=sum(c.cache_hits for c in callers),
        )


def rows_from_records(records: list[dict], ctx: SynthesisContext) -> pl.DataFrame:
    """Turn generated row dicts into contract rows stamped with the run's lineage."""
    if not records:
        return empty_rows()
    return rows_from_frame(pl.DataFrame(records, infer_schema_length=None), ctx)


def rows_from_frame(frame: pl.DataFrame, ctx: SynthesisContext) -> pl.DataFrame:
    """`rows_from_records` for rows already in a frame."""
    frame = frame.with_columns(
        pl.lit(ctx.run_id).alias("run_id"), pl.lit(ctx.created_at).alias("created_at")
    )
    return with_row_ids(conform(frame))


def rejections_from_records(records: list[dict]) -> pl.DataFrame:
    """Decision rows for candidates a method threw away before they became rows."""
    if not records:
        return empty_decisions()
    return pl.DataFrame(
        [
            {
                "row_id": r["row_id"],
                "stage": "synthesized",
                "rule": r["rule"],
                "action": "drop",
                "score": r.get("score"),
                "evidence": json.dumps(r.get("evidence", {}), default=str),
            }
            for r in records
        ],
        schema=DECISION_SCHEMA,
    )
