"""Read-only queries behind quality reports: funnels, dropped samples, scores, contamination,
generators and yield."""

from __future__ import annotations

import polars as pl

from warehouse.connection import Warehouse
from warehouse.corpora import table_of, version_info
from warehouse.queries import sql


def version_chain(wh: Warehouse, corpus: str, version: int) -> list[dict]:
    """The version and every version it was built from, transitively, upstream first."""
    chain: list[dict] = []
    seen: set[tuple[str, int]] = set()
    frontier = [(corpus, version)]
    while frontier:
        key = frontier.pop()
        if key in seen:
            continue
        seen.add(key)
        info = version_info(wh, *key)
        if info is None:
            continue
        chain.append(info)
        frontier.extend((p["corpus"], p["version"]) for p in info.get("parent_versions") or [])
    return list(reversed(chain))


def funnel(wh: Warehouse, versions: list[tuple[str, int]]) -> pl.DataFrame:
    """One row per (version, rule): rows in, rows out, rows each rule dropped or merged."""
    wanted = [{"corpus": c, "version": v} for c, v in versions]
    with wh.reader() as con:
        return con.sql(sql("report_funnel"), params=[wanted]).pl()


def dropped_sample(wh: Warehouse, corpus: str, version: int, per_rule: int) -> pl.DataFrame:
    table_of(corpus)
    with wh.reader() as con:
        return con.sql(
            sql("report_dropped_sample"),
            params={"corpus": corpus, "version": version, "per_rule": per_rule},
        ).pl()


def decision_scores(wh: Warehouse, corpus: str, version: int) -> pl.DataFrame:
    with wh.reader() as con:
        return con.sql(sql("report_decision_scores"), params=[corpus, version]).pl()


def contamination(wh: Warehouse, version: int) -> pl.DataFrame:
    """Rows a decontaminated version dropped, per benchmark, rule and generator."""
    with wh.reader() as con:
        return con.sql(sql("report_contamination"), params={"version": version}).pl()


def generators_of(wh: Warehouse, corpus: str, version: int) -> pl.DataFrame:
    table_of(corpus)
    with wh.reader() as con:
        return con.sql(sql("report_generators"), params=[corpus, version]).pl()


def generator_yield(wh: Warehouse) -> pl.DataFrame:
    """The `generator_yield` view: per generator, over the current versions."""
    with wh.reader() as con:
        return con.sql("SELECT * FROM generator_yield ORDER BY generated DESC").pl()


def seed_sources(wh: Warehouse, decontaminated_version: int) -> pl.DataFrame:
    """Seed sources (and how many of their rows) a decontaminated version descends from."""
    with wh.reader() as con:
        return con.sql(sql("report_seed_sources"), params=[decontaminated_version]).pl()
