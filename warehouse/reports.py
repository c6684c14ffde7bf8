"""Read-only queries behind quality reports: funnels, dropped samples, scores, contamination,
generators and yield."""

from __future__ import annotations

import polars as pl

from warehouse.connection import Warehouse
from warehouse.corpora import table_of, version_info
from warehouse.queries import scalar, sql


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


def decision_scores(
    wh: Warehouse, corpus: str, version: int, per_rule: int | None = None
) -> pl.DataFrame:
    """Numeric decision scores of a version (`rule, score`); with `per_rule`, those of the
    rule's decisions with the smallest row ids only (a fixed-size sample for plots)."""
    with wh.reader() as con:
        return con.sql(
            sql("report_decision_scores"),
            params={"corpus": corpus, "version": version, "per_rule": per_rule},
        ).pl()


def contamination(wh: Warehouse, version: int) -> pl.DataFrame:
    """Rows a decontaminated version dropped, per benchmark and generator, with what each
    detector fired on: that version's rows of the `contamination_report` view."""
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


def version_dropped_count(wh: Warehouse, corpus: str, version: int) -> int:
    """Distinct rows a version dropped or quarantined."""
    with wh.reader() as con:
        return int(scalar(con, sql("version_dropped_count"), [corpus, version]) or 0)


def decisions_by_rule(wh: Warehouse, corpus: str, version: int) -> dict[str, int]:
    """Decisions of a version per `action:rule`, most frequent first."""
    with wh.reader() as con:
        counts = con.execute(sql("decisions_by_rule"), [corpus, version]).fetchall()
    return {f"{action}:{rule}": int(n) for action, rule, n in counts}


# The rows of a version with the `limit` smallest row ids. The last such row id is found on the
# row id column alone, so only the sampled rows are read whole: about 2.5 times less work than
# a plain top-N at a million rows.
VERSION_SAMPLE_SQL = """
SELECT * EXCLUDE (version) FROM {table}
WHERE version = $version AND row_id <= (
    SELECT max(row_id) FROM (
        SELECT row_id FROM {table} WHERE version = $version ORDER BY row_id LIMIT $limit
    )
)
ORDER BY row_id LIMIT $limit
"""


def version_sample(wh: Warehouse, corpus: str, version: int, limit: int) -> pl.DataFrame:
    """The `limit` rows of a version with the smallest row ids: row ids are content hashes,
    so this is a pseudo-random sample that changes only with the content (in SQL: the
    version is never read into memory)."""
    table = table_of(corpus)
    with wh.reader() as con:
        return con.sql(
            VERSION_SAMPLE_SQL.replace("{table}", table),
            params={"version": version, "limit": limit},
        ).pl()


def category_counts(wh: Warehouse, corpus: str, version: int, column: str) -> pl.DataFrame:
    """Rows of a version per value of `column` (`task_type` or `method`), nulls as `(none)`."""
    if column not in ("task_type", "method"):
        raise ValueError(f"no category counts for column {column!r}")
    table = table_of(corpus)
    with wh.reader() as con:
        return con.sql(
            f"SELECT coalesce({column}, '(none)') AS {column}, count(*) AS len FROM {table} "
            f"WHERE version = $version GROUP BY ALL ORDER BY len DESC, {column}",
            params={"version": version},
        ).pl()


def rows_by_generator(wh: Warehouse, corpus: str, version: int) -> pl.DataFrame:
    """Rows of a version per `generator_id, method` (`len`), by generator."""
    table = table_of(corpus)
    with wh.reader() as con:
        return con.sql(
            f"SELECT generator_id, method, count(*)::UINTEGER AS len FROM {table} "
            "WHERE version = $version GROUP BY ALL ORDER BY generator_id, method",
            params={"version": version},
        ).pl()


def run_spend(wh: Warehouse, run_id: str) -> list[dict]:
    """Calls, tokens and cost of a run's new model calls, per mode (online, batch)."""
    with wh.reader() as con:
        return con.sql(sql("run_spend"), params=[run_id]).pl().to_dicts()


def run_batches(wh: Warehouse, run_id: str) -> list[dict]:
    """The provider batches a run submitted, with their state and counts."""
    with wh.reader() as con:
        return con.sql(sql("run_batches"), params=[run_id]).pl().to_dicts()
