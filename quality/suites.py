"""Great-expectations suites per corpus. GX has no Polars source and its SQL path fails on
DuckDB, so a version's row suite is judged in two parts: each column-map expectation's figures
over the whole version come from one DuckDB aggregate (`warehouse.audit.rule_figures`), and GX
validates the rows those figures name plus a fixed spot sample, as pandas; an expectation
passes only when both find no offending row. great_expectations is imported on first use
only: it costs about five seconds, which definition loading must not pay."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import polars as pl

from quality.gates import QualityConfig
from warehouse.audit import RowRule, RuleFigures
from warehouse.rows import KINDS, LINEAGE_COLUMNS, ROW_SCHEMA

# great_expectations probes pyspark when it is imported, and pyspark 4 warns that it does not
# support pandas 3; no validation here goes through Spark, so the warning is noise in every run.
warnings.filterwarnings("ignore", category=FutureWarning, module=r"pyspark\..*")

REQUIRED_NOT_NULL = ("row_id", "kind", *LINEAGE_COLUMNS)
STRING_COLUMNS = ("row_id", "kind", "generator_id", "method", "run_id")


@dataclass
class Outcome:
    """One expectation's result, accumulated over every chunk of a version."""

    expectation: str
    column: str | None
    success: bool = True
    gate: str = "schema"
    severity: str = "blocking"
    unexpected_count: int = 0
    sample_row_ids: list[str] = field(default_factory=list)
    observed: Any = None

    def as_dict(self) -> dict:
        return {
            "expectation": self.expectation,
            "column": self.column,
            "gate": self.gate,
            "severity": self.severity,
            "success": self.success,
            "unexpected_count": self.unexpected_count,
            "sample_row_ids": self.sample_row_ids,
            "observed": self.observed,
        }


def row_expectations(corpus: str, quality: QualityConfig) -> list:
    import great_expectations.expectations as gxe

    suite = [
        gxe.ExpectTableColumnsToMatchSet(column_set=list(ROW_SCHEMA), exact_match=False),
        *[gxe.ExpectColumnValuesToNotBeNull(column=c) for c in REQUIRED_NOT_NULL],
        *[gxe.ExpectColumnValuesToBeOfType(column=c, type_="str") for c in STRING_COLUMNS],
        gxe.ExpectColumnValuesToBeUnique(column="row_id"),
        gxe.ExpectColumnValuesToBeBetween(column="row_id_occurrences", min_value=1, max_value=1),
        gxe.ExpectColumnValueLengthsToBeBetween(column="row_id", min_value=32, max_value=32),
        gxe.ExpectColumnValuesToBeInSet(column="kind", value_set=list(KINDS)),
        gxe.ExpectColumnValuesToBeBetween(column="lineage_roots", min_value=1),
        gxe.ExpectColumnValuesToBeBetween(column="unresolved_seed_ids", min_value=0, max_value=0),
        *[
            gxe.ExpectColumnValueLengthsToBeBetween(
                column=c, min_value=0, max_value=quality.max_text_chars
            )
            for c in ("instruction", "input", "response", "text")
        ],
    ]
    if corpus != "seed":
        suite.append(gxe.ExpectColumnValuesToNotBeInSet(column="kind", value_set=["template"]))
    return suite


# great-expectations' column-map expectation types and the SQL test that counts their offending
# rows over a whole version (warehouse.audit.RULE_PREDICATES); `of_type` maps per type below.
RULE_TESTS = {
    "expect_column_values_to_not_be_null": "not_null",
    "expect_column_values_to_be_unique": "unique",
    "expect_column_values_to_be_between": "between",
    "expect_column_value_lengths_to_be_between": "length_between",
    "expect_column_values_to_be_in_set": "in_set",
    "expect_column_values_to_not_be_in_set": "not_in_set",
}
TYPE_TESTS = {"str": "of_type_str"}


def expectation_key(expectation_type: str, column: str | None) -> str:
    return f"{expectation_type}:{column}"


