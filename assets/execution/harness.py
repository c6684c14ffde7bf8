"""The program that runs inside the sandbox: it sets the resource limits, runs the untrusted
solution and its tests, and reports each test's outcome as JSON on the result pipe.

It is passed to the interpreter with `-c` (stdlib only, no SynthFoundry imports: the sandbox
sees no project files) and reads its job as JSON on stdin: `code`, `tests` (or null), `main`
(run the code as `__main__`), `limits`, `result_fd`. Everything the untrusted code does runs
after the limits are set. The code shares this process, so a program written to forge its own
verdict could; the sandbox bounds what it can reach, not what it reports about itself.
"""

import ast
import errno
import json
import os
import resource
import sys
import traceback

TEXT_CHARS = 2000
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
WRITABLE = ("/tmp/", "/dev/null", "/dev/stdout", "/dev/stderr", "/proc/self/fd/")
PATH_EVENTS = {
    "os.remove",
    "os.rmdir",
    "os.mkdir",
    "os.rename",
    "os.chmod",
    "os.symlink",
    "os.link",
    "os.truncate",
    "os.utime",
    "os.chown",
    "shutil.rmtree",
}
NET_EVENTS = {"socket.connect", "socket.bind", "socket.sendto", "socket.sendmsg"}
LIMIT_ERRNOS = {errno.EAGAIN, errno.EFBIG, errno.EMFILE, errno.ENOSPC}


def clip(text):
    text = str(text)
    return text if len(text) <= TEXT_CHARS else text[:TEXT_CHARS] + "...[truncated]"


def set_limits(limits):
    pairs = [
        (resource.RLIMIT_CPU, limits["cpu_s"], limits["cpu_s"] + 1),
        (resource.RLIMIT_AS, limits["memory_mb"] << 20, limits["memory_mb"] << 20),
        (resource.RLIMIT_FSIZE, limits["file_mb"] << 20, limits["file_mb"] << 20),
        (resource.RLIMIT_NOFILE, limits["open_files"], limits["open_files"]),
        (resource.RLIMIT_CORE, 0, 0),
    ]
    if limits.get("processes"):
        # Set inside the sandbox's user namespace, so it counts only the sandbox's processes.
        pairs.append((resource.RLIMIT_NPROC, limits["processes"], limits["processes"]))
    for which, soft, hard in pairs:
        resource.setrlimit(which, (soft, hard))


violations = []


def outside_tmp(path):
    if isinstance(path, int):
        return False
    if isinstance(path, bytes):
        path = path.decode("utf-8", "replace")
    path = os.path.normpath(os.path.join("/tmp", str(path)))
    return not (path + "/").startswith(WRITABLE) and path not in ("/tmp", "/dev/null")


def audit(event, args):
    # Records what the sandbox refuses (the kernel refuses it; this only names it).
    if len(violations) >= 20:
        return
    if event in NET_EVENTS:
        violations.append({"kind": "network", "event": event, "target": clip(repr(args[1:]))})
    elif event == "open" and len(args) >= 3:
        path, mode, flags = args[0], args[1], args[2]
        writes = any(c in str(mode or "") for c in "wax+") or (
            isinstance(flags, int) and mode is None and flags & WRITE_FLAGS
        )
        if writes and outside_tmp(path):
            violations.append({"kind": "file", "event": "open", "target": clip(path)})
    elif event in PATH_EVENTS and args and outside_tmp(args[0]):
        violations.append({"kind": "file", "event": event, "target": clip(args[0])})


def error_of(exc, filename):
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == filename]
    kind = "runtime_error"
    if isinstance(exc, MemoryError) or (isinstance(exc, OSError) and exc.errno in LIMIT_ERRNOS):
        kind = "resource_limit"
    return {
        "kind": kind,
        "type": type(exc).__name__,
        "message": clip(exc),
        "line": frames[-1].lineno if frames else getattr(exc, "lineno", None),
        "traceback": clip("".join(traceback.format_exception(exc))[-TEXT_CHARS:]),
    }


