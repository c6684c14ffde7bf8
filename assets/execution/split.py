"""Splitting unit tests into what the solution computes and what they expect.

Each `assert` becomes a tree of comparisons (`==`, `!=`, `<`, `<=`, `>`, `>=`, `in`, `not in`,
`is`/`is not` against None, True or False), truth tests, `not`, `and` and `or` over *leaves*:
expressions. A leaf that depends on the solution (it names something the solution defines, or
setup that used it) is computed in the solution's run; any other leaf is expected: a literal
is read here with `ast.literal_eval`, anything else is evaluated in a separate run without the
solution. A test that expects an exception (`try: call() except E: return/pass` followed by
`raise`/`assert False`, or with the failure in `else:`) reports what the call raised.

Setup statements (everything else at the top level) run where the leaves that need them run;
a statement that uses the solution runs only in the solution's run and taints what it touches.
`test*` functions whose bodies are setup, asserts and exception tests run in a scope of their
own. Whatever cannot be split (asserts in loops or helpers, identity against other values,
assignments inside asserts, test functions with parameters or early returns) is a test marked
unverifiable: it fails, with the reason, and is not run.
"""

from __future__ import annotations

import ast
import builtins
import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

BUILTINS = frozenset(dir(builtins))
NESTED = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda, ast.ListComp,
          ast.SetComp, ast.DictComp, ast.GeneratorExp)  # fmt: skip
UNSPLITTABLE = (ast.Assert, ast.Return, ast.Yield, ast.YieldFrom, ast.Await, ast.Global,
                ast.Nonlocal, ast.NamedExpr)  # fmt: skip
COMPARE = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">",
           ast.GtE: ">=", ast.In: "in", ast.NotIn: "not in", ast.Is: "is", ast.IsNot: "is not"}  # fmt: skip
SINGLETONS = (None, True, False, ...)
StepTuple = tuple[str, int, int, str, int]  # (op, scope, id, source, line): the harness's step


class Unsplittable(Exception):
    """A test shape whose verdict could only be decided inside the solution's process."""


@dataclass(frozen=True)
class Leaf:
    """An expression of a test: computed in `solution`, evaluated in `expected`, or a
    `literal` read here (its `value`)."""

    id: int
    run: Literal["solution", "expected", "literal"]
    source: str
    value: Any = None


@dataclass(frozen=True)
class Check:
    """One assert or exception test. `tree` nodes: ("and"|"or", [trees]), ("not", tree),
    ("truth", leaf), ("cmp", [leaves], [ops]), ("raises", leaf, [class names], message)."""

    tree: tuple
    message: Leaf | None = None


@dataclass
class Test:
    """A test as it is reported: a top-level assert or exception test, or a test function
    (its setup steps and checks in order); `unverifiable` says why it cannot be split."""

    name: str
    line: int
    scope: int
    body: list[int | Check] = field(default_factory=list)
    unverifiable: str | None = None


@dataclass
class Step:
    op: Literal["exec", "eval", "raises"]
    scope: int
    id: int
    source: str
    line: int
    free: frozenset[str]
    binds: frozenset[str] = frozenset()
    runs: set[str] = field(default_factory=set)
    pure: bool = False  # setup that does not use the solution: it may run in either run

    def tuple(self) -> StepTuple:
        return (self.op, self.scope, self.id, self.source, self.line)


@dataclass
class Plan:
    """The tests, split: the steps of the solution's run and of the expected run."""

    tests: list[Test]
    steps: list[Step]
    syntax_error: dict[str, Any] | None = None

    def run_steps(self, run: str) -> list[StepTuple]:
        return [s.tuple() for s in self.steps if run in s.runs]

    @property
    def needs_expected_run(self) -> bool:
        return any(s.op != "exec" and "expected" in s.runs for s in self.steps)


@dataclass
class State:
    """What the names of one scope hold so far: set up without the solution (`pure`), touched
    by the solution (`tainted`), or bound by something that cannot run (`broken`)."""

    pure: set[str] = field(default_factory=set)
    tainted: set[str] = field(default_factory=set)
    broken: set[str] = field(default_factory=set)

    def copy(self) -> State:
        return State(set(self.pure), set(self.tainted), set(self.broken))