def row_rules(expectations: list, columns: set[str]) -> list[RowRule]:
    """The SQL form of each column-map expectation on a column of `columns`. Table-level
    expectations, and any on a missing column, have none: great-expectations alone judges
    them (on the validated rows, which carry every column)."""
    rules = []
    for expectation in expectations:
        kind = expectation.expectation_type
        column = getattr(expectation, "column", None)
        test = RULE_TESTS.get(kind)
        if kind == "expect_column_values_to_be_of_type":
            test = TYPE_TESTS.get(expectation.type_)
        if test is None or column not in columns:
            continue
        if getattr(expectation, "mostly", 1.0) != 1.0:
            raise ValueError(f"{kind}({column}): `mostly` has no SQL form here")
        rules.append(
            RowRule(
                key=expectation_key(kind, column),
                test=test,
                column=column,
                min_value=getattr(expectation, "min_value", None),
                max_value=getattr(expectation, "max_value", None),
                values=tuple(getattr(expectation, "value_set", None) or ()),
            )
        )
    return rules


def summary_expectations(corpus: str, quality: QualityConfig) -> list:
    import great_expectations.expectations as gxe

    return [
        gxe.ExpectColumnValuesToBeBetween(
            column="row_count", min_value=quality.min_rows.get(corpus, 1)
        )
    ]


@dataclass
class GateSuite:
    """The distribution gates that apply to one version: a one-row frame of measured figures,
    the expectations on it, which gate and severity each column belongs to, and why any gate
    was skipped."""

    figures: dict[str, float]
    expectations: list
    gates: dict[str, tuple[str, str]]
    notes: list[str]

    def expect(
        self, gate: str, severity: str, column: str, value: float, **bounds: float | None
    ) -> None:
        """Gate `column` (a figure of `value`) between `bounds`."""
        import great_expectations.expectations as gxe

        self.figures[column] = value
        self.gates[column] = (gate, severity)
        self.expectations.append(
            gxe.ExpectColumnValuesToBeBetween(
                column=column, meta={"gate": gate, "severity": severity}, **bounds
            )
        )


def gate_expectations(
    corpus: str,
    quality: QualityConfig,
    distribution: dict,
    previous: dict | None,
    *,
    allowed_languages: list[str],
) -> GateSuite:
    """Expectations for the recipe's distribution gates on `corpus`.

    `distribution` is `warehouse.audit.version_distribution` plus `duplicate_rate`; `previous`
    the same for the previous promoted version (None for the first)."""

    gates = quality.gates
    suite = GateSuite({}, [], {}, [])

    expect = suite.expect

    length = gates.length
    if length.enabled and corpus in length.corpora and distribution["row_count"]:
        expect(
            "length",
            length.severity,
            "p50_chars",
            distribution["p50_chars"],
            min_value=length.p50_min,
            max_value=length.p50_max,
        )
        expect(
            "length",
            length.severity,
            "p95_chars",
            distribution["p95_chars"],
            max_value=length.p95_max,
        )
    language = gates.language
    if language.enabled and corpus in language.corpora:
        share = distribution["allowed_language_share"]
        if share is None:
            suite.notes.append(
                "language: skipped, "
                + ("no row was judged" if distribution["has_lang"] else "no lang column")
            )
        else:
            expect(
                "language",
                language.severity,
                "allowed_language_share",
                share,
                min_value=language.min_share,
            )
    verified = gates.verified
    if verified.enabled and corpus in verified.corpora:
        if not distribution["verifiable_rows"]:
            suite.notes.append(f"verified: skipped, no rows of {', '.join(verified.methods)}")
        else:
            expect(
                "verified",
                verified.severity,
                "verified_share",
                distribution["verified_share"],
                min_value=verified.min_share,
            )
    drift = gates.drift
    if drift.enabled and corpus in drift.corpora:
        if previous is None:
            suite.notes.append("drift: skipped, no previous promoted version")
        else:
            ratio = distribution["row_count"] / max(previous["row_count"], 1)
            expect(
                "drift",
                drift.severity,
                "row_ratio",
                ratio,
                min_value=drift.min_row_ratio,
                max_value=drift.max_row_ratio,
            )
            expect(
                "drift",
                drift.severity,
                "duplicate_rate",
                distribution["duplicate_rate"],
                max_value=drift.max_duplicate_rate,
            )
            change = abs(distribution["duplicate_rate"] - previous["duplicate_rate"])
            expect(
                "drift",
                drift.severity,
                "duplicate_rate_change",
                change,
                max_value=drift.max_duplicate_rate_change,
            )
    for name, gate in (("judge", gates.judge_score), ("reward", gates.reward_score)):
        column = f"{name}_score"
        if not gate.enabled or corpus not in gate.corpora:
            continue
        # The reward gate says nothing until a floor is set (the judge's notes predate it).
        if name == "reward" and gate.min_mean is None and gate.min_value is None:
            continue
        if not distribution.get(f"has_{column}"):
            suite.notes.append(f"{column}: skipped, no {column} column")
        elif distribution.get(f"{name}_mean") is None:
            suite.notes.append(f"{column}: skipped, no row has a {column}")
        else:
            if gate.min_mean is not None:
                expect(
                    column,
                    gate.severity,
                    f"{name}_mean",
                    distribution[f"{name}_mean"],
                    min_value=gate.min_mean,
                )
            if gate.min_value is not None:
                expect(
                    column,
                    gate.severity,
                    f"{name}_min",
                    distribution[f"{name}_min"],
                    min_value=gate.min_value,
                )
    return suite


