"""Model-written code in the sandbox: a stub backend injects the code (two correct exercises
and seven hostile or broken ones); exactly the correct ones are kept, each other one gets the
sandbox's verdict within its limits, and nothing reaches the machine."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import polars as pl
import pytest

from assets.execution.sandbox import HARNESS, Execution, Sandbox, SandboxConfig, SandboxLimits
from assets.models.backends.base import Completion
from assets.models.generators import Sampling
from assets.synthesis.context import SynthesisContext
from assets.synthesis.methods.code_instruct import CodeInstruct, CodeInstructMethod
from assets.synthesis.methods.program_of_thought import (
    ProgramOfThought,
    ProgramOfThoughtMethod,
)
from warehouse import Warehouse
from warehouse.rows import conform, with_row_ids

LIMITS = SandboxLimits(wall_s=3, cpu_s=1, memory_mb=256, processes=16, output_chars=500)
SANDBOX = SandboxConfig(limits=LIMITS, workers=2)


@dataclass
class StubBackend:
    """Answers a prompt with the fixture whose key it contains (injected code, not a model)."""

    answers: Callable[[str], str]
    backend: str = "stub"
    model: str = "fixture-code"
    max_in_flight: int = 4
    model_digest: str | None = "fixtures-v1"

    def lineage_params(self) -> dict:
        return {}

    def complete(
        self, prompt: str, sampling: Sampling, sample_index: int, schema: object = None
    ) -> Completion:
        return Completion(self.answers(prompt), "stop", len(prompt), 10, 1.0)


def exercise(solution: str, tests: str) -> str:
    return (
        f"PROBLEM:\nA task.\nSOLUTION:\n```python\n{solution}```\nTESTS:\n```python\n{tests}```\n"
    )


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        server.setblocking(False)
        yield server


def fixtures(port: int, outside: Path) -> dict[str, str]:
    add_tests = "assert add(2, 3) == 5\nassert add(-1, 1) == 0\n"
    return {
        "correct-add": exercise("def add(a, b):\n    return a + b\n", add_tests),
        "correct-reverse": exercise(
            "def rev(s):\n    return s[::-1]\n",
            "assert rev('abc') == 'cba'\n\ndef test_empty():\n    assert rev('') == ''\n",
        ),
        "failing-assertion": exercise(
            "def add(a, b):\n    return a - b\n",
            "assert add(0, 0) == 0\nassert add(2, 3) == 5, 'sum'\n",
        ),
        "infinite-loop": exercise("def add(a, b):\n    while True:\n        pass\n", add_tests),
        "syntax-error": exercise("def add(a, b)\n    return a + b\n", add_tests),
        "socket": exercise(
            "import socket\n\ndef add(a, b):\n"
            f"    socket.create_connection(('127.0.0.1', {port}), timeout=1).sendall(b'x')\n"
            "    return a + b\n",
            add_tests,
        ),
        "write-outside": exercise(
            f"def add(a, b):\n    open({str(outside)!r}, 'w').write('owned')\n    return a + b\n",
            add_tests,
        ),
        "fork-bomb": exercise("import os\nwhile True:\n    os.fork()\n", add_tests),
        "memory-hog": exercise(
            "hog = []\nwhile True:\n    hog.append(bytearray(10 ** 7))\n", add_tests
        ),
    }


def seeds(names: list[str]) -> pl.DataFrame:
    frame = pl.DataFrame(
        {
            "kind": ["instruction"] * len(names),
            "task_type": ["coding"] * len(names),
            "instruction": [f"Exercise {n}: write a small function." for n in names],
            "response": ["..."] * len(names),
        }
    )
    return with_row_ids(conform(frame))


def context(tmp_path: Path) -> SynthesisContext:
    return SynthesisContext(
        wh=Warehouse(tmp_path), run_id="run-1", created_at=datetime(2026, 1, 1), random_seed=1
    )


def stub(monkeypatch: pytest.MonkeyPatch, answers: Callable[[str], str]) -> None:
    monkeypatch.setattr("assets.models.session.build_backend", lambda config: StubBackend(answers))


def sandbox_processes() -> list[int]:
    """Processes still running the harness (a fork bomb's survivors would)."""
    marker = HARNESS.splitlines()[0].encode()
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and marker in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def test_only_passing_exercises_are_kept_and_each_failure_has_its_verdict(
    tmp_path, monkeypatch, listener
):
    outside = Path("/var/tmp") / f"synthfoundry-sandbox-{uuid.uuid4().hex}.txt"
    code = fixtures(listener.getsockname()[1], outside)
    stub(monkeypatch, lambda prompt: next(v for k, v in code.items() if k in prompt))
    names = list(code)
    config = CodeInstruct(method="code_instruct", repair_attempts=0, sandbox=SANDBOX)
    ctx = context(tmp_path)
    output = CodeInstructMethod(config).run(seeds(names), ctx)

    kept = output.rows.to_dicts()
    assert sorted(r["instruction"] for r in kept) == ["A task."] * 2
    assert sorted(json.loads(r["attributes"])["tests"] for r in kept) == sorted(
        code[n].split("TESTS:\n```python\n")[1].removesuffix("```\n") for n in names[:2]
    )
    for row in kept:
        execution = json.loads(row["attributes"])["execution"]
        assert row["verified"] and execution["tests_run"] == execution["tests_passed"] == 2
        assert execution["sandbox"] == "bubblewrap" and execution["limits"]["cpu_s"] == 1
        assert row["response"].startswith("```python\ndef ")

    by_seed = {s["row_id"]: s["instruction"] for s in seeds(names).to_dicts()}
    verdicts = {}
    for decision in output.rejections.to_dicts():
        evidence = json.loads(decision["evidence"])
        name = by_seed[evidence["source_row_id"]].split()[1].rstrip(":")
        verdicts[name] = (decision["rule"], evidence)
        assert evidence["seed_ids"] == [evidence["source_row_id"]]
        assert decision["row_id"] == evidence["call_id"][:32]
        assert evidence["seconds"] < LIMITS.wall_s + 1
        assert {"stdout", "stderr", "stdout_truncated", "exit_status"} <= set(evidence)
    assert {k: v[0] for k, v in verdicts.items()} == {
        "failing-assertion": "tests_failed",
        "infinite-loop": "timeout",
        "syntax-error": "syntax_error",
        "socket": "sandbox_violation",
        "write-outside": "sandbox_violation",
        "fork-bomb": "resource_limit",
        "memory-hog": "resource_limit",
    }
    failed = verdicts["failing-assertion"][1]["failed_test"]
    assert failed["test"] == "assert add(2, 3) == 5, 'sum'" and failed["message"] == "sum"
    assert verdicts["failing-assertion"][1]["tests_passed"] == 1
    # CPU time runs out first, unless a busy machine gives the loop less than a core.
    assert verdicts["infinite-loop"][1]["error"]["limit"] in {"cpu_s", "wall_s"}
    assert verdicts["syntax-error"][1]["error"]["line"] == 1
    assert verdicts["socket"][1]["violations"][0]["kind"] == "network"
    assert verdicts["write-outside"][1]["violations"][0]["target"] == str(outside)
    assert verdicts["fork-bomb"][1]["error"]["type"] == "BlockingIOError"
    assert verdicts["memory-hog"][1]["error"]["type"] == "MemoryError"

    # The machine is unharmed: no connection came in, no file was written, nothing survives.
    with pytest.raises(BlockingIOError):
        listener.accept()
    assert not outside.exists()
    assert sandbox_processes() == []
    assert subprocess.run(["true"], check=False).returncode == 0

    # Every attempt is a logged call of the method's generator.
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        logged = dict(con.sql("SELECT request_hash, generator_id FROM model_calls").fetchall())
    (generator,) = output.generators
    call_ids = [json.loads(d)["call_id"] for d in output.rejections["evidence"]]
    for call_id in call_ids + [c for r in kept for c in r["call_ids"]]:
        assert logged[call_id] == generator.generator_id
    assert output.model_calls == len(names)


def test_a_failure_is_fed_back_and_the_repaired_attempt_is_kept_with_both_calls(
    tmp_path, monkeypatch
):
    broken = exercise("def add(a, b):\n    return a - b\n", "assert add(2, 3) == 5, 'sum'\n")
    fixed = exercise("def add(a, b):\n    return a + b\n", "assert add(2, 3) == 5, 'sum'\n")
    prompts = []

    def answers(prompt: str) -> str:
        prompts.append(prompt)
        return fixed if "This test failed: assert add(2, 3) == 5, 'sum'" in prompt else broken

    stub(monkeypatch, answers)
    config = CodeInstruct(method="code_instruct", repair_attempts=2, sandbox=SANDBOX)
    output = CodeInstructMethod(config).run(seeds(["repairable"]), context(tmp_path))
    (row,) = output.rows.to_dicts()
    (decision,) = output.rejections.to_dicts()
    evidence = json.loads(decision["evidence"])
    assert decision["rule"] == "tests_failed" and evidence["attempt"] == 0
    assert len(prompts) == 2 and "AssertionError: sum" in prompts[1]
    assert row["call_ids"][0] == evidence["call_id"] and len(row["call_ids"]) == 2
    assert json.loads(row["attributes"])["attempts"] == 2


def test_programs_are_kept_only_when_they_print_the_reference_answer(tmp_path, monkeypatch):
    problems = with_row_ids(
        conform(
            pl.DataFrame(
                {
                    "kind": ["instruction"] * 3,
                    "task_type": ["math"] * 3,
                    "instruction": ["Add 17 and 25.", "Multiply 6 by 7.", "Divide 1 by 4."],
                    "answer": ["42", "42", "0.25"],
                }
            )
        )
    )
    programs = {
        "Add 17": "```python\nprint(17 + 25)\n```",
        "Multiply": "```python\nprint(6 + 7)\n```",  # wrong, and wrong again when repaired
        "Divide": "print(1 / 0)\n```",  # fails, then repaired after seeing the error
    }

    def answers(prompt: str) -> str:
        if "ZeroDivisionError" in prompt:
            return "```python\nprint(1 / 4)\n```"
        return next(v for k, v in programs.items() if k in prompt)

    stub(monkeypatch, answers)
    config = ProgramOfThought(method="program_of_thought", repair_attempts=1, sandbox=SANDBOX)
    output = ProgramOfThoughtMethod(config).run(problems, context(tmp_path))
    kept = {r["instruction"]: r for r in output.rows.to_dicts()}
    assert set(kept) == {"Add 17 and 25.", "Divide 1 by 4."}
    assert all(r["verified"] for r in kept.values())
    assert len(kept["Divide 1 by 4."]["call_ids"]) == 2
    assert "Running it prints: 0.25" in kept["Divide 1 by 4."]["response"]
    rules = sorted(
        (d["rule"], json.loads(d["evidence"])["attempt"]) for d in output.rejections.to_dicts()
    )
    assert rules == [("answer_mismatch", 0), ("answer_mismatch", 1), ("runtime_error", 0)]


def test_no_code_runs_when_bubblewrap_is_missing(monkeypatch, tmp_path):
    monkeypatch.setattr("assets.execution.sandbox.shutil.which", lambda name: None)
    with pytest.raises(Exception, match="bubblewrap .* not installed, so no code was executed"):
        Sandbox(SANDBOX)


def test_unsandboxed_mode_runs_but_warns_every_time(caplog):
    config = SandboxConfig(mode="unsandboxed", limits=LIMITS)
    for _ in range(2):
        result = Sandbox(config).run(Execution("def f():\n    return 1\n", "assert f() == 1"))
        assert result.passed and not result.sandboxed
    warnings = [r for r in caplog.records if "UNSANDBOXED CODE EXECUTION" in r.getMessage()]
    assert len(warnings) == 2


def test_the_sandbox_sees_no_environment_home_or_project(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret-value")
    program = (
        "import os\n"
        "print(sorted(os.environ))\n"
        f"print(os.path.exists({str(Path.cwd())!r}), os.path.exists({os.path.expanduser('~')!r}))\n"
        "print(sorted(os.listdir('/')))\n"
        "print(os.getuid(), os.getgid(), os.getgroups())\n"
    )
    result = Sandbox(SANDBOX).run(Execution(program, None, main=True))
    assert result.passed, result.evidence()
    environment, visible, root, identity = result.stdout.splitlines()
    # Started by root, the program runs as nobody with no supplementary groups (the process
    # limit binds only a user other than root).
    if os.geteuid() == 0:
        assert identity == "65534 65534 []"
    assert "OPENAI_API_KEY" not in environment and "sk-secret" not in result.stdout
    assert visible == "False False"
    assert set(eval(root)) <= {"usr", "bin", "lib", "lib64", "sbin", "tmp", "dev", "proc"}
    # Looking for the host's files finds nothing, and is named a violation.
    probe = f"def f():\n    return open({os.path.expanduser('~/.bashrc')!r}).read()\n"
    result = Sandbox(SANDBOX).run(Execution(probe, "assert f()"))
    assert result.status == "sandbox_violation"
    assert result.violations[0]["kind"] == "file_read"


def coding_rows() -> pl.DataFrame:
    """Rows the filtered stage sees: tests on the row, tests only on its seed, none at all."""
    double = "```python\ndef double(x):\n    return 2 * x\n```\nIt doubles x."
    seed = {
        "kind": "instruction",
        "instruction": "Write double(x).",
        "response": double,
        "attributes": json.dumps({"tests": ["assert double(2) == 4", "assert double(0) == 0"]}),
        "method": "seed_passthrough",
    }
    rows = [
        seed,
        {**seed, "response": double.replace("2 * x", "x + 2"), "method": "self_instruct"},
        {**seed, "response": double.replace("2 * x", "x * 2"), "attributes": "{}"},
        {**seed, "instruction": "Write double(x), briefly.", "attributes": "{}"},
        {**seed, "instruction": "Say hi.", "response": "Hi!", "attributes": "{}"},
        {**seed, "response": "```python\ndef double(x):\n    return 2 * x\n", "attributes": "{}"},
    ]
    return with_row_ids(conform(pl.DataFrame(rows)))


def untimed(rows: pl.DataFrame) -> pl.DataFrame:
    def strip(attributes: str) -> str:
        parsed = json.loads(attributes)
        parsed.get("execution", {}).pop("seconds", None)
        return json.dumps(parsed)

    return rows.with_columns(pl.col("attributes").map_elements(strip, return_dtype=pl.String))


def test_code_verify_runs_rows_with_tests_and_drops_each_failure_with_its_verdict(tmp_path):
    from assets.filters.code_verify import CodeVerify, CodeVerifyConfig
    from assets.models.context import ModelContext
    from assets.run_context import RunContext
    from assets.stream import run_steps
    from warehouse.corpora import decide_version, stage_version

    rows = coding_rows()
    wh = Warehouse(tmp_path)
    seed_rows = rows.head(1).with_columns(pl.concat_list("row_id").alias("seed_ids"))
    version = stage_version(wh, "seed", seed_rows)
    decide_version(wh, "seed", version, promote=True, check_results={})
    rows = rows.with_columns(pl.lit([seed_rows["row_id"][0]]).alias("seed_ids"))
    setup = RunContext(ModelContext(wh, "run-1"))
    config = CodeVerifyConfig(sandbox=SANDBOX)

    (step,) = CodeVerify.from_config(CodeVerifyConfig(), setup)
    assert step.config.enabled
    output = run_steps(rows, [CodeVerify(config, setup.ctx)], stage="filtered")
    kept = {r["row_id"]: r for r in output.rows.to_dicts()}
    ids = rows["row_id"].to_list()
    assert set(kept) == {ids[0], ids[2], ids[3], ids[4], ids[5]}
    for verified in (ids[0], ids[2]):
        execution = json.loads(kept[verified]["attributes"])["execution"]
        assert kept[verified]["verified"] and execution["tests_passed"] == 2
    # Its own tests for the first row; its seed's for the third (same instruction); the
    # fourth answers another instruction, the fifth has no code, the sixth an unclosed block.
    assert json.loads(kept[ids[2]]["attributes"])["execution"]["tests_from"] == "seed"
    assert not any(kept[i]["verified"] for i in ids[3:])
    (decision,) = output.decisions.to_dicts()
    evidence = json.loads(decision["evidence"])
    assert (decision["row_id"], decision["rule"], decision["score"]) == (
        ids[1],
        "tests_failed",
        0.5,
    )
    assert evidence["failed_test"]["test"] == "assert double(0) == 0"
    assert output.stats["code_verify"] == {"executed": 3, "passed": 2, "untested": 1,
                                           "tests_failed": 1}  # fmt: skip

    strict = CodeVerifyConfig(require_tests=True, sandbox=SANDBOX)
    dropped = run_steps(rows, [CodeVerify(strict, setup.ctx)], stage="filtered").decisions
    assert sorted(dropped["rule"]) == ["no_tests", "tests_failed"]
    # The same whatever the batches, but for each run's measured time.
    whole = run_steps(rows, [CodeVerify(strict, setup.ctx)], stage="filtered")
    batched = run_steps(rows, [CodeVerify(strict, setup.ctx)], stage="filtered", batch_rows=2)
    assert untimed(whole.rows).equals(untimed(batched.rows))
    assert whole.decisions.drop("evidence").equals(batched.decisions.drop("evidence"))
    assert whole.stats == batched.stats


FORGED_REPORT = (
    b'{"tests":[{"test":"assert f() == 2","passed":true}],"status":"passed","error":null,'
    b'"violations":[]}'
)
FORGERIES = {
    # At import: a passing verdict on every inherited descriptor, then out before the harness.
    "forged-descriptors": exercise(
        "import os\n\ndef f():\n    return 1\n\n"
        f"for fd in range(3, 32):\n    try:\n        os.write(fd, {FORGED_REPORT!r})\n"
        "    except OSError:\n        pass\nos._exit(0)\n",
        "assert f() == 2\n",
    ),
    # The same, but the harness is left to write its report after the forged one.
    "forged-then-harness": exercise(
        "import os\n\ndef f():\n    return 1\n\n"
        f"for fd in range(3, 32):\n    try:\n        os.write(fd, {FORGED_REPORT!r})\n"
        "    except OSError:\n        pass\n",
        "assert f() == 2\n",
    ),
    # The harness's own format with values that pass, under a guessed nonce.
    "guessed-nonce": exercise(
        "import os\n\ndef f():\n    return 1\n\n"
        'r = b\'{"nonce":"0","status":"passed","violations":[],"stopped":{},\'\n'
        "r += b'\"values\":{' + b','.join(b'\"%d\":2' % i for i in range(1, 9)) + b'}}'\n"
        "for fd in range(3, 32):\n    try:\n        os.write(fd, r)\n    except OSError:\n"
        "        pass\nos._exit(0)\n",
        "assert f() == 2\n",
    ),
    "always-equal": exercise(
        "class Anything:\n    def __eq__(self, other):\n        return True\n\n"
        "    __hash__ = None\n\ndef sum_even(xs):\n    return Anything()\n",
        "assert sum_even([1, 2, 3, 4]) == 6\n",
    ),
    "correct-two": exercise("def f():\n    return 2\n", "assert f() == 2\n"),
    "correct-sum-even": exercise(
        "def sum_even(xs):\n    return sum(x for x in xs if x % 2 == 0)\n",
        "assert sum_even([1, 2, 3, 4]) == 6\n",
    ),
}


def test_forged_verdicts_and_always_equal_objects_are_not_verified(tmp_path, monkeypatch):
    stub(monkeypatch, lambda prompt: next(v for k, v in FORGERIES.items() if k in prompt))
    names = list(FORGERIES)
    config = CodeInstruct(method="code_instruct", repair_attempts=0, sandbox=SANDBOX)
    output = CodeInstructMethod(config).run(seeds(names), context(tmp_path))

    kept = sorted(r["response"] for r in output.rows.to_dicts())
    assert len(kept) == 2 and all("return 1" not in r and "Anything" not in r for r in kept)
    for row in output.rows.to_dicts():
        execution = json.loads(row["attributes"])["execution"]
        assert row["verified"] and execution["verdict"] == "split"
    by_seed = {s["row_id"]: s["instruction"] for s in seeds(names).to_dicts()}
    verdicts = {}
    for decision in output.rejections.to_dicts():
        evidence = json.loads(decision["evidence"])
        verdicts[by_seed[evidence["source_row_id"]].split()[1].rstrip(":")] = (
            decision["rule"],
            evidence,
        )
    assert {k: v[0] for k, v in verdicts.items()} == {
        "forged-descriptors": "forged_report",
        "forged-then-harness": "forged_report",
        "guessed-nonce": "forged_report",
        "always-equal": "tests_failed",
    }
    assert "nonce" in verdicts["forged-descriptors"][1]["error"]["message"]
    assert "single report" in verdicts["forged-then-harness"][1]["error"]["message"]
    failed = verdicts["always-equal"][1]["failed_test"]
    assert failed["error_type"] == "NotPlainData" and "Anything" in failed["message"]


HUNTER = '''import gc, sys

def hunt(prefix):
    """Any text in this process that holds `prefix` and four digits: memory, frames, stdin."""
    def found(text):
        at = text.find(prefix) if isinstance(text, str) else -1
        tail = text[at + len(prefix):at + len(prefix) + 4] if at >= 0 else ""
        return prefix + tail if len(tail) == 4 and tail.isdigit() else None
    for obj in gc.get_objects():
        items = obj.values() if isinstance(obj, dict) else obj if isinstance(obj, list | tuple) else ()
        for item in items:
            if hit := found(item):
                return hit
    frame = sys._getframe()
    while frame is not None:
        for value in list(frame.f_locals.values()) + list(frame.f_code.co_consts):
            if hit := found(value):
                return hit
        frame = frame.f_back
    return found(sys.stdin.read()) or "not found"

def expected_marker():
    return hunt("exp" + "ected-")

def literal_marker():
    return hunt("lit" + "eral-")
'''


def test_a_split_verdict_round_trip_through_bubblewrap():
    tests = (
        "import math\n"
        "marker = '-'.join(['expected', str(7000 + math.factorial(5) + 199)])\n"
        "assert expected_marker() == marker\n"
        "assert literal_marker() == 'literal-5521'\n"
    )
    honest = "def expected_marker():\n    return 'expected-7319'\n\n" + (
        "def literal_marker():\n    return 'literal-5521'\n"
    )
    sandbox = Sandbox(SANDBOX)
    result = sandbox.run(Execution(honest, tests))
    assert result.passed and result.verdict == "split" and result.sandboxed, result.evidence()
    # The solution looks for the expected values everywhere in its process: none is there.
    result = sandbox.run(Execution(HUNTER, tests))
    assert result.status == "tests_failed", result.evidence()
    assert [t["message"] for t in result.tests] == [
        "expected_marker() (computed 'not found') == 'expected-7319' is false",
        "literal_marker() (computed 'not found') == 'literal-5521' is false",
    ]
    # What the solution's run is given (inputs), it does find.
    bait = "given = [expected_marker, 'expected-4242']\nassert expected_marker() == 'expected-4242'"
    assert sandbox.run(Execution(HUNTER, bait)).passed

    # Plain data keeps its types both ways; subclasses are read through their base type.
    values = "(1, {2}, frozenset({3}), True, None, 1.5, b'x', {'a': [1]}, 2+1j, [-0.0])"
    typed = (
        "from collections import Counter\n\n"
        f"def h():\n    return {values}\n\n"
        "class Sneaky(str):\n    def __eq__(self, other):\n        return True\n\n"
        "    __hash__ = str.__hash__\n\n"
        "def words():\n    return Counter('aab')\n\ndef name():\n    return Sneaky('abc')\n"
    )
    checks = (
        f"assert h() == {values}\nassert h() != {values.replace('True', '1')}\n"
        "assert words() == {'a': 2, 'b': 1}\nassert name() == 'xyz'\n"
        "assert h()[1] == [2]\n"
    )
    result = sandbox.run(Execution(typed, checks))
    assert [t["passed"] for t in result.tests] == [True, False, True, False, False]

    # The expected sides run sandboxed too: reaching for the host fails there.
    probe = "def f():\n    return 'x'\n"
    result = sandbox.run(Execution(probe, "assert f() == open('/etc/hostname').read()\n"))
    assert result.status == "sandbox_violation" and result.error["where"] == "expected"
    assert result.violations[0]["kind"] == "file_read"


@pytest.mark.skipif(os.geteuid() != 0, reason="only root switches to nobody")
def test_without_setpriv_the_sandbox_still_runs_as_nobody(monkeypatch):
    which = shutil.which
    monkeypatch.setattr(
        "assets.execution.sandbox.shutil.which",
        lambda name: None if name == "setpriv" else which(name),
    )
    program = "import os\nprint(os.getuid(), os.getgroups())\n"
    result = Sandbox(SANDBOX).run(Execution(program, None, main=True))
    assert result.passed, result.evidence()
    assert result.stdout.splitlines()[0] == "65534 []"