def _stored(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def free_names(node: ast.AST) -> frozenset[str]:
    """Names a node reads from its scope (not those local to its comprehensions, lambdas and
    functions); an augmented assignment reads its target."""
    loads, inner = set(), set()
    for n in ast.walk(node):
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load):
            loads.add(n.id)
        elif isinstance(n, ast.AugAssign) and isinstance(n.target, ast.Name):
            loads.add(n.target.id)
        elif isinstance(n, ast.comprehension):
            inner |= _stored(n.target)
        elif isinstance(n, ast.Lambda | ast.FunctionDef | ast.AsyncFunctionDef):
            inner |= {a.arg for a in ast.walk(n.args) if isinstance(a, ast.arg)}
            if not isinstance(n, ast.Lambda):
                inner |= {s for b in n.body for s in bound_names(b)}
    return frozenset(loads - inner)


def bound_names(node: ast.AST) -> set[str]:
    """Names a statement binds or mutates in its own scope (targets, the objects whose items
    or attributes it assigns, definitions, imports)."""
    names: set[str] = set()

    def visit(n: ast.AST) -> None:
        if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(n.name)
            return
        if isinstance(n, NESTED):
            return
        if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load):
            names.add(n.id)
        elif isinstance(n, ast.Subscript | ast.Attribute) and not isinstance(n.ctx, ast.Load):
            root = n.value
            while isinstance(root, ast.Subscript | ast.Attribute):
                root = root.value
            if isinstance(root, ast.Name):
                names.add(root.id)
        elif isinstance(n, ast.alias):
            names.add((n.asname or n.name).split(".")[0])
        elif isinstance(n, ast.ExceptHandler) and n.name:
            names.add(n.name)
        for child in ast.iter_child_nodes(n):
            visit(child)

    visit(node)
    return names


