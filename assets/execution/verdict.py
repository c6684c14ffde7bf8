"""Verdicts decided in the parent, outside any sandbox: a run's report is accepted only when
the result channel holds exactly that one report (this run's nonce, only the steps it was
given, each once); its values are decoded as plain data and compared with the expected
values by the tests' own operators. No code from a run executes here."""

from __future__ import annotations

import json
import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from assets.execution.split import Check, Leaf, Plan, Test

TEXT_CHARS = 2000
SHOWN_CHARS = 200
OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
    ">": operator.gt, ">=": operator.ge, "in": lambda a, b: a in b,
    "not in": lambda a, b: a not in b, "is": operator.is_, "is not": operator.is_not,
}  # fmt: skip
DECODERS: dict[str, Callable[[Any], Any]] = {
    "t": tuple, "s": set, "z": frozenset, "d": lambda pairs: {k: v for k, v in pairs},
}  # fmt: skip


class Forged(ValueError):
    """The result channel held something other than this run's one report."""


class Failed(Exception):
    """A leaf without a value: the outcome fields of the failure."""

    def __init__(self, fields: dict[str, Any], module_stop: bool = False):
        super().__init__(fields.get("message"))
        self.fields = fields
        self.module_stop = module_stop


@dataclass
class RunReport:
    """What one run reported, checked: `values` are still encoded, by step id."""

    status: str
    where: str | None
    error: dict[str, Any] | None
    values: dict[int, Any] = field(default_factory=dict)
    stopped: dict[int, dict[str, Any]] = field(default_factory=dict)
    violations: list[dict[str, Any]] = field(default_factory=list)


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) != len(pairs):
        raise Forged("a key appears twice")
    return found


def parse_report(raw: bytes, nonce: str, valued: set[int], scopes: set[int]) -> RunReport | None:
    """The run's report, or None when the channel is empty; `Forged` when it holds anything
    but one well-formed report of this run (another nonce, a second document, a value for a
    step it was not given)."""
    if not raw:
        return None
    try:
        report = json.loads(raw.decode("utf-8"), object_pairs_hook=_unique)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise Forged(f"the result channel holds no single report ({exc})") from None
    if not isinstance(report, dict) or report.get("nonce") != nonce:
        raise Forged("the report does not carry this run's nonce")
    values, stopped = report.get("values"), report.get("stopped")
    if not isinstance(values, dict) or not isinstance(stopped, dict):
        raise Forged("the report lacks its values")
    try:
        ids = {int(k): v for k, v in values.items()}
        stops = {int(k): v for k, v in stopped.items()}
    except ValueError:
        raise Forged("a value for something that is not a step") from None
    if not set(ids) <= valued or not set(stops) <= scopes:
        raise Forged("values for steps this run was not given")
    status, error = report.get("status"), report.get("error")
    violations = report.get("violations")
    if not isinstance(status, str) or not isinstance(violations, list):
        raise Forged("the report lacks its status")
    where = report.get("where")
    return RunReport(status, where if isinstance(where, str) else None,
                     error if isinstance(error, dict) else None, ids, stops, violations)  # fmt: skip


