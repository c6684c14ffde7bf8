"""What the quality gate reads: a version in chunks, with lineage-integrity columns added."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq

from warehouse.connection import Warehouse
from warehouse.corpora import table_of
from warehouse.queries import query_to_parquet, scalar, sql


def seed_ancestor(wh: Warehouse, corpus: str, version: int) -> int | None:
    """The seed version a corpus version descends from (itself for a seed version)."""
    if corpus == "seed":
        return version
    with wh.reader() as con:
        found = scalar(con, sql("seed_ancestor"), [corpus, version])
    return int(found) if found is not None else None


def audit_chunks(
    wh: Warehouse, corpus: str, version: int, chunk_rows: int
) -> Iterator[pl.DataFrame]:
    """The rows of a version in `row_id` order, `chunk_rows` at a time, each with
    `row_id_occurrences` (over the whole version) and `unresolved_seed_ids` (seed ids not in
    the seed version this one descends from). One query, written to a scratch Parquet file
    batch by batch, then read back a chunk at a time: neither the version nor the warehouse
    lock is held while the chunks are checked."""
    table = table_of(corpus)
    seed_version = seed_ancestor(wh, corpus, version)
    query = sql("audit_rows").replace("{table}", table)
    scratch = wh.home / "spill"
    scratch.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="audit-", dir=scratch) as folder:
        target = Path(folder) / "audit.parquet"
        with wh.reader() as con:
            query_to_parquet(
                con, query, {"version": version, "seed_version": seed_version}, target, chunk_rows
            )
        reader = pq.ParquetFile(target)
        seen = False
        for batch in reader.iter_batches(batch_size=chunk_rows):
            seen = True
            yield pl.from_arrow(batch)  # type: ignore[misc]
        if not seen:
            yield pl.from_arrow(reader.schema_arrow.empty_table())  # type: ignore[misc]


def version_row_count(wh: Warehouse, corpus: str, version: int) -> int:
    table = table_of(corpus)
    with wh.reader() as con:
        return int(scalar(con, f"SELECT count(*) FROM {table} WHERE version = ?", [version]))


def _columns(wh: Warehouse, table: str) -> set[str]:
    with wh.reader() as con:
        return {row[0] for row in con.execute(f"DESCRIBE {table}").fetchall()}


def version_distribution(
    wh: Warehouse,
    corpus: str,
    version: int,
    *,
    allowed_languages: list[str],
    min_confidence: float,
    verifiable: list[str],
) -> dict:
    """One version's distribution figures for the gates: row count, p50/p95 content length,
    verified share of verifiable methods, share of rows with a `lang` not confidently (score at
    least `min_confidence`, as the language filter decides) in a disallowed language,
    and judge-score mean/min; a figure is None where its column does not exist or no row
    has a value."""
    table = table_of(corpus)
    columns = _columns(wh, table)
    lang_share = (
        "avg((lang IN (SELECT unnest($allowed)) OR coalesce(lang_score, 0) < $min_confidence)"
        "::INTEGER) FILTER (WHERE lang IS NOT NULL)"
        if "lang" in columns
        else "NULL::DOUBLE"
    )
    judge = (
        "avg(judge_score) AS judge_mean, min(judge_score) AS judge_min"
        if "judge_score" in columns
        else "NULL::DOUBLE AS judge_mean, NULL::DOUBLE AS judge_min"
    )
    query = (
        sql("version_distribution")
        .replace("{table}", table)
        .replace("{lang_share}", lang_share)
        .replace("{judge}", judge)
    )
    params: dict = {"version": version, "verifiable": verifiable}
    if "lang" in columns:
        params["allowed"] = allowed_languages
        params["min_confidence"] = min_confidence
    with wh.reader() as con:
        row = con.sql(query, params=params).pl().to_dicts()[0]
    row["has_lang"] = "lang" in columns
    row["has_judge_score"] = "judge_score" in columns
    return row


def duplicate_rate(wh: Warehouse, corpus: str, version: int) -> float | None:
    table_of(corpus)
    with wh.reader() as con:
        rows = con.sql(
            sql("duplicate_rate"), params={"corpus": corpus, "version": version}
        ).fetchall()
    return float(rows[0][3]) if rows else None


def previous_promoted(wh: Warehouse, corpus: str, version: int) -> tuple[int, int] | None:
    """(version, row_count) of the newest promoted version of `corpus` older than `version`."""
    table_of(corpus)
    with wh.reader() as con:
        rows = con.execute(
            "SELECT version, row_count FROM corpus_versions "
            "WHERE corpus = ? AND version < ? AND status = 'promoted' "
            "ORDER BY version DESC LIMIT 1",
            [corpus, version],
        ).fetchall()
    return (int(rows[0][0]), int(rows[0][1])) if rows else None
