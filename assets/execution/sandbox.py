"""The bubblewrap sandbox that runs untrusted Python (model-written solutions and tests).

Each run is a fresh process tree inside `bwrap`: every namespace unshared (no network: not
even loopback is reachable), a read-only view of the interpreter and its standard library
only (`/usr`, or the interpreter's own prefix; no home directory, no SYNTHFOUNDRY_HOME,
warehouse, caches or project files), no environment variables (`--clearenv`: no API key can
be read), a private size-bounded tmpfs as `/tmp` and working directory, and limits on CPU
time, address space, file size, open files and processes, set inside the sandbox's user
namespace so the process limit counts the sandbox's own processes. As root the sandbox runs
as `nobody` (uid 65534), because the kernel exempts root from the process limit. The
interpreter runs with `-I -S`: isolated mode, no `site`, so only the standard library can be
imported. A wall-clock timeout kills the whole process group; `--die-with-parent` takes the
sandbox down with its parent.

Tests are split (`split.py`): the solution's run computes only the values the tests examine,
a second run without the solution evaluates the expected sides that are not literals, and the
parent compares the plain data both report (`verdict.py`). The expected values never enter the
solution's process, and a report is accepted only when the result pipe holds exactly that run's
one report.

`unsandboxed` mode (recipes must ask for it) runs the same harness and limits in a plain
subprocess and logs a warning on every run.
"""

from __future__ import annotations

import contextlib
import logging
import marshal
import os
import secrets
import selectors
import shutil
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from assets.execution.split import Plan, split_tests
from assets.execution.verdict import Forged, Judge, RunReport, parse_report
from warehouse.errors import UserError
from warehouse.settings import Strict

HARNESS = (Path(__file__).with_name("harness.py")).read_text()
NOBODY = 65534
REPORT_BYTES = 8 << 20  # twice what the harness ever writes: more is a forgery
SYSTEM_PYTHON = "/usr/bin/python3"
UNSANDBOXED_WARNING = (
    "UNSANDBOXED CODE EXECUTION: sandbox.mode is 'unsandboxed', so model-written code runs "
    "as a plain subprocess of this machine's user, with network, files and environment "
    "within its reach. Use mode 'bubblewrap' unless you trust every program."
)


class SandboxUnavailable(UserError, RuntimeError):
    """bubblewrap is missing or cannot create its namespaces here: nothing was executed."""

    readme_section = "Verified code"


class SandboxLimits(Strict):
    """What one execution may use."""

    wall_s: float = Field(default=10.0, gt=0, le=600, description="Wall-clock seconds.")
    cpu_s: int = Field(default=5, gt=0, le=600, description="CPU seconds (RLIMIT_CPU).")
    memory_mb: int = Field(default=512, ge=64, description="Address space (RLIMIT_AS).")
    file_mb: int = Field(default=16, gt=0, description="Largest file written (RLIMIT_FSIZE).")
    tmp_mb: int = Field(default=64, gt=0, description="Size of the private /tmp.")
    processes: int = Field(default=32, ge=2, description="Processes (RLIMIT_NPROC).")
    open_files: int = Field(default=64, ge=8, description="Open files (RLIMIT_NOFILE).")
    output_chars: int = Field(
        default=4000, gt=0, description="Stdout and stderr kept each; the rest is counted."
    )


class SandboxConfig(Strict):
    """How model-written code is executed."""

    mode: Literal["bubblewrap", "unsandboxed"] = Field(
        default="bubblewrap",
        description="bubblewrap: the sandbox (the step fails if it cannot run); unsandboxed: "
        "a plain subprocess with the same limits, with a warning on every run.",
    )
    interpreter: str | None = Field(
        default=None,
        description="Python inside the sandbox; default /usr/bin/python3, else the "
        "interpreter this process was started from (its prefix becomes visible).",
    )
    limits: SandboxLimits = SandboxLimits()
    workers: int = Field(default=2, ge=1, le=64, description="Executions run at once.")


@dataclass(frozen=True)
class Execution:
    """One program (and its tests) to run."""

    code: str
    tests: str | None = None
    main: bool = False  # run the code as __main__ (a program, not a module under test)