def solution_names(code: str) -> frozenset[str]:
    """The module-level names the solution binds (statically: what it binds dynamically is
    unknown, and unknown names count as the solution's anyway)."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return frozenset()
    names = {n for stmt in tree.body for n in bound_names(stmt)}
    names |= {g for n in ast.walk(tree) if isinstance(n, ast.Global) for g in n.names}
    return frozenset(names)


def _contains(node: ast.AST, kinds: tuple[type, ...]) -> bool:
    return any(isinstance(n, kinds) for n in ast.walk(node))


def _is_fail(stmt: ast.stmt) -> bool:
    """`raise ...` or `assert False[, msg]`: the statement a test reaches when the expected
    exception did not come."""
    if isinstance(stmt, ast.Raise):
        return stmt.exc is not None
    return (
        isinstance(stmt, ast.Assert)
        and isinstance(stmt.test, ast.Constant)
        and not stmt.test.value
        and (stmt.msg is None or isinstance(stmt.msg, ast.Constant))
    )


def _fail_message(stmt: ast.stmt) -> str:
    node = stmt.msg if isinstance(stmt, ast.Assert) else stmt.exc  # type: ignore[attr-defined]
    if isinstance(node, ast.Call) and node.args:
        node = node.args[0]
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return "no exception was raised"


def _ends_quietly(handler: ast.ExceptHandler) -> bool:
    return all(
        isinstance(s, ast.Pass) or (isinstance(s, ast.Return) and s.value is None)
        for s in handler.body
    )


class Splitter:
    """Walks the tests once, classifying every statement and leaf."""

    def __init__(self, tests: str, code: str):
        self.source = tests
        self.solution = solution_names(code)
        self.ids = itertools.count(1)
        self.steps: list[Step] = []
        self.tests: list[Test] = []

    def depends(self, names: frozenset[str], state: State) -> bool:
        return any(
            n in self.solution or n in state.tainted or (n not in state.pure and n not in BUILTINS)
            for n in names
        )

    def text(self, node: ast.AST) -> str:
        return ast.get_source_segment(self.source, node) or ast.unparse(node)

    # statements

    def split(self) -> Plan:
        try:
            tree = ast.parse(self.source)
        except (SyntaxError, ValueError) as exc:
            error = {"type": type(exc).__name__, "message": str(getattr(exc, "msg", exc))}
            return Plan([], [], {**error, "line": getattr(exc, "lineno", None)})
        functions = [
            n
            for n in tree.body
            if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.name.startswith("test")
        ]
        skip = {f.name for f in functions}
        state = State()
        module = Test("", 0, 0)
        self.block(tree.body, 0, state, module, skip)
        for scope, function in enumerate(functions, start=1):
            self.function(function, scope, state.copy())
        self.place()
        return Plan(self.tests, self.steps)

    def block(
        self, body: list[ast.stmt], scope: int, state: State, test: Test, skip: set[str]
    ) -> None:
        """The statements of the module (each assert its own test) or of a test function
        (`test` collects them; the first unsplittable one raises)."""
        i = 0
        while i < len(body):
            node = body[i]
            i += 1
            if scope == 0 and self.skipped(node, skip):
                continue
            try:
                if isinstance(node, ast.Assert):
                    check = Check(self.tree(node.test, scope, state), self.message(node, state))
                    self.add(test, scope, node, check)
                elif (found := self.raises(body, i - 1, scope, state)) is not None:
                    check, used = found
                    i += used - 1
                    self.add(test, scope, node, check)
                elif _contains(node, UNSPLITTABLE):
                    raise Unsplittable(f"line {node.lineno}: a statement holding an assert, "
                                       "return or yield can only be checked inside the "
                                       "solution's process")  # fmt: skip
                else:
                    step = self.setup(node, scope, state)
                    if scope != 0:
                        test.body.append(step.id)
            except Unsplittable as why:
                if scope != 0:
                    raise
                state.broken |= bound_names(node)
                self.tests.append(Test(self.text(node)[:500], node.lineno, 0, [], str(why)))

    def skipped(self, node: ast.stmt, tests: set[str]) -> bool:
        """Calls of the test functions (they run as tests anyway), `if __name__ == ...` blocks
        (the tests never run as `__main__`), docstrings and `pass`."""
        if isinstance(node, ast.Pass):
            return True
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name in tests:
            return True
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            return True
        if isinstance(node, ast.If) and "__name__" in free_names(node.test):
            return True
        call = node.value if isinstance(node, ast.Expr) else None
        return isinstance(call, ast.Call) and getattr(call.func, "id", None) in tests

    def add(self, test: Test, scope: int, node: ast.stmt, check: Check) -> None:
        if scope == 0:
            self.tests.append(Test(self.text(node), node.lineno, 0, [check]))
        else:
            test.body.append(check)

    def function(self, node: ast.FunctionDef | ast.AsyncFunctionDef, scope: int, state: State):
        test = Test(node.name, node.lineno, scope)
        kept = len(self.steps)
        try:
            if isinstance(node, ast.AsyncFunctionDef) or node.decorator_list:
                raise Unsplittable("a decorated or async test function")
            args = node.args
            if args.args or args.posonlyargs or args.vararg or args.kwonlyargs or args.kwarg:
                raise Unsplittable("a test function with parameters (fixtures)")
            body = node.body
            while (
                body
                and isinstance(body[0], ast.Expr | ast.Pass)
                and (isinstance(body[0], ast.Pass) or isinstance(body[0].value, ast.Constant))
            ):
                body = body[1:]
            self.block(body, scope, state, test, set())
            if not any(isinstance(item, Check) for item in test.body):
                raise Unsplittable("a test function without an assert or an expected exception")
        except Unsplittable as why:
            del self.steps[kept:]
            test.body, test.unverifiable = [], f"{node.name}: {why}"
        self.tests.append(test)

    def setup(self, node: ast.stmt, scope: int, state: State) -> Step:
        free = free_names(node)
        if free & state.broken:
            raise Unsplittable(f"uses {', '.join(sorted(free & state.broken))}, which could "
                               "not be set up")  # fmt: skip
        binds = frozenset(bound_names(node))
        step = Step("exec", scope, next(self.ids), ast.unparse(node), node.lineno, free, binds)
        if self.depends(free, state):
            step.runs.add("solution")
            touched = binds | (free & (state.pure | state.tainted))
            state.tainted |= touched
            state.pure -= touched
        else:
            step.pure = True
            # A bare call may mutate what it is given: it binds what it reads.
            step.binds = binds | (free if isinstance(node, ast.Expr) else frozenset())
            state.pure |= binds
            state.tainted -= binds
        self.steps.append(step)
        return step

    def raises(
        self, body: list[ast.stmt], at: int, scope: int, state: State
    ) -> tuple[Check, int] | None:
        """An exception test starting at `body[at]`, and how many statements it spans."""
        node = body[at]
        if not isinstance(node, ast.Try) or node.finalbody or not node.handlers:
            return None
        if not all(_ends_quietly(h) for h in node.handlers):
            return None
        returns = any(isinstance(s, ast.Return) for h in node.handlers for s in h.body)
        if len(node.orelse) == 1 and _is_fail(node.orelse[0]):
            block, fail, used = node.body, node.orelse[0], 1
        elif not node.orelse and len(node.body) > 1 and _is_fail(node.body[-1]):
            block, fail, used = node.body[:-1], node.body[-1], 1
        elif (
            not node.orelse and returns and scope != 0
            and at + 2 == len(body) and _is_fail(body[at + 1])
        ):  # fmt: skip
            block, fail, used = node.body, body[at + 1], 2
        else:
            return None
        names = [self.handler_names(h, state) for h in node.handlers]
        classes = [c for group in names for c in group]
        catches_failure = {
            "builtins.AssertionError",
            "builtins.Exception",
            "builtins.BaseException",
        }
        if fail in node.body and catches_failure & set(classes):
            raise Unsplittable(f"line {node.lineno}: the handler catches the test's own failure")
        if any(_contains(s, UNSPLITTABLE) for s in block):
            raise Unsplittable(f"line {node.lineno}: an assert or return inside a try block")
        source = "\n".join(ast.unparse(s) for s in block)
        free = frozenset().union(*(free_names(s) for s in block))
        if free & state.broken:
            raise Unsplittable(f"uses {', '.join(sorted(free & state.broken))}, which could "
                               "not be set up")  # fmt: skip
        binds = frozenset().union(*(bound_names(s) for s in block))
        step = Step("raises", scope, next(self.ids), source, block[0].lineno, free, binds)
        run = "solution" if self.depends(free, state) else "expected"
        step.runs.add(run)
        if run == "solution":
            touched = binds | (free & (state.pure | state.tainted))
            state.tainted |= touched
            state.pure -= touched
        else:
            state.broken |= binds  # bound only in the expected run: not a setup anyone shares
        self.steps.append(step)
        leaf = Leaf(step.id, run, source)
        return Check(("raises", leaf, classes, _fail_message(fail))), used

    def handler_names(self, handler: ast.ExceptHandler, state: State) -> list[str]:
        """The classes an `except` clause catches, by module and name: built-in exceptions,
        and the solution's own classes."""
        if handler.type is None:
            return ["builtins.BaseException"]
        nodes = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
        found = []
        for node in nodes:
            name = node.id if isinstance(node, ast.Name) else None
            if name is None or name in state.pure or name in state.tainted:
                raise Unsplittable(f"line {handler.lineno}: an except clause names "
                                   f"{ast.unparse(node)}: only built-in exceptions and the "
                                   "solution's classes can be matched outside its process")  # fmt: skip
            if name in self.solution:
                found.append(f"solution.{name}")
                continue
            cls = getattr(builtins, name, None)
            if not (isinstance(cls, type) and issubclass(cls, BaseException)):
                raise Unsplittable(f"line {handler.lineno}: {name} is not a known exception")
            found.append(f"builtins.{cls.__qualname__}")
        return found

    # expressions

    def tree(self, node: ast.expr, scope: int, state: State) -> tuple:
        if _contains(node, (ast.NamedExpr, ast.Await, ast.Yield, ast.YieldFrom)):
            raise Unsplittable(f"line {node.lineno}: an assignment inside an assert")
        if isinstance(node, ast.BoolOp):
            op = "and" if isinstance(node.op, ast.And) else "or"
            return (op, [self.tree(v, scope, state) for v in node.values])
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return ("not", self.tree(node.operand, scope, state))
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            ops = [COMPARE[type(op)] for op in node.ops]
            for op, left, right in zip(ops, operands, operands[1:], strict=False):
                if op in ("is", "is not") and not any(self.singleton(x) for x in (left, right)):
                    raise Unsplittable(f"line {node.lineno}: identity ('{op}') can only be "
                                       "checked against None, True or False outside the "
                                       "solution's process")  # fmt: skip
            return ("cmp", [self.leaf(x, scope, state) for x in operands], ops)
        return ("truth", self.leaf(node, scope, state))

    @staticmethod
    def singleton(node: ast.expr) -> bool:
        return isinstance(node, ast.Constant) and any(node.value is s for s in SINGLETONS)

    def leaf(self, node: ast.expr, scope: int, state: State) -> Leaf:
        free = free_names(node)
        if free & state.broken:
            raise Unsplittable(f"uses {', '.join(sorted(free & state.broken))}, which could "
                               "not be set up")  # fmt: skip
        source = self.text(node)
        if self.depends(free, state):
            step = Step("eval", scope, next(self.ids), ast.unparse(node), node.lineno, free)
            step.runs.add("solution")
            self.steps.append(step)
            # The call may mutate what it was given: those names now hold its doing.
            state.tainted |= free & state.pure
            state.pure -= free
            return Leaf(step.id, "solution", source)
        try:
            return Leaf(next(self.ids), "literal", source, ast.literal_eval(node))
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            pass
        step = Step("eval", scope, next(self.ids), ast.unparse(node), node.lineno, free)
        step.runs.add("expected")
        self.steps.append(step)
        return Leaf(step.id, "expected", source)

    def message(self, node: ast.Assert, state: State) -> Leaf | None:
        """The assert's message, when it does not use the solution (it would carry expected
        values into its process)."""
        if node.msg is None or self.depends(free_names(node.msg), state):
            return None
        try:
            return Leaf(0, "literal", "", ast.literal_eval(node.msg))
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            return None

    # placement

    def place(self) -> None:
        """Which runs each setup statement without the solution goes to: those where a later
        step reads what it binds (function scopes first, then the module for what is left)."""
        scopes: dict[int, list[Step]] = {}
        for step in self.steps:
            scopes.setdefault(step.scope, []).append(step)
        needs = {"solution": set(), "expected": set()}
        for scope, steps in scopes.items():
            if scope != 0:
                for run, names in _backward(steps).items():
                    needs[run] |= names
        _backward(scopes.get(0, []), needs)


def _backward(steps: list[Step], needs: dict[str, set[str]] | None = None) -> dict[str, set]:
    needs = needs or {"solution": set(), "expected": set()}
    for step in reversed(steps):
        if step.pure:
            for run, names in needs.items():
                if step.binds & names:
                    step.runs.add(run)
                    names |= step.free
        else:
            for run in step.runs:
                needs[run] |= step.free
    return needs


def split_tests(tests: str, code: str) -> Plan:
    """The plan of a solution's tests (tests nested too deeply to parse are a syntax error,
    as the interpreter would find)."""
    try:
        return Splitter(tests, code).split()
    except (RecursionError, MemoryError) as exc:
        error = {"type": "SyntaxError", "message": f"too deeply nested ({type(exc).__name__})"}
        return Plan([], [], {**error, "line": None})


def checks(test: Test) -> Iterator[Check]:
    return (item for item in test.body if isinstance(item, Check))
