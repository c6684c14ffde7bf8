"""The program that runs inside the sandbox: it sets the resource limits, runs the untrusted
code, then the steps the parent split the tests into, and reports what each step computed,
as plain data, on the result pipe. It decides no verdict: the parent compares.

It is passed to the interpreter with `-c` (no SynthFoundry imports: the sandbox sees no
project files) and reads its job, marshalled by the parent, on stdin: `code` (or None: a run
of the tests' expected sides, without the solution), `main` (run the code as `__main__`),
`steps`, `limits`, `result_fd`, `nonce`. A step is `(op, scope, id, source, line)`: `exec`
runs setup, `eval` reports an expression's value, `raises` runs a block and reports whether
and what it raised. Scope 0 is the module; a test function's steps run in a copy of it.

The code shares this process, so it can write on the result pipe or imitate this report; the
parent accepts exactly one report carrying this run's nonce, and what it can claim is values
for the expressions it was given. The expected values are never sent here.
"""

import errno
import marshal
import os
import resource
import sys

TEXT_CHARS = 2000
MAX_DEPTH = 64
MAX_ITEMS = 100_000  # elements and characters of one reported value
MAX_REPORT = 4 << 20
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


def quote(text):
    """A JSON string: controls, quote, backslash and lone surrogates (not valid UTF-8)
    escaped; printable text without quotes or backslashes, the usual case, as it is."""
    if text.isprintable() and '"' not in text and "\\" not in text:
        return f'"{text}"'
    escaped = "".join(
        ESCAPES.get(c) or (f"\\u{ord(c):04x}" if ord(c) < 32 or 0xD800 <= ord(c) < 0xE000 else c)
        for c in text
    )
    return f'"{escaped}"'


def to_json(value):
    """JSON text of the report's own fields (the json module takes longer to import than the
    run)."""
    if value is None or value is True or value is False:
        return {None: "null", True: "true", False: "false"}[value]
    if isinstance(value, int | float):
        return repr(value) if value == value and abs(value) != float("inf") else "null"
    if isinstance(value, dict):
        return "{" + ",".join(f"{quote(str(k))}:{to_json(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(to_json(v) for v in value) + "]"
    return quote(str(value))


class Unplain(Exception):
    """A value that is not plain data (or too large to report)."""


def plain(value, budget, depth=0):
    """JSON text of a plain value, with tags where JSON alone would lose the type: floats
    `{"f": repr}`, tuples `{"t": [...]}`, sets `{"s": [...]}`, frozensets `{"z": [...]}`,
    dicts `{"d": [[key, value], ...]}`, bytes `{"b": hex}`, complex `{"c": [re, im]}`.

    Types are read with `type()` and contents through the base type's own C methods, so no
    method of the value's class runs here (an `__eq__`, `__iter__` or `__repr__` the code
    defined cannot answer for it); anything else raises `Unplain`."""
    if depth > MAX_DEPTH:
        raise Unplain(f"nested more than {MAX_DEPTH} levels deep")
    budget[0] -= 1
    if budget[0] < 0:
        raise Unplain(f"more than {MAX_ITEMS} elements")
    kind = type(value)
    if value is None or value is True or value is False:
        return {None: "null", True: "true", False: "false"}[value]
    if issubclass(kind, int):
        number = int.__index__(value)
        if number.bit_length() > 4 * MAX_ITEMS:
            raise Unplain("an integer too large to report")
        return int.__repr__(number)
    if issubclass(kind, float):
        return '{"f":"' + float.__repr__(value) + '"}'
    if issubclass(kind, str):
        text = str.__str__(value)
        budget[0] -= len(text)
        if budget[0] < 0:
            raise Unplain(f"more than {MAX_ITEMS} characters")
        return quote(text)
    if issubclass(kind, list | tuple | set | frozenset):
        base = list if issubclass(kind, list) else tuple if issubclass(kind, tuple) else None
        base = base or (frozenset if issubclass(kind, frozenset) else set)
        items = ",".join(plain(x, budget, depth + 1) for x in base.__iter__(value))
        tag = {list: "", tuple: "t", set: "s", frozenset: "z"}[base]
        return f'{{"{tag}":[{items}]}}' if tag else f"[{items}]"
    if issubclass(kind, dict):
        pairs = (
            f"[{plain(k, budget, depth + 1)},{plain(v, budget, depth + 1)}]"
            for k, v in dict.items(value)
        )
        return '{"d":[' + ",".join(pairs) + "]}"
    if issubclass(kind, bytes):
        budget[0] -= len(value)
        if budget[0] < 0:
            raise Unplain(f"more than {MAX_ITEMS} bytes")
        return '{"b":"' + bytes.hex(value) + '"}'
    if kind is complex:
        return '{"c":[' + plain(value.real, budget) + "," + plain(value.imag, budget) + "]}"
    raise Unplain(f"a value of type {kind.__name__} is not plain data")


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


