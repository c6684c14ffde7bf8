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

`unsandboxed` mode (recipes must ask for it) runs the same harness and limits in a plain
subprocess and logs a warning on every run.
"""

from __future__ import annotations

import contextlib
import json
import logging
import marshal
import os
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

from warehouse.settings import Strict

HARNESS = (Path(__file__).with_name("harness.py")).read_text()
NOBODY = 65534
SYSTEM_PYTHON = "/usr/bin/python3"
UNSANDBOXED_WARNING = (
    "UNSANDBOXED CODE EXECUTION: sandbox.mode is 'unsandboxed', so model-written code runs "
    "as a plain subprocess of this machine's user, with network, files and environment "
    "within its reach. Use mode 'bubblewrap' unless you trust every program."
)


class SandboxUnavailable(RuntimeError):
    """bubblewrap is missing or cannot create its namespaces here: nothing was executed."""


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
    """What a run did: `status` is `passed`, `tests_failed`, `syntax_error`, `runtime_error`,
    `resource_limit`, `timeout`, `sandbox_violation` or `no_tests`."""

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


@cache
def _probe(bwrap: str, python: str, as_nobody: bool) -> str | None:
    """Why bubblewrap cannot run here, or None when it can."""
    command = [*_bwrap_args(bwrap, python, 1), python, "-I", "-S", "-c", "pass"]
    identity = {"user": NOBODY, "group": NOBODY, "extra_groups": []} if as_nobody else {}
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
            self.prefix = _bwrap_args(bwrap, self.python, self.config.limits.tmp_mb)
        else:
            self.prefix = []
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
        limits = self.config.limits
        harness_limits = {
            **limits.model_dump(),
            # Unsandboxed there is no user namespace: RLIMIT_NPROC would count every process
            # of this user (and none at all for root).
            "processes": limits.processes if self.sandboxed else None,
        }
        read_fd, write_fd = os.pipe()
        job = marshal.dumps(
            {
                "code": execution.code,
                "tests": execution.tests,
                "main": execution.main,
                "limits": harness_limits,
                "result_fd": write_fd,
            }
        )
        command = [*self.prefix, self.python, "-I", "-S", "-B", "-X", "utf8", "-c", HARNESS]
        identity: dict[str, Any] = (
            {"user": NOBODY, "group": NOBODY, "extra_groups": []}
            if self.as_nobody and self.sandboxed
            else {}
        )
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
                **identity,
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
            _Capped(1 << 20),
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
        return self._result(process.returncode, timed_out, seconds, report, out, err)

    def _result(
        self,
        exit_status: int,
        timed_out: bool,
        seconds: float,
        report_pipe: _Capped,
        stdout: _Capped,
        stderr: _Capped,
    ) -> ExecutionResult:
        raw, _ = report_pipe.text()
        out, out_cut = stdout.text()
        err, err_cut = stderr.text()
        try:
            report = json.loads(raw) if raw else None
        except json.JSONDecodeError:
            report = None
        if not isinstance(report, dict):
            report = None
        violations = list(report.get("violations") or []) if report else []
        error = report.get("error") if report else None
        if timed_out:
            status = "timeout"
            error = {"limit": "wall_s", "seconds": self.config.limits.wall_s}
        elif exit_status in (-signal.SIGXCPU, 128 + signal.SIGXCPU):  # bwrap: 128 + signal
            status = "timeout"
            error = {"limit": "cpu_s", "seconds": self.config.limits.cpu_s}
        elif violations:
            status = "sandbox_violation"
        elif report is None:
            status = "runtime_error"
            error = {
                "type": "NoReport",
                "message": f"the program ended (exit status {exit_status}) before its tests "
                "reported",
            }
        else:
            status = str(report.get("status", "runtime_error"))
        return ExecutionResult(
            status=status,
            exit_status=exit_status,
            seconds=seconds,
            stdout=out,
            stderr=err,
            stdout_truncated=out_cut,
            stderr_truncated=err_cut,
            tests=list(report.get("tests") or []) if report else [],
            error=error,
            violations=violations,
            limits=self.limits(),
            sandboxed=self.sandboxed,
        )