def split_tests(tree):
    """Setup statements, top-level asserts and `test_*` functions, in source order."""
    steps = []
    for node in tree.body:
        if isinstance(node, ast.Assert):
            steps.append(("assert", node))
        elif isinstance(node, ast.FunctionDef) and node.name.startswith("test"):
            steps.append(("setup", node))
            steps.append(("function", node))
        else:
            steps.append(("setup", node))
    return steps


def run_tests(source, namespace):
    try:
        tree = ast.parse(source, "tests.py")
    except SyntaxError as exc:
        return {
            "status": "syntax_error",
            "where": "tests",
            "error": {"type": "SyntaxError", "message": clip(exc.msg), "line": exc.lineno},
        }, []
    steps = split_tests(tree)
    if not any(kind != "setup" for kind, _ in steps):
        return {"status": "no_tests", "error": None}, []
    outcomes = []
    functions = []
    for kind, node in steps:
        segment = ast.get_source_segment(source, node) or ""
        if kind == "function":
            functions.append(node)
            continue
        code = compile(ast.Module(body=[node], type_ignores=[]), "tests.py", "exec")
        try:
            exec(code, namespace)
        except BaseException as exc:  # noqa: BLE001 - any failure of untrusted code is a result
            if kind == "setup":
                return {
                    "status": "runtime_error",
                    "where": "tests",
                    "error": error_of(exc, "tests.py"),
                }, outcomes
            outcomes.append(outcome(segment, node.lineno, exc))
        else:
            if kind == "assert":
                outcomes.append({"test": clip(segment), "line": node.lineno, "passed": True})
    for node in functions:
        try:
            namespace[node.name]()
        except BaseException as exc:  # noqa: BLE001
            outcomes.append(outcome(node.name, node.lineno, exc))
        else:
            outcomes.append({"test": node.name, "line": node.lineno, "passed": True})
    failed = [o for o in outcomes if not o["passed"]]
    limit = [o for o in failed if o.get("kind") == "resource_limit"]
    status = "resource_limit" if limit else "tests_failed" if failed else "passed"
    return {"status": status, "error": None}, outcomes


def outcome(test, line, exc):
    error = error_of(exc, "tests.py")
    return {
        "test": clip(test),
        "line": line,
        "passed": False,
        "kind": error["kind"],
        "error_type": error["type"],
        "message": error["message"] or "assertion failed",
    }


def main():
    job = json.loads(sys.stdin.read())
    reporter = os.getpid()
    result_fd = job["result_fd"]
    report = {"status": "runtime_error", "error": None, "tests": []}
    os.set_inheritable(result_fd, False)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    set_limits(job["limits"])
    sys.addaudithook(audit)
    namespace = {
        "__name__": "__main__" if job["main"] else "solution",
        "__builtins__": __builtins__,
    }
    try:
        code = compile(job["code"], "solution.py", "exec")
    except (SyntaxError, ValueError) as exc:
        report = {
            "status": "syntax_error",
            "where": "solution",
            "error": {
                "type": type(exc).__name__,
                "message": clip(getattr(exc, "msg", exc)),
                "line": getattr(exc, "lineno", None),
            },
            "tests": [],
        }
    else:
        try:
            exec(code, namespace)
            failure = None
        except SystemExit as exc:
            failure = None if exc.code in (None, 0) else error_of(exc, "solution.py")
        except BaseException as exc:  # noqa: BLE001
            failure = error_of(exc, "solution.py")
        if failure is not None:
            report = {"status": failure["kind"], "where": "solution", "error": failure, "tests": []}
        elif job["tests"] is None:
            report = {"status": "passed", "error": None, "tests": []}
        else:
            summary, outcomes = run_tests(job["tests"], namespace)
            report = {**summary, "tests": outcomes}
    sys.stdout.flush()
    sys.stderr.flush()
    if os.getpid() == reporter:  # a child the code forked ends here without a report
        report["violations"] = list(violations)
        os.write(result_fd, json.dumps(report, default=str).encode())
    os._exit(0)


main()