def decode(value: Any) -> Any:
    """A plain value from its tagged JSON (see the harness's `plain`)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, list):
        return [decode(v) for v in value]
    if not isinstance(value, dict) or len(value) != 1:
        raise ValueError("a malformed value")
    ((tag, body),) = value.items()
    if tag == "f" and isinstance(body, str):
        return float(body)
    if tag == "b" and isinstance(body, str):
        return bytes.fromhex(body)
    if tag == "c" and isinstance(body, list) and len(body) == 2:
        return complex(decode(body[0]), decode(body[1]))
    if tag in DECODERS and isinstance(body, list):
        items = [decode(v) for v in body]
        if tag == "d" and not all(isinstance(p, list) and len(p) == 2 for p in items):
            raise ValueError("a malformed dict")
        return DECODERS[tag](items)
    raise ValueError(f"an unknown tag {tag!r}")


def shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS] + "..."


def _said(leaf: Leaf, value: Any) -> str:
    """A side of a failed comparison: what the solution computed, or the expected value."""
    return f"{leaf.source} (computed {shown(value)})" if leaf.run == "solution" else shown(value)


def clip(text: str) -> str:
    return text if len(text) <= TEXT_CHARS else text[:TEXT_CHARS] + "...[truncated]"


class Judge:
    """Decides each test of a plan from the reports of its runs."""

    def __init__(self, plan: Plan, solution: RunReport, expected: RunReport | None):
        self.plan = plan
        self.runs = {"solution": solution, "expected": expected}
        self.scope_of = {s.id: s.scope for s in plan.steps}

    def outcomes(self) -> list[dict[str, Any]]:
        found = []
        for test in self.plan.tests:
            base = {"test": clip(test.name), "line": test.line, "verdict": "split"}
            if test.unverifiable is not None:
                found.append({**base, "passed": False, "kind": "unverifiable",
                              "error_type": "Unverifiable", "message": test.unverifiable})  # fmt: skip
                continue
            try:
                self.test(test)
            except Failed as failure:
                if failure.module_stop:
                    continue  # the tests' setup failed before it: the run's error says so
                found.append({**base, "passed": False, **failure.fields})
            else:
                found.append({**base, "passed": True})
        return found

    def test(self, test: Test) -> None:
        """Raises `Failed` at the test's first failure, in the order it would have run."""
        for item in test.body:
            if isinstance(item, Check):
                self.check(item)
                continue
            for name, run in self.runs.items():
                stop = run.stopped.get(test.scope) if run else None
                if stop and stop.get("at") == item:
                    raise Failed(self.error_fields(stop.get("error"), name))

    def check(self, check: Check) -> None:
        tree = check.tree
        if tree[0] == "raises":
            self.raises(*tree[1:])
            return
        verdict, detail = self.truth(tree)
        if not verdict:
            message = detail
            if check.message is not None:
                message = str(check.message.value)
            raise Failed({"kind": "assertion", "error_type": "AssertionError",
                          "message": clip(message)})  # fmt: skip

    def truth(self, tree: tuple) -> tuple[bool, str]:
        """Whether a check tree holds, and what was false when it does not."""
        kind = tree[0]
        if kind in ("and", "or"):
            detail = ""
            for sub in tree[1]:
                verdict, detail = self.truth(sub)
                if verdict == (kind == "or"):
                    return verdict, detail
            return kind == "and", detail
        if kind == "not":
            verdict, detail = self.truth(tree[1])
            return not verdict, f"not ({detail})"
        if kind == "truth":
            leaf = tree[1]
            value = self.value(leaf)
            return bool(value), f"{leaf.source} computed {shown(value)}"
        leaves, ops = tree[1], tree[2]
        left = self.value(leaves[0])
        for i, op in enumerate(ops):
            right = self.value(leaves[i + 1])
            try:
                holds = bool(OPERATORS[op](left, right))
            except Exception as exc:  # noqa: BLE001 - e.g. ordering None and an int
                raise Failed({"kind": "runtime_error", "error_type": type(exc).__name__,
                              "message": clip(str(exc))}) from None  # fmt: skip
            if not holds:
                said = [_said(leaf, v) for leaf, v in ((leaves[i], left), (leaves[i + 1], right))]
                return False, f"{said[0]} {op} {said[1]} is false"
            left = right
        return True, ""

    def raises(self, leaf: Leaf, classes: list[str], message: str) -> None:
        outcome = self.value(leaf)
        if not isinstance(outcome, list) or not outcome or outcome[0] not in ("ok", "raised"):
            raise Failed({"kind": "assertion", "error_type": "ForgedValue",
                          "message": "a malformed exception report"})  # fmt: skip
        if outcome[0] == "ok":
            raise Failed({"kind": "assertion", "error_type": "AssertionError", "message": message})
        names = outcome[1] if len(outcome) == 3 and isinstance(outcome[1], list) else []
        if not set(classes) & set(names):
            kind = str(names[0]).rsplit(".", 1)[-1] if names else "Exception"
            raise Failed({"kind": "runtime_error", "error_type": kind,
                          "message": clip(str(outcome[2]))})  # fmt: skip

    def value(self, leaf: Leaf) -> Any:
        if leaf.run == "literal":
            return leaf.value
        run = self.runs[leaf.run]
        if run is None or leaf.id not in run.values:
            raise self.missing(leaf)
        encoded = run.values[leaf.id]
        if isinstance(encoded, dict) and set(encoded) == {"!"}:
            raise Failed(self.error_fields(encoded["!"], leaf.run))
        try:
            return decode(encoded)
        except (ValueError, TypeError, OverflowError, RecursionError) as exc:
            raise Failed({"kind": "unplain", "error_type": "ForgedValue",
                          "message": f"{leaf.source}: {exc}"}) from None  # fmt: skip

    def missing(self, leaf: Leaf) -> Failed:
        """Why a leaf has no value: its scope (or the module's setup) stopped first."""
        run = self.runs[leaf.run]
        scope = self.scope_of.get(leaf.id, 0)
        stop = run.stopped.get(scope) if run else None
        if stop is None and run is not None and 0 in run.stopped:
            return Failed({}, module_stop=True)
        if stop is not None:
            return Failed(self.error_fields(stop.get("error"), leaf.run))
        return Failed({"kind": "runtime_error", "error_type": "NoValue",
                       "message": f"{leaf.source} was not computed"})  # fmt: skip

    @staticmethod
    def error_fields(error: Any, run: str) -> dict[str, Any]:
        error = error if isinstance(error, dict) else {}
        message = clip(str(error.get("message") or ""))
        if run == "expected":
            message = f"(the expected side) {message}"
        return {
            "kind": str(error.get("kind") or "runtime_error"),
            "error_type": str(error.get("type") or "Error"),
            "message": message,
        }
