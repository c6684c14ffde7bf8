"""The drop funnel: rows in and out of each corpus version and what each rule removed."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from quality.tables import cell
from warehouse.connection import Warehouse
from warehouse.reports import funnel, version_chain


@dataclass(frozen=True)
class Funnel:
    stages: pl.DataFrame  # label, corpus, version, status, rows_in, dropped, rows_out
    reasons: pl.DataFrame  # corpus, version, stage, rule, action, rows

    def as_dict(self) -> dict:
        return {
            "stages": self.stages.to_dicts(),
            "reasons": self.reasons.to_dicts(),
        }


def build_funnel(wh: Warehouse, versions: list[tuple[str, int]]) -> Funnel:
    frame = funnel(wh, versions)
    stages = (
        frame.group_by("corpus", "version", maintain_order=True)
        .agg(pl.first("status"), pl.first("rows_in"), pl.first("dropped"), pl.first("rows_out"))
        .select(
            (pl.col("corpus") + pl.lit(" v") + pl.col("version").cast(pl.String)).alias("label"),
            "corpus",
            "version",
            "status",
            "rows_in",
            "dropped",
            "rows_out",
        )
    )
    reasons = frame.drop_nulls("rule").select(
        "corpus", "version", "stage", "rule", "action", pl.col("rule_rows").alias("rows")
    )
    return Funnel(stages, reasons)


def chain_funnel(wh: Warehouse, corpus: str, version: int) -> Funnel:
    """The funnel across `corpus` v`version` and every version upstream of it."""
    chain = version_chain(wh, corpus, version)
    return build_funnel(wh, [(v["corpus"], v["version"]) for v in chain])


def funnel_markdown(f: Funnel) -> str:
    """Rows in → (rule: rows) → rows out, one line per version."""
    lines = ["| version | rows in | dropped by rule | rows out |", "|---|---|---|---|"]
    for stage in f.stages.iter_rows(named=True):
        rules = f.reasons.filter(
            (pl.col("corpus") == stage["corpus"]) & (pl.col("version") == stage["version"])
        )
        described = ", ".join(
            f"{cell(r['rule'])} ({r['action']}): {r['rows']}" for r in rules.iter_rows(named=True)
        )
        lines.append(
            f"| {stage['label']} | {stage['rows_in']} | {described or 'none'} | {stage['rows_out']} |"
        )
    return "\n".join(lines)
