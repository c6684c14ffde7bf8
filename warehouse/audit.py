"""What the quality gate reads: per-expectation figures of a whole version as DuckDB
aggregates, the few rows they name, and the distribution figures of the gates."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from warehouse.connection import Warehouse
from warehouse.corpora import table_of
from warehouse.queries import scalar, sql


def seed_ancestor(wh: Warehouse, corpus: str, version: int) -> int | None:
    """The seed version a corpus version descends from (itself for a seed version)."""
    if corpus == "seed":
        return version
    with wh.reader() as con:
        found = scalar(con, sql("seed_ancestor"), [corpus, version])
    return int(found) if found is not None else None


# What makes a row break a column-map expectation, per kind of test, as a SQL predicate over
# the audited relation (`warehouse/sql/audit_rows.sql`). `{c}` is a quoted column name from the
# suite (never user input), `{p}` the rule's parameter prefix. Nulls break only `not_null`,
# as in great-expectations, whose column-map expectations skip missing values.
RULE_PREDICATES: dict[str, str] = {
    "not_null": "{c} IS NULL",
    "of_type_str": "{c} IS NOT NULL AND typeof({c}) <> 'VARCHAR'",
    "unique": "{c} IS NOT NULL AND count(*) OVER (PARTITION BY {c}) > 1",
    # The audited relation already counts each row id's occurrences: no second pass.
    "unique_row_id": "row_id_occurrences > 1",
    "in_set": "NOT list_contains(${p}values, {c})",
    "not_in_set": "list_contains(${p}values, {c})",
}
# Bounded tests: what is measured per row; a row breaks the rule below its min or above its
# max (an open bound checks nothing).
RULE_MEASURES: dict[str, str] = {"between": "{c}", "length_between": "length({c})"}
# Lineage-integrity columns the audited relation adds to a version's own columns.
AUDIT_COLUMNS = ("row_id_occurrences", "unresolved_seed_ids", "lineage_roots")


@dataclass(frozen=True)
class RowRule:
    """One column-map expectation in SQL terms: `test` is a key of `RULE_PREDICATES`; an
    open bound of `between`/`length_between` is None."""

    key: str
    test: str
    column: str
    min_value: float | None = None
    max_value: float | None = None
    values: tuple = ()


@dataclass(frozen=True)
class RuleFigure:
    """How many rows of a version break a rule, and the smallest of their row ids."""

    unexpected_count: int
    sample_row_ids: list[str]


@dataclass(frozen=True)
class RuleFigures:
    row_count: int
    figures: dict[str, RuleFigure]

    def sample_row_ids(self) -> list[str]:
        """Every rule's sampled offending row ids, once each."""
        return sorted({i for f in self.figures.values() for i in f.sample_row_ids})


# The rows `audit_rows` reads: those up to the spot sample's last row id, and those named.
NAMED_ROWS = "(row_id <= $last_spot_id OR list_contains($row_ids, row_id))"


def _audited(wh: Warehouse, corpus: str, version: int, rows: str = "true") -> tuple[str, dict]:
    """The audited relation of a version (its rows that match `rows`, a fixed predicate) as a
    subquery, and its parameters."""
    table = table_of(corpus)
    query = sql("audit_rows").replace("{table}", table).replace("{rows}", rows)
    return query, {"version": version, "seed_version": seed_ancestor(wh, corpus, version)}


def audit_columns(wh: Warehouse, corpus: str) -> set[str]:
    """The columns of the audited relation of `corpus`."""
    return (_columns(wh, table_of(corpus)) - {"version"}) | set(AUDIT_COLUMNS)


