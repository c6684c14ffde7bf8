"""The program that runs inside the sandbox: it sets the resource limits, runs the untrusted
solution and its tests, and reports each test's outcome as JSON on the result pipe.

It is passed to the interpreter with `-c` (no SynthFoundry imports: the sandbox sees no
project files) and reads its job, marshalled by the parent, on stdin: `code`, `tests` (or
None), `main` (run the code as `__main__`), `limits`, `result_fd`. It imports only built-in
modules (`_ast`, `marshal`, `resource`) so it starts fast. Everything the untrusted code does
runs after the limits are set. The code shares this process, so a program written to forge
its own verdict could; the sandbox bounds what it can reach, not what it reports of itself.
"""

import _ast
import errno
import marshal
import os
import resource
import sys

TEXT_CHARS = 2000
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
# What the sandbox shows; reading anything else is a probe of the host (and finds nothing).
VISIBLE = ("/usr/", "/bin/", "/lib/", "/lib64/", "/sbin/", "/tmp/", "/dev/", "/proc/")
WRITABLE = ("/tmp/", "/dev/null/", "/dev/stdout/", "/dev/stderr/", "/proc/self/fd/")
PATH_EVENTS = {
    "os.remove", "os.rmdir", "os.mkdir", "os.rename", "os.chmod", "os.symlink", "os.link",
    "os.truncate", "os.utime", "os.chown", "shutil.rmtree",
}  # fmt: skip
NET_EVENTS = {"socket.connect", "socket.bind", "socket.sendto", "socket.sendmsg"}
LIMIT_ERRNOS = {errno.EAGAIN, errno.EFBIG, errno.EMFILE, errno.ENOSPC}
ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def to_json(value):
    """JSON text of plain data (the json module takes longer to import than the run)."""
    if value is None or value is True or value is False:
        return {None: "null", True: "true", False: "false"}[value]
    if isinstance(value, int | float):
        return repr(value) if value == value and abs(value) != float("inf") else "null"
    if isinstance(value, dict):
        return "{" + ",".join(f"{to_json(str(k))}:{to_json(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(to_json(v) for v in value) + "]"
    text = str(value)
    escaped = "".join(
        ESCAPES.get(c) or (f"\\u{ord(c):04x}" if ord(c) < 32 or 0xD800 <= ord(c) < 0xE000 else c)
        for c in text
    )
    return f'"{escaped}"'


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


def outside(path, allowed):
    if isinstance(path, bytes):
        path = path.decode("utf-8", "replace")
    path = os.path.normpath(os.path.join("/tmp", str(path)))
    return not (path + "/").startswith(allowed)


def outside_tmp(path):
    return not isinstance(path, int) and outside(path, WRITABLE)


def audit(event, args):
    # Names what the sandbox refuses (the kernel refuses it; this only records the attempt).
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
        elif not writes and not isinstance(path, int) and outside(path, VISIBLE):
            violations.append({"kind": "file_read", "event": "open", "target": clip(path)})
    elif event in PATH_EVENTS and args and outside_tmp(args[0]):
        violations.append({"kind": "file", "event": event, "target": clip(args[0])})


def error_of(exc, filename):
    tb, line, frames = exc.__traceback__, getattr(exc, "lineno", None), []
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == filename:
            line = tb.tb_lineno
        frames.append(f"{tb.tb_frame.f_code.co_filename}:{tb.tb_lineno}")
        tb = tb.tb_next
    kind = "runtime_error"
    if isinstance(exc, MemoryError) or (isinstance(exc, OSError) and exc.errno in LIMIT_ERRNOS):
        kind = "resource_limit"
    return {
        "kind": kind,
        "type": type(exc).__name__,
        "message": clip(exc),
        "line": line,
        "traceback": clip(" <- ".join(reversed(frames))),
    }


def segment(source_lines, node):
    """The source of a top-level statement (offsets are in UTF-8 bytes)."""
    lines = [x.encode() for x in source_lines[node.lineno - 1 : node.end_lineno]]
    if not lines:
        return ""
    lines[-1] = lines[-1][: node.end_col_offset]
    lines[0] = lines[0][node.col_offset :]
    return b"".join(lines).decode("utf-8", "replace").strip()


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


def run_tests(source, namespace):
    """Top-level asserts are tests, each run on its own; `test*` functions are tests, called
    after the rest; every other statement is setup, run in order."""
    try:
        tree = compile(source, "tests.py", "exec", _ast.PyCF_ONLY_AST)
    except (SyntaxError, ValueError) as exc:
        error = {"type": type(exc).__name__, "message": clip(getattr(exc, "msg", exc))}
        return {"status": "syntax_error", "where": "tests", "error": {
            **error, "line": getattr(exc, "lineno", None)}}, []  # fmt: skip
    source_lines = source.splitlines(True)
    functions = [
        n for n in tree.body if isinstance(n, _ast.FunctionDef) and n.name.startswith("test")
    ]
    if not functions and not any(isinstance(n, _ast.Assert) for n in tree.body):
        return {"status": "no_tests", "error": None}, []
    outcomes = []
    for node in tree.body:
        code = compile(_ast.Module(body=[node], type_ignores=[]), "tests.py", "exec")
        is_test = isinstance(node, _ast.Assert)
        try:
            exec(code, namespace)
        except BaseException as exc:  # noqa: BLE001 - any failure of untrusted code is a result
            if not is_test:
                failure = error_of(exc, "tests.py")
                return {"status": failure["kind"], "where": "tests", "error": failure}, outcomes
            outcomes.append(outcome(segment(source_lines, node), node.lineno, exc))
        else:
            if is_test:
                outcomes.append(
                    {"test": clip(segment(source_lines, node)), "line": node.lineno, "passed": True}
                )
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


def run(job):
    namespace = {
        "__name__": "__main__" if job["main"] else "solution",
        "__builtins__": __builtins__,
    }
    try:
        code = compile(job["code"], "solution.py", "exec")
    except (SyntaxError, ValueError) as exc:
        error = {"type": type(exc).__name__, "message": clip(getattr(exc, "msg", exc))}
        return {"status": "syntax_error", "where": "solution", "tests": [], "error": {
            **error, "line": getattr(exc, "lineno", None)}}  # fmt: skip
    try:
        exec(code, namespace)
        failure = None
    except SystemExit as exc:
        failure = None if exc.code in (None, 0) else error_of(exc, "solution.py")
    except BaseException as exc:  # noqa: BLE001
        failure = error_of(exc, "solution.py")
    if failure is not None:
        return {"status": failure["kind"], "where": "solution", "error": failure, "tests": []}
    if job["tests"] is None:
        return {"status": "passed", "error": None, "tests": []}
    summary, outcomes = run_tests(job["tests"], namespace)
    return {**summary, "tests": outcomes}


def main():
    job = marshal.loads(sys.stdin.buffer.read())
    reporter = os.getpid()
    result_fd = job["result_fd"]
    os.set_inheritable(result_fd, False)
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
    set_limits(job["limits"])
    sys.addaudithook(audit)
    report = run(job)
    sys.stdout.flush()
    sys.stderr.flush()
    if os.getpid() == reporter:  # a child the code forked ends here without a report
        report["violations"] = list(violations)
        data = memoryview(to_json(report).encode())
        while data:
            data = data[os.write(result_fd, data) :]
    os._exit(0)


main()