@dataclass
class ExecutionResult:
    """What a run did: `status` is `passed`, `tests_failed`, `unverifiable` (a test could
    not be split; the others passed), `syntax_error`, `runtime_error`, `resource_limit`,
    `timeout`, `sandbox_violation`, `forged_report` (the result channel held something other
    than the run's one report) or `no_tests`."""

    status: str
    exit_status: int | None
    seconds: float
    stdout: str
    stderr: str
    stdout_truncated: bool
    stderr_truncated: bool
    tests: list[dict[str, Any]] = field(default_factory=list)
    error: dict[str, Any] | None = None
    violations: list[dict[str, Any]] = field(default_factory=list)
    limits: dict[str, Any] = field(default_factory=dict)
    sandboxed: bool = True
    verdict: str | None = None  # "split": tests decided in the parent from reported values

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    @property
    def tests_passed(self) -> int:
        return sum(1 for t in self.tests if t["passed"])

    def summary(self) -> dict[str, Any]:
        """`attributes.execution` of a kept row."""
        return {
            "tests_run": len(self.tests),
            "tests_passed": self.tests_passed,
            "seconds": round(self.seconds, 4),
            "sandbox": "bubblewrap" if self.sandboxed else "unsandboxed",
            "limits": self.limits,
            **({"verdict": self.verdict} if self.verdict else {}),
        }

    def feedback(self) -> str:
        """What went wrong, in words a model can act on when asked to repair its code."""
        error = self.error or {}
        failed = [t for t in self.tests if not t["passed"]]
        if self.status == "tests_failed" and failed:
            test = failed[0]
            return f"This test failed: {test['test']}\n{test['error_type']}: {test['message']}"
        if self.status == "timeout":
            return "It did not finish within the time limit (an endless loop?)."
        if self.status == "sandbox_violation":
            return "It tried to use the network or write files outside /tmp: neither is allowed."
        if self.status == "no_tests":
            return "The tests hold no assert statement."
        if self.status == "unverifiable" and failed:
            return (
                f"This test cannot be checked: {failed[0]['message']}\nWrite top-level assert "
                "statements that compare a call's result with a value."
            )
        if self.status == "forged_report":
            return "It wrote on the sandbox's result channel, which only the harness may use."
        where = f" (line {error['line']})" if error.get("line") else ""
        detail = f"{error.get('type', 'Error')}: {error.get('message', '')}{where}"
        return detail if not self.stderr else f"{detail}\n{self.stderr[-500:]}"

    def evidence(self) -> dict[str, Any]:
        """A decision's evidence: the failing test or error, the truncated output."""
        failed = [t for t in self.tests if not t["passed"]]
        return {
            "status": self.status,
            "exit_status": self.exit_status,
            "seconds": round(self.seconds, 4),
            "error": self.error,
            "failed_test": failed[0] if failed else None,
            "tests_run": len(self.tests),
            "tests_passed": self.tests_passed,
            "violations": self.violations,
            "stdout": self.stdout,
            "stderr": self.stderr,
            "stdout_truncated": self.stdout_truncated,
            "stderr_truncated": self.stderr_truncated,
            "limits": self.limits,
            "verdict": self.verdict,
        }


@dataclass
class _Capped:
    """What was read of one pipe: the first `limit` bytes, and how many there were in all
    (bounded memory whatever the program prints)."""

    limit: int
    kept: bytearray = field(default_factory=bytearray)
    total: int = 0

    def add(self, chunk: bytes) -> None:
        self.total += len(chunk)
        if len(self.kept) < self.limit:
            self.kept += chunk[: self.limit - len(self.kept)]

    def text(self) -> tuple[str, bool]:
        return self.kept.decode("utf-8", "replace"), self.total > len(self.kept)


@dataclass
class _Process:
    """One finished harness process: how it ended and what each pipe held."""

    exit_status: int
    timed_out: bool
    seconds: float
    report: _Capped
    out: _Capped
    err: _Capped
    nonce: str


