"""Code verification: a row whose response holds a Python code block and that has unit tests
is run in the sandbox with them; it is kept (with `verified = true` and
`attributes.execution`) only when every test passes, and dropped with the sandbox's verdict
otherwise (`tests_failed`, `timeout`, `syntax_error`, `runtime_error`, `resource_limit`,
`sandbox_violation`, `no_tests`).

The tests come from the row's own `attributes.tests` (seed rows and `code_instruct` rows carry
them), else from a seed row it descends from that has the same instruction. The code is the
response's first Python block. Rows without tests are kept unverified, or dropped as
`no_tests` when `require_tests` is set.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, ClassVar

import polars as pl
from pydantic import Field

from assets.execution.code_blocks import first_python_block, row_tests
from assets.execution.sandbox import Execution, Sandbox, SandboxConfig
from assets.models.context import ModelContext
from assets.run_context import RunContext
from assets.steps import STEP_DECISION_SCHEMA, RowStep, StepOutput, merge_stats, no_decisions
from warehouse.corpora import current_rows
from warehouse.settings import Strict


class CodeVerifyConfig(Strict):
    """Run rows' Python code against their unit tests in the sandbox (only rows that have
    both; the sandbox starts only when there is such a row)."""

    enabled: bool = True
    require_tests: bool = Field(
        default=False,
        description="Drop rows whose response holds Python code but that have no tests "
        "(`no_tests`) instead of keeping them unverified.",
    )
    sandbox: SandboxConfig = SandboxConfig()


@dataclass
class CodeVerify(RowStep):
    """The sandbox's verdict on each row that has code and tests."""

    config: CodeVerifyConfig
    ctx: ModelContext | None = None
    name: str = "code_verify"
    Config: ClassVar[type[Strict]] = CodeVerifyConfig
    config_key: ClassVar[str] = "code_verify"
    _stats: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_config(cls, config: CodeVerifyConfig, run: RunContext) -> list[CodeVerify]:
        return [cls(config, run.ctx)] if config.enabled else []

    @cached_property
    def sandbox(self) -> Sandbox:
        return Sandbox(self.config.sandbox, self.ctx.log if self.ctx else None)

    def _seed_tests(self, candidates: list[dict]) -> dict[str, tuple[str, str]]:
        """instruction and tests of the seed rows the candidates descend from, by row id."""
        wanted = sorted({s for c in candidates for s in c["seed_ids"] or []})
        if self.ctx is None or not wanted:
            return {}
        seeds = current_rows(self.ctx.wh, "seed", wanted, ["row_id", "instruction", "attributes"])
        found = {}
        for seed in seeds.iter_rows(named=True):
            tests = row_tests(seed["attributes"])
            if tests is not None:
                found[seed["row_id"]] = (seed["instruction"], tests)
        return found

    def apply(self, rows: pl.DataFrame) -> StepOutput:
        has_code = (pl.col("kind") == "instruction") & pl.col("response").str.contains(
            r"```[ \t]*(?i:python3?|py)?[ \t]*\n"
        )
        candidates = [
            c
            for c in rows.filter(has_code.fill_null(False))
            .select("row_id", "instruction", "response", "attributes", "seed_ids")
            .to_dicts()
            if first_python_block(c["response"]) is not None
        ]
        if not candidates:  # no statistics either: a corpus without code says nothing of it
            return StepOutput(rows)
        seeds = self._seed_tests([c for c in candidates if row_tests(c["attributes"]) is None])
        jobs: list[tuple[dict, Execution, str]] = []
        untested = []
        for row in candidates:
            tests, origin = row_tests(row["attributes"]), "row"
            for seed_id in row["seed_ids"] or []:
                if tests is None and seeds.get(seed_id, ("", ""))[0] == row["instruction"]:
                    tests, origin = seeds[seed_id][1], "seed"
            code = first_python_block(row["response"]) or ""
            if tests is None:
                untested.append(row["row_id"])
            else:
                jobs.append((row, Execution(code, tests), origin))
        results = self.sandbox.run_many([job for _, job, _ in jobs]) if jobs else []
        verified: dict[str, str] = {}
        decisions = []
        counts = {"executed": len(jobs), "passed": 0, "untested": len(untested)}
        for (row, _, origin), result in zip(jobs, results, strict=True):
            if result.passed:
                counts["passed"] += 1
                attributes = json.loads(row["attributes"] or "{}")
                attributes = attributes if isinstance(attributes, dict) else {}
                attributes["execution"] = {**result.summary(), "tests_from": origin}
                verified[row["row_id"]] = json.dumps(attributes)
                continue
            counts[result.status] = counts.get(result.status, 0) + 1
            decisions.append(
                {
                    "row_id": row["row_id"],
                    "rule": result.status,
                    "action": "drop",
                    "score": result.tests_passed / len(result.tests) if result.tests else None,
                    "evidence": json.dumps({**result.evidence(), "tests_from": origin}),
                }
            )
        if self.config.require_tests:
            counts["no_tests"] = counts.get("no_tests", 0) + len(untested)
            decisions += [
                {
                    "row_id": row_id,
                    "rule": "no_tests",
                    "action": "drop",
                    "score": None,
                    "evidence": json.dumps({"reason": "Python code without unit tests"}),
                }
                for row_id in untested
            ]
        self._stats = merge_stats(self._stats, {"code_verify": counts})
        dropped = pl.DataFrame(decisions, schema=STEP_DECISION_SCHEMA)
        kept = rows.join(dropped.select("row_id"), on="row_id", how="anti")
        if verified:
            rewritten = pl.col("row_id").replace_strict(
                verified, default=None, return_dtype=pl.String
            )
            kept = kept.with_columns(
                rewritten.fill_null(pl.col("attributes")).alias("attributes"),
                pl.when(rewritten.is_not_null())
                .then(True)
                .otherwise(pl.col("verified"))
                .alias("verified"),
            )
        return StepOutput(kept, dropped if decisions else no_decisions())

    def stats(self) -> dict[str, Any]:
        return self._stats