def _predicate(rule: RowRule, index: int, params: dict) -> str:
    """The rule's SQL predicate (true for an offending row); its parameters go to `params`."""
    prefix = f"r{index}_"
    if rule.test in RULE_MEASURES:
        sides = []
        if rule.min_value is not None:
            params[f"{prefix}min"] = rule.min_value
            sides.append(f"{RULE_MEASURES[rule.test]} < ${{p}}min")
        if rule.max_value is not None:
            params[f"{prefix}max"] = rule.max_value
            sides.append(f"{RULE_MEASURES[rule.test]} > ${{p}}max")
        predicate = " OR ".join(sides) or "false"
    else:
        test = "unique_row_id" if (rule.test, rule.column) == ("unique", "row_id") else rule.test
        predicate = RULE_PREDICATES[test]
        if "{p}values" in predicate:
            params[f"{prefix}values"] = list(rule.values)
    column = '"' + rule.column.replace('"', '""') + '"'
    return "(" + predicate.replace("{c}", column).replace("{p}", prefix) + ")"


def rule_figures(
    wh: Warehouse, corpus: str, version: int, rules: list[RowRule], sample_size: int
) -> RuleFigures:
    """Every rule's offending-row count and smallest `sample_size` offending row ids over the
    whole version, in one aggregate query: nothing of the version is held in memory."""
    relation, params = _audited(wh, corpus, version)
    if rules:
        params["sample_size"] = sample_size
    flags = [f"{_predicate(rule, i, params)} AS f{i}" for i, rule in enumerate(rules)]
    aggregates = [
        f"count(*) FILTER (WHERE f{i}) AS n{i}, min(row_id, $sample_size) FILTER (WHERE f{i}) "
        f"AS s{i}"
        for i in range(len(rules))
    ]
    query = (
        f"WITH audited AS ({relation}), "
        f"flagged AS (SELECT row_id{''.join(', ' + f for f in flags)} FROM audited) "
        f"SELECT count(*) AS row_count{''.join(', ' + a for a in aggregates)} FROM flagged"
    )
    with wh.reader() as con:
        row = con.sql(query, params=params).fetchall()[0]
    figures = {
        rule.key: RuleFigure(int(row[1 + 2 * i]), list(row[2 + 2 * i] or []))
        for i, rule in enumerate(rules)
    }
    return RuleFigures(int(row[0]), figures)


def audit_rows(
    wh: Warehouse, corpus: str, version: int, row_ids: list[str], spot_rows: int
) -> pl.DataFrame:
    """The audited rows named by `row_ids` plus the `spot_rows` with the smallest row ids (a
    pseudo-random sample: row ids are content hashes), in row id order. Only those rows are
    read past their row id."""
    table = table_of(corpus)
    relation, params = _audited(wh, corpus, version, NAMED_ROWS)
    with wh.reader() as con:
        last = scalar(
            con,
            f"SELECT max(row_id) FROM (SELECT row_id FROM {table} WHERE version = ? "
            "ORDER BY row_id LIMIT ?)",
            [version, spot_rows],
        )
        params.update(row_ids=row_ids, last_spot_id=last)
        return con.sql(f"{relation} ORDER BY row_id", params=params).pl()


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
    # Model scores a version may carry (the judge's and the reward model's), fixed names.
    judge = ", ".join(
        f"avg({column}) AS {prefix}_mean, min({column}) AS {prefix}_min"
        if column in columns
        else f"NULL::DOUBLE AS {prefix}_mean, NULL::DOUBLE AS {prefix}_min"
        for column, prefix in SCORE_COLUMNS.items()
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
    for column in SCORE_COLUMNS:
        row[f"has_{column}"] = column in columns
    return row


SCORE_COLUMNS = {"judge_score": "judge", "reward_score": "reward"}


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


def attribute_shares(wh: Warehouse, corpus: str, version: int) -> pl.DataFrame:
    """Per method, sampled attribute and value of one version: `rows`, `realized_share` among
    the method's rows with that attribute, and `target_share` (null where the sampler has no
    finite targets); values targeted and never drawn have 0 rows."""
    table = table_of(corpus)
    with wh.reader() as con:
        return con.sql(
            sql("version_attribute_shares").replace("{table}", table), params={"version": version}
        ).pl()