def _drain(pipes: dict[int, _Capped], deadline: float) -> bool:
    """Read the pipes until each is closed (the program and all it started are gone) or the
    deadline passes; whether it passed."""
    with selectors.DefaultSelector() as selector:
        for fd in pipes:
            os.set_blocking(fd, False)
            selector.register(fd, selectors.EVENT_READ)
        while selector.get_map():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return True
            for key, _ in selector.select(remaining):
                try:
                    chunk = os.read(key.fd, 65536)
                except BlockingIOError:
                    continue
                if chunk:
                    pipes[key.fd].add(chunk)
                else:
                    selector.unregister(key.fd)
    return False


def _interpreter(config: SandboxConfig) -> str:
    if config.interpreter:
        return config.interpreter
    if os.access(SYSTEM_PYTHON, os.X_OK):
        return SYSTEM_PYTHON
    return str(Path(sys.base_prefix) / "bin" / f"python{sys.version_info[0]}")


def _bwrap_args(bwrap: str, python: str, tmp_mb: int) -> list[str]:
    """The sandbox's file system: /usr (and the interpreter's prefix when it lives elsewhere)
    read-only, the usual merged-/usr links, a minimal /dev and /proc, a private /tmp."""
    args = [bwrap, "--unshare-all", "--die-with-parent", "--new-session", "--clearenv"]
    args += ["--ro-bind", "/usr", "/usr"]
    for name in ("bin", "lib", "lib64", "sbin"):
        target = Path("/") / name
        if target.is_symlink():
            args += ["--symlink", os.readlink(target), str(target)]
        elif target.is_dir():
            args += ["--ro-bind", str(target), str(target)]
    prefix = Path(python).resolve().parent.parent
    if not str(prefix).startswith("/usr"):
        args += ["--ro-bind", str(prefix), str(prefix)]
    args += ["--dev", "/dev", "--proc", "/proc"]
    args += ["--size", str(tmp_mb << 20), "--tmpfs", "/tmp", "--chdir", "/tmp"]
    args += ["--setenv", "HOME", "/tmp", "--setenv", "PATH", "/usr/bin:/bin"]
    return args