def raised(exc):
    """What a `raises` step reports: the exception's classes (module.qualname, most derived
    first) and its message."""
    names = [f"{c.__module__}.{c.__qualname__}" for c in type(exc).__mro__]
    return f'["raised",{to_json(names)},{quote(clip(exc))}]'


def run_steps(steps, module):
    """Run the steps in order; a value (or error) per `eval`/`raises` step, and per scope the
    step it stopped at. Module setup that fails ends the run, as it would end the tests."""
    values, stopped, scopes, total = {}, {}, {0: module}, 0
    for op, scope, step, source, line in steps:
        if scope in stopped or 0 in stopped:
            continue
        namespace = scopes.get(scope)
        if namespace is None:
            namespace = scopes[scope] = dict(module)  # a test function's own locals
        padded = "\n" * (line - 1) + source
        try:
            if op == "eval":
                value = eval(compile(padded, "tests.py", "eval"), namespace)
                try:
                    text = plain(value, [MAX_ITEMS])
                except Exception as exc:  # noqa: BLE001 - a class the code wrote may raise
                    text = '{"!":' + to_json({"kind": "unplain", "type": "NotPlainData",
                        "message": clip(exc if isinstance(exc, Unplain) else
                                        f"{type(exc).__name__} while reading the value")}) + "}"  # fmt: skip
            elif op == "raises":
                try:
                    exec(compile(padded, "tests.py", "exec"), namespace)
                except BaseException as exc:  # noqa: BLE001 - what it raised is the value
                    text = raised(exc)
                else:
                    text = '["ok"]'
            else:
                exec(compile(padded, "tests.py", "exec"), namespace)
                continue
        except BaseException as exc:  # noqa: BLE001 - any failure of untrusted code is a result
            failure = error_of(exc, "tests.py")
            if op == "exec":
                stopped[scope] = {"at": step, "error": failure}
                continue
            text = '{"!":' + to_json(failure) + "}"
        total += len(text)
        if total > MAX_REPORT:
            text = '{"!":' + to_json({"kind": "unplain", "type": "NotPlainData",
                                      "message": "the values exceed the report's size"}) + "}"  # fmt: skip
        values[step] = text
    return values, stopped


def run(job):
    module = {
        "__name__": "__main__" if job["main"] else "solution",
        "__builtins__": __builtins__,
    }
    report = {"status": "passed", "error": None, "where": None}
    if job["code"] is not None:
        try:
            code = compile(job["code"], "solution.py", "exec")
        except (SyntaxError, ValueError) as exc:
            error = {"type": type(exc).__name__, "message": clip(getattr(exc, "msg", exc))}
            return {"status": "syntax_error", "where": "solution", "error": {
                **error, "line": getattr(exc, "lineno", None)}}, {}, {}  # fmt: skip
        try:
            exec(code, module)
            failure = None
        except SystemExit as exc:
            failure = None if exc.code in (None, 0) else error_of(exc, "solution.py")
        except BaseException as exc:  # noqa: BLE001
            failure = error_of(exc, "solution.py")
        if failure is not None:
            return {"status": failure["kind"], "where": "solution", "error": failure}, {}, {}
    values, stopped = run_steps(job["steps"], module)
    return report, values, stopped


def main():
    job = marshal.loads(sys.stdin.buffer.read())
    reporter = os.getpid()
    result_fd, nonce = job["result_fd"], job["nonce"]
    os.set_inheritable(result_fd, False)
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
    set_limits(job["limits"])
    sys.addaudithook(audit)
    del job["nonce"]
    report, values, stopped = run(job)
    sys.stdout.flush()
    sys.stderr.flush()
    if os.getpid() == reporter:  # a child the code forked ends here without a report
        report["nonce"] = nonce
        report["violations"] = list(violations)
        report["stopped"] = {str(k): v for k, v in stopped.items()}
        head = to_json(report)[:-1]
        body = ",".join(f'"{k}":{v}' for k, v in values.items())
        data = memoryview(f'{head},"values":{{{body}}}}}'.encode())
        while data:
            data = data[os.write(result_fd, data) :]
    os._exit(0)


main()