def attribute_gate_expectations(
    suite: GateSuite, corpus: str, quality: QualityConfig, coverage: dict, diversity: dict
) -> None:
    """Add the coverage and diversity gates to `suite`: `coverage` and `diversity` are the
    version's figures and notes (quality/attribute_gates.py), empty where nothing could be
    measured."""
    gate = quality.gates.coverage
    if gate.enabled and corpus in gate.corpora:
        if not coverage:
            suite.notes.append("coverage: skipped, no row has sampled attributes with targets")
        else:
            figures = coverage["figures"]
            suite.notes.extend(coverage["notes"])
            suite.expect(
                "coverage",
                gate.severity,
                "coverage_max_deviation",
                figures["coverage_max_deviation"],
                max_value=gate.tolerance,
            )
            suite.expect(
                "coverage",
                gate.severity,
                "coverage_missing_values",
                figures["coverage_missing_values"],
                max_value=0,
            )
    gate = quality.gates.diversity
    if gate.enabled and corpus in gate.corpora:
        if not diversity:
            suite.notes.append("diversity: skipped, no rows")
            return
        figures = diversity["figures"]
        suite.notes.extend(diversity["notes"])
        if gate.min_distinct_2 is not None:
            suite.expect(
                "diversity",
                gate.severity,
                "distinct_2",
                figures["distinct_2"],
                min_value=gate.min_distinct_2,
            )
        if gate.max_near_share is not None and "near_duplicate_share" in figures:
            suite.expect(
                "diversity",
                gate.severity,
                "near_duplicate_share",
                figures["near_duplicate_share"],
                max_value=gate.max_near_share,
            )


@cache
def _batch_definition() -> Any:
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    source = context.data_sources.add_pandas("synthfoundry")
    return context, source.add_dataframe_asset(
        "corpus_version"
    ).add_batch_definition_whole_dataframe("whole")