def _as_nobody() -> tuple[list[str], dict[str, Any]]:
    """(command prefix, Popen identity arguments) that start the sandbox as nobody from root.
    util-linux's setpriv switches in the exec'd program: asking Popen to switch the user makes
    CPython fork the whole parent instead of vfork, which costs milliseconds a run, more the
    larger the parent (a Dagster run)."""
    setpriv = shutil.which("setpriv")
    if setpriv:
        return [setpriv, f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"], {}
    return [], {"user": NOBODY, "group": NOBODY, "extra_groups": []}


@cache
def _probe(bwrap: str, python: str, as_nobody: bool) -> str | None:
    """Why bubblewrap cannot run here, or None when it can."""
    switch, identity = _as_nobody() if as_nobody else ([], {})
    command = [*switch, *_bwrap_args(bwrap, python, 1), python, "-I", "-S", "-c", "pass"]
    try:
        done = subprocess.run(command, capture_output=True, timeout=30, **identity)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"{type(exc).__name__}: {exc}"
    if done.returncode != 0:
        return done.stderr.decode("utf-8", "replace").strip() or f"exit {done.returncode}"
    return None


class Sandbox:
    """Runs `Execution`s under a `SandboxConfig`; `run_many` runs them `workers` at a time."""

    def __init__(self, config: SandboxConfig | None = None, log: logging.Logger | None = None):
        self.config = config or SandboxConfig()
        self.log = log or logging.getLogger("synthfoundry.sandbox")
        self.python = _interpreter(self.config)
        self.sandboxed = self.config.mode == "bubblewrap"
        self.as_nobody = os.geteuid() == 0
        if self.sandboxed:
            bwrap = shutil.which("bwrap")
            if bwrap is None:
                raise SandboxUnavailable(
                    "bubblewrap (bwrap) is not installed, so no code was executed: install "
                    "Debian's `bubblewrap` (`make test` does), or set the recipe's sandbox "
                    "mode to 'unsandboxed' to run code without a sandbox"
                )
            why = _probe(bwrap, self.python, self.as_nobody)
            if why is not None:
                raise SandboxUnavailable(
                    f"bubblewrap cannot run here ({why}), so no code was executed; it needs "
                    "user namespaces (sysctl user.max_user_namespaces > 0); or set the "
                    "recipe's sandbox mode to 'unsandboxed' to run code without a sandbox"
                )
            switch, self.identity = _as_nobody() if self.as_nobody else ([], {})
            self.prefix = [*switch, *_bwrap_args(bwrap, self.python, self.config.limits.tmp_mb)]
        else:
            self.prefix, self.identity = [], {}
        self.warn()

    def warn(self) -> None:
        """The loud warning of unsandboxed mode, at every run of a step."""
        if not self.sandboxed:
            self.log.warning(UNSANDBOXED_WARNING)

    def limits(self) -> dict[str, Any]:
        return self.config.limits.model_dump()

    def run_many(self, executions: list[Execution]) -> list[ExecutionResult]:
        if len(executions) <= 1 or self.config.workers == 1:
            return [self.run(e) for e in executions]
        with ThreadPoolExecutor(self.config.workers) as pool:
            return list(pool.map(self.run, executions))

    def run(self, execution: Execution) -> ExecutionResult:
        if execution.tests is None:
            process = self._spawn(execution.code, execution.main, [])
            status, error, violations, report = self._judge(process, [])
            if status is None:
                assert report is not None
                status, error = report.status, report.error
            return self._result(process, status, error, violations, [])
        plan = split_tests(execution.tests, execution.code)
        expected_steps = plan.run_steps("expected")
        with ThreadPoolExecutor(1) if plan.needs_expected_run else contextlib.nullcontext() as pool:
            # The expected sides run beside the solution, in a process of their own.
            pending = pool.submit(self._spawn, None, False, expected_steps) if pool else None
            steps = plan.run_steps("solution")
            process = self._spawn(execution.code, execution.main, steps)
            expected = pending.result() if pending else None
        return self._verdict(plan, process, steps, expected, expected_steps)

    def _verdict(
        self,
        plan: Plan,
        process: _Process,
        steps: list[tuple],
        expected: _Process | None,
        expected_steps: list[tuple],
    ) -> ExecutionResult:
        """The run's status and each test's outcome, decided here from the reported values."""
        status, error, violations, report = self._judge(process, steps)
        if status is None and report is not None and report.status != "passed":
            status, error = report.status, {**(report.error or {}), "where": report.where}
        expected_report = None
        if status is None and expected is not None:
            status, error, violations, expected_report = self._judge(expected, expected_steps)
            if status is not None:
                error = {**(error or {}), "where": "expected"}
        if status is not None or report is None:
            return self._result(process, status or "runtime_error", error, violations, [])
        if plan.syntax_error is not None:
            error = {**plan.syntax_error, "where": "tests"}
            return self._result(process, "syntax_error", error, [], [])
        if not plan.tests:
            return self._result(process, "no_tests", None, [], [], verdict="split")
        outcomes = Judge(plan, report, expected_report).outcomes()
        stops = [(r, name) for r, name in ((report, "tests"), (expected_report, "expected"))
                 if r is not None and 0 in r.stopped]  # fmt: skip
        if stops:  # the tests' own setup failed: the run stops there, as the tests would
            run, where = stops[0]
            failure = run.stopped[0].get("error") or {}
            error = {**failure, "where": where}
            status = str(failure.get("kind") or "runtime_error")
        else:
            failed = [o for o in outcomes if not o["passed"]]
            kinds = {o["kind"] for o in failed}
            status = (
                "resource_limit" if "resource_limit" in kinds
                else "tests_failed" if kinds - {"unverifiable"}
                else "unverifiable" if failed
                else "passed"
            )  # fmt: skip
        return self._result(process, status, error, [], outcomes, verdict="split")

    def _spawn(self, code: str | None, main: bool, steps: list[tuple]) -> _Process:
        """One harness process: the code (None: the tests' expected sides alone) and steps."""
        limits = self.config.limits
        harness_limits = {
            **limits.model_dump(),
            # Unsandboxed there is no user namespace: RLIMIT_NPROC would count every process
            # of this user (and none at all for root).
            "processes": limits.processes if self.sandboxed else None,
        }
        nonce = secrets.token_hex(16)
        read_fd, write_fd = os.pipe()
        job = marshal.dumps(
            {
                "code": code,
                "main": main,
                "steps": steps,
                "limits": harness_limits,
                "result_fd": write_fd,
                "nonce": nonce,
            }
        )
        command = [*self.prefix, self.python, "-I", "-S", "-B", "-X", "utf8", "-c", HARNESS]
        started = time.perf_counter()
        deadline = time.monotonic() + limits.wall_s
        try:
            process = subprocess.Popen(
                command,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                pass_fds=(write_fd,),
                start_new_session=True,
                env={} if self.sandboxed else {"HOME": "/tmp", "PATH": "/usr/bin:/bin"},
                cwd="/tmp",
                **self.identity,
            )
        except BaseException:
            os.close(read_fd)
            raise
        finally:
            os.close(write_fd)
        stdout, stderr = process.stdout, process.stderr
        assert stdout is not None and stderr is not None and process.stdin is not None
        out, err, report = (
            _Capped(limits.output_chars),
            _Capped(limits.output_chars),
            _Capped(REPORT_BYTES),
        )
        pipes = {stdout.fileno(): out, stderr.fileno(): err, read_fd: report}
        try:
            with contextlib.suppress(BrokenPipeError), process.stdin:
                process.stdin.write(job)
            timed_out = _drain(pipes, deadline)
        finally:
            # The whole group: whatever the program started dies with it.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            stdout.close()
            stderr.close()
            os.close(read_fd)
        seconds = time.perf_counter() - started
        return _Process(process.returncode, timed_out, seconds, report, out, err, nonce)

    def _judge(
        self, process: _Process, steps: list[tuple]
    ) -> tuple[str | None, dict[str, Any] | None, list[dict[str, Any]], RunReport | None]:
        """(status, error, violations, report) of one process; status None when its report
        stands (read only now that the process and everything it started are gone)."""
        report: RunReport | None = None
        forged = None
        try:
            if process.report.total > len(process.report.kept):
                raise Forged("more on the result channel than a report holds")
            valued = {s[2] for s in steps if s[0] != "exec"}
            report = parse_report(
                bytes(process.report.kept), process.nonce, valued, {s[1] for s in steps}
            )
        except Forged as exc:
            forged = {"type": "ForgedReport", "message": str(exc)}
        violations = list(report.violations) if report else []
        limits = self.config.limits
        if process.timed_out:
            return "timeout", {"limit": "wall_s", "seconds": limits.wall_s}, violations, None
        if process.exit_status in (-signal.SIGXCPU, 128 + signal.SIGXCPU):  # bwrap: 128 + sig
            return "timeout", {"limit": "cpu_s", "seconds": limits.cpu_s}, violations, None
        if forged is not None:
            return "forged_report", forged, [], None
        if violations:
            return "sandbox_violation", report.error if report else None, violations, None
        if report is None:
            error = {
                "type": "NoReport",
                "message": f"the program ended (exit status {process.exit_status}) before its "
                "tests reported",
            }
            return "runtime_error", error, [], None
        return None, None, [], report

    def _result(
        self,
        process: _Process,
        status: str,
        error: dict[str, Any] | None,
        violations: list[dict[str, Any]],
        tests: list[dict[str, Any]],
        verdict: str | None = None,
    ) -> ExecutionResult:
        out, out_cut = process.out.text()
        err, err_cut = process.err.text()
        return ExecutionResult(
            status=status,
            exit_status=process.exit_status,
            seconds=process.seconds,
            stdout=out,
            stderr=err,
            stdout_truncated=out_cut,
            stderr_truncated=err_cut,
            tests=tests,
            error=error,
            violations=violations,
            limits=self.limits(),
            sandboxed=self.sandboxed,
            verdict=verdict,
        )
