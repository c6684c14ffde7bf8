"""Blocking asset checks: a corpus version that fails its suite is rejected and stops the run.

The checks read the gate policy from whichever resource the code location binds to `recipe`
(its class is passed in, so this layer does not depend on the recipe's assembly)."""

from pathlib import Path
from typing import Protocol

import dagster as dg

from quality.gate import GatePolicy, audit, gate_run
from warehouse.corpora import CORPORA, current_version
from warehouse.resource import WarehouseResource


def _described(outcomes) -> list[dict]:
    return [
        {
            "expectation": o.expectation,
            "column": o.column,
            "gate": o.gate,
            "unexpected_count": o.unexpected_count,
            "sample_row_ids": o.sample_row_ids,
            "observed": o.observed,
        }
        for o in outcomes
    ]


def _result(report, promoted_now: bool | None, previous: int | None) -> dg.AssetCheckResult:
    """ERROR when a blocking gate failed (the version is rejected); WARN when only warning
    gates failed (the version is promoted all the same); passed otherwise."""
    failures = _described(report.failures)
    warnings = _described(report.warnings)
    status = {True: "promoted", False: "rejected", None: "audited only (not staged by this run)"}[
        promoted_now
    ]
    description = f"{report.corpus} v{report.version}: {status}"
    if failures:
        description += f"; {len(failures)} blocking expectation(s) failed"
    if warnings:
        description += f"; {len(warnings)} warning gate(s) failed: " + ", ".join(
            sorted({w["gate"] for w in warnings})
        )
    docs = {"data_docs": dg.MetadataValue.path(str(report.data_docs))} if report.data_docs else {}
    # A passing check keeps Dagster's default severity: WARN marks a failed warning gate only.
    only_warnings = bool(warnings) and not failures
    return dg.AssetCheckResult(
        passed=report.passed and not warnings,
        severity=dg.AssetCheckSeverity.WARN if only_warnings else dg.AssetCheckSeverity.ERROR,
        description=description,
        metadata={
            "version": dg.MetadataValue.int(report.version),
            "status": dg.MetadataValue.text(status),
            "current_version": dg.MetadataValue.int(
                report.version if promoted_now else (previous or 0)
            ),
            "row_count": dg.MetadataValue.int(report.row_count),
            "expectations_evaluated": dg.MetadataValue.int(len(report.outcomes)),
            "failed_expectations": dg.MetadataValue.json(failures),
            "warnings": dg.MetadataValue.json(warnings),
            "gate_figures": dg.MetadataValue.json(_plain_dict(report.figures)),
            "skipped_gates": dg.MetadataValue.json(report.notes),
            "pruned_versions": dg.MetadataValue.json(report.pruned or []),
            **docs,
        },
    )


def _plain_dict(figures: dict) -> dict:
    return {k: (float(v) if isinstance(v, int | float) else v) for k, v in figures.items()}


class GatePolicySource(Protocol):
    def gate_policy(self, home: Path) -> GatePolicy: ...


def build_corpus_check(
    corpus: str, recipe_resource: type[GatePolicySource]
) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=corpus,
        name="expectations",
        blocking=True,
        description=(
            f"Great-expectations suite for {corpus}: schema and types, non-null lineage, unique "
            "row_id, value ranges, minimum row count, lineage integrity and the recipe's "
            "distribution gates (length quantiles, language share, verified share, drift, "
            "judge-score floor). Promotes the version staged by this run unless a blocking "
            "gate fails (ERROR); failed warning gates report WARN and still promote."
        ),
    )
    def _check(
        context: dg.AssetCheckExecutionContext,
        warehouse: WarehouseResource,
        # Dagster injects resources by annotation: the class passed in is the annotation.
        recipe: recipe_resource,  # type: ignore[valid-type]
    ) -> dg.AssetCheckResult:
        wh = warehouse.get()
        plan = recipe.gate_policy(wh.home)
        # The gate makes dozens of small reads: one connection serves them.
        with wh.reading():
            previous = current_version(wh, corpus)
            report = gate_run(wh, corpus, context.run.run_id, plan)
            if report is not None:
                if not report.passed:
                    context.log.error(
                        f"{corpus} v{report.version} rejected; v{previous} stays current. "
                        f"Failed: {[f'{o.expectation}({o.column})' for o in report.failures]}"
                    )
                return _result(report, report.promoted, previous)
            if previous is None:
                return dg.AssetCheckResult(
                    passed=False,
                    severity=dg.AssetCheckSeverity.ERROR,
                    description=f"{corpus} has no version to check",
                )
            return _result(audit(wh, corpus, previous, plan), None, previous)

    return _check


def build_corpus_checks(
    recipe_resource: type[GatePolicySource],
) -> list[dg.AssetChecksDefinition]:
    """One blocking check per corpus, reading its policy from a `recipe_resource`."""
    return [build_corpus_check(corpus, recipe_resource) for corpus in CORPORA]