def validate(
    frame: pl.DataFrame,
    expectations: list,
    outcomes: dict[str, Outcome],
    sample_size: int,
    suite_name: str,
    gates: dict[str, tuple[str, str]] | None = None,
    figures: RuleFigures | None = None,
) -> Any:
    """Validate one batch, fold its results into `outcomes` (keyed by expectation id) and
    return great-expectations' validation result. `gates` maps a column to its gate and
    severity (default: the blocking schema gate). `figures` are the version-wide counts and
    sampled row ids of the batch's column-map expectations (the batch is then the rows they
    name plus a spot sample): they decide the counts, samples and, with GX's verdict on the
    batch, success, and the returned result (Data Docs) reports them.

    `expectations` must be fresh objects: a suite binds the expectations added to it."""
    import great_expectations as gx

    context, batch_definition = _batch_definition()
    suite = gx.ExpectationSuite(name=suite_name, expectations=expectations)
    batch = batch_definition.get_batch(
        batch_parameters={"dataframe": frame.to_pandas(use_pyarrow_extension_array=False)}
    )
    index_columns = ["row_id"] if "row_id" in frame.columns else []
    result = batch.validate(
        suite,
        result_format={
            "result_format": "COMPLETE" if index_columns else "SUMMARY",
            "unexpected_index_column_names": index_columns,
            "partial_unexpected_count": sample_size,
        },
    )
    if figures is not None:
        _report_version_figures(result, figures)
    for item in result.results:
        config = item.expectation_config
        column = config.kwargs.get("column")
        key = f"{suite_name}:{expectation_key(config.type, column)}"
        gate, severity = (gates or {}).get(column, ("schema", "blocking"))
        outcome = outcomes.setdefault(
            key, Outcome(expectation=config.type, column=column, gate=gate, severity=severity)
        )
        outcome.success = outcome.success and bool(item.success)
        outcome.unexpected_count += int(item.result.get("unexpected_count") or 0)
        # Column-map expectations have no observed value; their offending values stand in.
        observed = item.result.get("observed_value")
        if observed is None and item.result.get("partial_unexpected_list"):
            observed = [_plain(v) for v in item.result["partial_unexpected_list"][:sample_size]]
        outcome.observed = observed if observed is not None else outcome.observed
        if item.exception_info and item.exception_info.get("raised_exception"):
            outcome.success = False
            outcome.observed = item.exception_info.get("exception_message")
        figure = figures.figures.get(expectation_key(config.type, column)) if figures else None
        if figure is not None:
            outcome.sample_row_ids = figure.sample_row_ids[:sample_size]
            continue
        for entry in item.result.get("partial_unexpected_index_list") or []:
            if len(outcome.sample_row_ids) < sample_size and isinstance(entry, dict):
                outcome.sample_row_ids.append(str(entry.get("row_id")))
    return result


def _report_version_figures(result: Any, figures: RuleFigures) -> None:
    """Make GX's result on a batch of named rows report the whole version: each column-map
    expectation's element and offending-row counts are the version's (at least what GX itself
    found), and it fails if either found an offending row."""
    for item in result.results:
        config = item.expectation_config
        figure = figures.figures.get(expectation_key(config.type, config.kwargs.get("column")))
        if figure is None:
            continue
        unexpected = max(figure.unexpected_count, int(item.result.get("unexpected_count") or 0))
        total = figures.row_count
        item.result["element_count"] = total
        item.result["unexpected_count"] = unexpected
        item.result["unexpected_percent"] = 100.0 * unexpected / total if total else 0.0
        item.result["unexpected_percent_total"] = item.result["unexpected_percent"]
        # The batch's own null counts say nothing about the version: leave them out.
        for batch_only in ("missing_count", "missing_percent", "unexpected_percent_nonmissing"):
            item.result.pop(batch_only, None)
        item.success = bool(item.success) and unexpected == 0
    evaluated = len(result.results)
    passed = sum(bool(item.success) for item in result.results)
    result.success = passed == evaluated
    result.statistics.update(
        successful_expectations=passed,
        unsuccessful_expectations=evaluated - passed,
        success_percent=100.0 * passed / evaluated if evaluated else None,
    )


def _plain(value: Any) -> Any:
    """numpy scalars and arrays as plain Python values, for JSON metadata."""
    return value.tolist() if hasattr(value, "tolist") else value
