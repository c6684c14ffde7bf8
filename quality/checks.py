"""Blocking asset checks: a corpus version that fails its suite is rejected and stops the run."""

import dagster as dg

from assets.recipe import RecipeResource
from quality.gate import audit, gate_run
from warehouse.corpora import CORPORA, current_version
from warehouse.resource import WarehouseResource


def _result(report, promoted_now: bool | None, previous: int | None) -> dg.AssetCheckResult:
    failures = [
        {
            "expectation": o.expectation,
            "column": o.column,
            "unexpected_count": o.unexpected_count,
            "sample_row_ids": o.sample_row_ids,
            "observed": o.observed,
        }
        for o in report.failures
    ]
    status = {True: "promoted", False: "rejected", None: "audited only (not staged by this run)"}[
        promoted_now
    ]
    return dg.AssetCheckResult(
        passed=report.passed,
        severity=dg.AssetCheckSeverity.ERROR,
        description=(
            f"{report.corpus} v{report.version}: {status}"
            + ("" if report.passed else f"; {len(failures)} expectation(s) failed")
        ),
        metadata={
            "version": dg.MetadataValue.int(report.version),
            "status": dg.MetadataValue.text(status),
            "current_version": dg.MetadataValue.int(
                report.version if promoted_now else (previous or 0)
            ),
            "row_count": dg.MetadataValue.int(report.row_count),
            "expectations_evaluated": dg.MetadataValue.int(len(report.outcomes)),
            "failed_expectations": dg.MetadataValue.json(failures),
            "pruned_versions": dg.MetadataValue.json(report.pruned or []),
        },
    )


def build_corpus_check(corpus: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=corpus,
        name="expectations",
        blocking=True,
        description=(
            f"Great-expectations suite for {corpus}: schema and types, non-null lineage, unique "
            "row_id, value ranges, minimum row count and lineage integrity. Promotes the "
            "version staged by this run when it passes; rejects it otherwise."
        ),
    )
    def _check(
        context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource, recipe: RecipeResource
    ) -> dg.AssetCheckResult:
        wh = warehouse.get()
        plan = recipe.load(wh.home)
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


corpus_checks = [build_corpus_check(corpus) for corpus in CORPORA]
