"""Code in an answer that is not code yet: a function whose body is `pass`, `...`, `# TODO`
or `raise NotImplementedError`, or in any language throws or panics "not implemented"
(`todo!()`, `unimplemented!(..)`); a function of a brace language with an empty body; a
block that is empty or only comments; Python blocks that do not parse; brace code left
unclosed; and shell scripts or functions that do nothing or leave an `if`, `case` or loop
open; in any language, fenced or not, a body of comments and one idle statement
(`code_bodies`), and a Python function that sets up and ends in `pass`. Abstract methods,
protocols, constructors and stubs or no-ops the user asked for are what they should be."""

from __future__ import annotations

import ast
import re
import textwrap
from dataclasses import dataclass
from typing import ClassVar

import polars as pl

from assets.filters.defects.code_bodies import code_regions, idle_body_problem
from assets.filters.defects.spans import DefectRule
from assets.filters.defects.units import decisions, units

_FENCE = re.compile(r"```[ \t]*([\w+#.-]*)[^\n]*\n(.*?)```", re.S)
_PYTHON_TAGS = {"python", "py", "python3"}
# Languages whose blocks close with brackets; their code is checked for balance only.
_BRACE_TAGS = {
    "js",
    "javascript",
    "jsx",
    "ts",
    "typescript",
    "tsx",
    "java",
    "c",
    "cpp",
    "c++",
    "cs",
    "csharp",
    "go",
    "rust",
    "rs",
    "kotlin",
    "swift",
    "php",
    "scala",
    "json",
}
# Python text in an unlabelled block: a statement keyword at a line start.
_LOOKS_PYTHON = re.compile(r"(?m)^\s*(?:def |class |import |from \w[\w.]* import |async def )")
_TODO = re.compile(
    r"(?i)(?:#|//|/\*|--)\s*(?:todo\b|fixme\b|(?:your|the) (?:\w+ ){0,2}(?:code|logic|query|"
    r"implementation) (?:goes )?here|implement (?:this|me|here|later)|(?:add|write|put|insert) "
    r"(?:your |the )?(?:\w+ ){0,6}here\b|(?:to be|not (?:yet )?) implemented|implement(?:ed)? later|"
    r"left as an exercise)|\bunimplemented!\(|\btodo!\(|"
    r"throw new NotImplementedException|"
    # A function whose one act is to say it is not written: throw/raise/panic "not implemented".
    r"(?:throw|raise|panic)\b[^\n]{0,60}?not (?:yet )?implemented|"
    # ... or whose message is a to-do marker: `panic("todo")`, `throw new Error("TODO")`.
    r"(?:throw|raise|panic)\b[^\n]{0,40}?[(\"'`][ \t]*(?:todo|tbd|fixme)(?:\b|!)|"
    # A comment that holds the place of the code, whoever's it is: "// implementation goes
    # here", "# logic here", "/* solution here */" (a whole comment, to its line's end).
    r"(?m:(?:#|//|/\*|--)[ \t]*(?:\w+ ){0,3}(?:code|logic|implementation|body|algorithm|"
    r"solution|steps?)(?: \w+){0,2} (?:goes |go )?here[.!]?[ \t]*(?:\*/)?[ \t]*$|"
    # ... or names the work left to do there: "// implement formula here", "# compute the
    # maximum here", "# ... copy files here ...", "# ... delete the old files ..." (a
    # comment held between ellipses stands for the lines it leaves out).
    r"(?:#|//|/\*|--)[ \t]*(?:implement|compute|calculate|handle|copy|delete|remove|process|"
    r"parse|sort|filter|validate|convert|check)\b[^\n]{0,40}\bhere[.!]?[ \t]*(?:\*/)?[ \t]*$|"
    r"(?:#|//|--)[ \t]*(?:\.\.\.|…)[^\n]*?\w[^\n]*?(?:\.\.\.|…)[ \t]*$)"
)
# The user asked for the outline of code, not the code (or for code that does nothing).
ASKED_FOR_STUBS = (
    r"(?i)\b(?:stub|stubs|skeleton|interface|abstract|protocol|signature|signatures|"
    r"boilerplate|scaffold|template|todo|todos|placeholder|outline|pseudo-?code|base class|"
    r"no-?op|noop|does nothing|do nothing|discards?|ignores? (?:every|all|the)|dummy|mock|fake|"
    r"smallest|minimal|empty (?:program|function|method|class|main)|"
    # "a base Exporter class whose export() must raise NotImplementedError": the raise and
    # the base class are what the request asks for.
    r"notimplementederror|base (?:\w+ )?class)\b"
)
_ABSTRACT_DECORATORS = {"abstractmethod", "abstractproperty", "overload", "abc.abstractmethod"}
_ABSTRACT_BASES = {"ABC", "Protocol", "abc.ABC", "typing.Protocol"}


def _is_stub_body(body: list[ast.stmt]) -> bool:
    statements = [
        s
        for s in body
        if not (
            isinstance(s, ast.Expr)
            and isinstance(s.value, ast.Constant)
            and isinstance(s.value.value, str)
        )
    ]
    if not statements:
        return True  # a docstring alone
    if len(statements) != 1:
        return False
    only = statements[0]
    if isinstance(only, ast.Pass):
        return True
    if (
        isinstance(only, ast.Expr)
        and isinstance(only.value, ast.Constant)
        and only.value.value is Ellipsis
    ):
        return True
    if isinstance(only, ast.Raise) and only.exc is not None:
        exc = only.exc.func if isinstance(only.exc, ast.Call) else only.exc
        return isinstance(exc, ast.Name) and exc.id == "NotImplementedError"
    return False


def _is_ellipsis(statement: ast.stmt) -> bool:
    return (
        isinstance(statement, ast.Expr)
        and isinstance(statement.value, ast.Constant)
        and statement.value.value is Ellipsis
    )


def _holds_ellipsis(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """A `...` statement beside the work of a function ("count = 0\n...\nreturn count") or
    as a block of it ("for ch in text:\n    ...", "if amount > self.balance:\n    ..."): the
    elided lines are the work. (A body that is `...` alone is a stub: `_is_stub_body`; a
    nested function or class is read as its own.)"""
    if len(node.body) > 1 and any(_is_ellipsis(s) for s in node.body):
        return True
    blocks = (ast.If, ast.For, ast.AsyncFor, ast.While, ast.With, ast.AsyncWith, ast.Try)
    return any(
        isinstance(inner, blocks)
        and any(_is_ellipsis(s) for s in (*inner.body, *getattr(inner, "orelse", [])))
        for inner in ast.walk(node)
    )


def _decorator_names(node: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    return {ast.unparse(d.func if isinstance(d, ast.Call) else d) for d in node.decorator_list}


def python_problem(code: str) -> str | None:
    """Why a Python block is not working code (a syntax error, a stub function), or None."""
    if ">>>" in code:
        return None  # a doctest session, not a module
    source = textwrap.dedent(code)
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        return f"does not parse: {exc.msg} (line {exc.lineno})"
    abstract_classes: set[int] = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.ClassDef)
            and {ast.unparse(b) for b in node.bases} & _ABSTRACT_BASES
        ):
            abstract_classes.update(id(child) for child in node.body)
    lines = source.splitlines()
    overrides = _overrides(tree)
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if id(node) in abstract_classes or _decorator_names(node) & _ABSTRACT_DECORATORS:
            continue
        if _is_stub_body(node.body):
            return f"function {node.name} is a stub"
        if _holds_ellipsis(node):
            return f"function {node.name} leaves '...' in place of code"
        if _comment_and_constant(node, lines, override=id(node) in overrides):
            return f"function {node.name} returns a constant under a comment"
        if _ends_in_pass(node):
            return f"function {node.name} ends in pass after its setup"
        if _ends_unimplemented(node):
            return f"function {node.name} sets up and then raises NotImplementedError"
    return None


def _ends_in_pass(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """A function that sets up and then ends in `pass`, returning nothing: the work the setup
    prepares for is left out ("out = df.copy()\n    ...\n    pass")."""
    body = node.body
    return (
        len(body) > 1
        and isinstance(body[-1], ast.Pass)
        and not any(isinstance(inner, ast.Return | ast.Yield) for inner in ast.walk(node))
    )


def _ends_unimplemented(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """A function that sets up ("n = len(xs)", "mean = sum(xs) / n") and then, as its last
    statement, raises NotImplementedError, with no return or yield anywhere: the result the
    setup prepares for is never computed. (A raise after returns guards the cases not
    handled: "if suffix == '.json': return ... / raise NotImplementedError(suffix)".)"""
    body = node.body
    return (
        len(body) > 1
        and _is_stub_body(body[-1:])
        and isinstance(body[-1], ast.Raise)
        and not any(isinstance(inner, ast.Return | ast.Yield) for inner in ast.walk(node))
    )


def _overrides(tree: ast.Module) -> set[int]:
    """The methods of a subclass, in a hierarchy the block defines, that implement an
    abstract method of it: a subclass's fixed answer ("return 1.0  # one charge a day") is its
    whole job there, and its comment says why, not what is missing."""
    classes = [n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)]
    abstract = {
        f.name
        for c in classes
        for f in c.body
        if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef)
        and _decorator_names(f) & _ABSTRACT_DECORATORS
    }
    names = {c.name for c in classes}
    return {
        id(f)
        for c in classes
        if {ast.unparse(b) for b in c.bases} & names
        for f in c.body
        if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef) and f.name in abstract
    }


def _comment_and_constant(
    node: ast.FunctionDef | ast.AsyncFunctionDef, source: list[str], *, override: bool = False
) -> bool:
    """A function whose one statement (a docstring aside) returns a constant, with a comment
    in its body: the comment stands where the work should be."""
    statements = [
        s for s in node.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))
    ]
    if len(statements) != 1 or not isinstance(statements[0], ast.Return):
        return False
    value = statements[0].value
    constant = (
        value is None
        or isinstance(value, ast.Constant)
        or (
            isinstance(value, ast.List | ast.Dict | ast.Tuple)
            and not getattr(value, "elts", None)
            and not getattr(value, "keys", None)
        )
    )
    # The lines after the signature: a comment before the first statement is the body's,
    # and one after the constant that calls it a stand-in ("return 0  # placeholder").
    body = source[node.lineno : (node.end_lineno or node.lineno)]
    if not constant:
        return False
    # A constant from a function that takes nothing may be its whole job ("def
    # default_retries():\n    # the API allows three attempts\n    return 3"), unless its
    # comment calls it a stand-in.
    arguments = node.args
    takes = [
        a.arg
        for a in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs)
        if a.arg not in ("self", "cls")
    ]
    if override or not (takes or arguments.vararg or arguments.kwarg):
        return any(_stand_in(line) for line in body)
    return any(line.lstrip().startswith("#") or _stand_in(line) for line in body)


# A comment that calls the line it ends a stand-in for the work: "# placeholder", "# stub",
# "# dummy value", "# real logic later", "# for now".
_STAND_IN = re.compile(r"[ \t]*(?:placeholder|stub|dummy|fake|temporary|temp\b|for now|until\b)")
_LATER = re.compile(r"\blater\b")


def _stand_in(line: str) -> bool:
    """Whether the comment a line ends on calls it a stand-in (its first `#` only: a search
    from every `#` of a long line would be quadratic)."""
    at = line.find("#")
    if at < 0:
        return False
    comment = line[at + 1 :]
    return bool(_STAND_IN.match(comment) or _LATER.search(comment))


_STRINGS_AND_COMMENTS = re.compile(
    r"\"(?:\\.|[^\"\\\n])*\"|'(?:\\.|[^'\\\n])*'|`(?:\\.|[^`\\])*`|//[^\n]*|/\*.*?\*/|#[^\n]*",
    re.S,
)
_PAIRS = {"(": ")", "[": "]", "{": "}"}


def brackets_problem(code: str) -> str | None:
    """Unbalanced brackets in code of a brace language (strings and comments left out): a
    block cut off or never closed."""
    stack: list[str] = []
    for char in _STRINGS_AND_COMMENTS.sub(" ", code):
        if char in _PAIRS:
            stack.append(_PAIRS[char])
        elif char in _PAIRS.values() and (not stack or stack.pop() != char):
            return f"unbalanced {char!r}"
    return f"unclosed {stack[-1]!r}" if stack else None


_SHELL_TAGS = {"bash", "sh", "shell", "zsh", "ksh", "console-script"}
_SHEBANG = re.compile(r"^\s*#!\s*/\S*(?:bash|sh|zsh)\b")
_SHELL_FUNCTION = re.compile(
    r"(?m)^[ \t]*(?:function[ \t]+)?([\w:.-]+)[ \t]*(?:\(\))?[ \t]*\{[ \t]*\n(.*?)^[ \t]*\}", re.S
)
# A line that does nothing: blank, a comment, `:`, `true`, `...`, `return 0`, or a message
# that the work is yet to be done.
_SHELL_NOTHING = re.compile(
    r"^\s*(?:#.*|:|true|\.\.\.|…|return(?:\s+0)?|exit(?:\s+0)?|"
    r"echo\s+[\"']?(?:todo\b|not (?:yet )?implemented|implement (?:me|this|here)|your code|"
    r"\.\.\.)[^\n]*)?\s*;?\s*$",
    re.I,
)
_SHELL_BLOCKS = (("if", "fi"), ("case", "esac"), ("do", "done"))


def shell_problem(code: str) -> str | None:
    """Why a shell block is not working code: a function (or the whole script) that does
    nothing, or an `if`, `case` or loop never closed."""
    lines = code.splitlines()
    if all(_SHELL_NOTHING.match(line) for line in lines if not _SHEBANG.match(line)):
        return "script does nothing"
    for match in _SHELL_FUNCTION.finditer(code):
        if all(_SHELL_NOTHING.match(line) for line in match.group(2).splitlines()):
            return f"function {match.group(1)} is a stub"
    words = re.findall(r"(?m)(?:^|[;&|]\s*|\bthen\s+|\belse\s+)(if|fi|case|esac|do|done)\b", code)
    for opening, closing in _SHELL_BLOCKS:
        if words.count(opening) > words.count(closing):
            return f"'{opening}' without '{closing}'"
    return None


_SQL_TAGS = {"sql", "mysql", "postgresql", "postgres", "psql", "sqlite", "tsql", "plsql", "pgsql"}
_LOOKS_SQL = re.compile(r"(?is)^\s*(?:select|with)\b.*\bfrom\b")
_SQL_COMMENTS = re.compile(r"(?s)--[^\n]*|/\*.*?\*/")
# A clause that names nothing: its keyword followed (past blank space and line breaks) by the
# next clause, the statement's end or the block's ("JOIN order_items oi ON\nGROUP BY",
# "WHERE\nGROUP BY region;", "GROUP BY\nORDER BY ...").
_SQL_EMPTY_CLAUSE = re.compile(
    r"(?i)\b(ON|WHERE|GROUP BY|ORDER BY|HAVING|SET|AND|OR)\s*"
    r"(?=(?:GROUP BY|ORDER BY|WHERE|HAVING|LIMIT|OFFSET|UNION|(?:INNER |LEFT |RIGHT |FULL |CROSS )?"
    r"(?:OUTER )?JOIN)\b|;|\Z)"
)


def sql_problem(code: str) -> str | None:
    """A SQL clause left empty (comments blanked first): an `ON`, `WHERE` or `GROUP BY` with
    nothing after it before the next clause or the end."""
    match = _SQL_EMPTY_CLAUSE.search(_SQL_COMMENTS.sub(" ", code))
    return f"empty {match.group(1).upper()} clause" if match else None


# Comments of the common languages, blanked to see whether a block holds any code.
# (A line comment ends at its line: under the block comments' `(?s)`, `.*` would run on to
# the block's end, and a block opened by "#!/bin/bash" or a comment would read as comments.)
_COMMENTS = re.compile(r"(?s)/\*.*?\*/|<!--.*?-->|(?m:(?://|#|--|;|%)[^\n]*$)")
# A function or method whose braces hold nothing (comments blanked first): `int gcd(int a,
# int b) {\n}`, `function maxOf(xs) { }`, `fn f() -> bool {}`, `func Sum(n []int) int {}`.
_EMPTY_BRACE_BODY = re.compile(
    r"(?m)(?:\b(?:function|fn|func|fun)\b[ \t]*\*?[ \t]*(?:\([^()\n]*\)[ \t]*)?([\w$]*)"
    r"|^[ \t]*(?:[\w<>\[\],?*&:]+[ \t]+)+([\w$]+))"
    r"[ \t]*(?:<[^>\n]*>)?\([^()]*\)[^{};\n]{0,60}\{\s*\}"
)
# Bodies that may be empty: constructors, control flow, and no-op handlers by name.
_MAY_BE_EMPTY = re.compile(
    r"(?i)^(?:constructor|init|__init__|if|else|for|while|switch|catch|try|finally|with|do|"
    r"noop|no_op|nop|dispose|close|finalize|main_loop)$|^(?:on|handle)[A-Z_]"
)


# A function whose body is comments and a constant returned: the comment stands in for the
# work ("// ...\n return \"\";", "// search here\n return -1;").
_CONSTANT_RETURN_BODY = re.compile(
    r"(?m)(?:\b(?:function|fn|func|fun)\b[ \t]*\*?[ \t]*(?:\([^()\n]*\)[ \t]*)?([\w$]*)"
    r"|^[ \t]*(?:[\w<>\[\],?*&:]+[ \t]+)+([\w$]+))"
    r"[ \t]*(?:<[^>\n]*>)?\([^()]*\)[^{};\n]{0,60}\{((?:\s|//[^\n]*|/\*.*?\*/)*)"
    r"return\s+(?:-?\d+(?:\.\d+)?|\"\"|''|null|nil|None|nullptr|false|true|\[\]|\{\}|"
    r"string\.Empty|String::new\(\))\s*;?((?:\s|//[^\n]*|/\*.*?\*/)*)\}",
    re.S,
)


# A loop whose body is only comments: it does nothing, or never ends ("while (lo <= hi) {\n
# int mid = ...;\n // compare arr[mid] with target and move lo/hi accordingly\n }" holds a
# statement: see `_LOOP_COMMENTED_OUT`).
_LOOP_COMMENTED_OUT = re.compile(
    r"\b(?:while|for)[ \t]*\([^{};\n]*(?:;[^{};\n]*){0,2}\)[ \t]*\{((?:[^{}]|\{[^{}]*\})*)\}"
)


def loop_problem(code: str) -> str | None:
    """A brace-language loop whose last line before its close is a comment that says what
    the body should do, after at most a declaration: the work is described, not written."""
    for match in _LOOP_COMMENTED_OUT.finditer(code):
        lines = [line.strip() for line in match.group(1).splitlines() if line.strip()]
        if (
            lines
            and lines[-1].startswith(("//", "/*"))
            and all(
                line.startswith(("//", "/*", "*"))
                or re.match(
                    r"^(?:const |let |var |int |"
                    r"long |double |float |auto |[A-Z]\w* )?\w+ = [^;]*;$",
                    line,
                )
                for line in lines
            )
        ):
            return "loop body is a comment"
    return None


def constant_return_problem(code: str) -> str | None:
    """A brace-language function whose only statement returns a constant and whose body
    holds a comment: the comment stands where the work should be."""
    for match in _CONSTANT_RETURN_BODY.finditer(code):
        name = match.group(1) or match.group(2) or ""
        if _MAY_BE_EMPTY.match(name):
            continue
        if "/" in (match.group(3) or "") + (match.group(4) or ""):
            return f"function {name or '(anonymous)'} returns a constant under a comment"
    return None


def empty_body_problem(code: str) -> str | None:
    """A brace-language function whose body is empty, unless it is a constructor (the
    class's own name), a control block or a handler that may do nothing."""
    bare = _STRINGS_AND_COMMENTS.sub(" ", code)
    classes = set(re.findall(r"\b(?:class|struct|record)\s+(\w+)", bare))
    for match in _EMPTY_BRACE_BODY.finditer(bare):
        name = match.group(1) or match.group(2) or ""
        if name in classes or _MAY_BE_EMPTY.match(name):
            continue
        return f"function {name or '(anonymous)'} has an empty body"
    return None


def code_problem(text: str) -> str | None:
    """The first problem of a fenced code block in `text`, or None."""
    for match in _FENCE.finditer(text):
        tag, code = match.group(1).lower(), match.group(2)
        todo = _TODO.search(code)
        if todo:
            return f"placeholder in code: {todo.group(0).strip()}"
        if not _COMMENTS.sub("", code).strip():
            return "empty code block" if not code.strip() else "code block holds only comments"
        python = tag in _PYTHON_TAGS or (not tag and _LOOKS_PYTHON.search(code))
        if python:
            problem = python_problem(code)
        elif tag in _BRACE_TAGS:
            problem = (
                brackets_problem(code)
                or empty_body_problem(code)
                or constant_return_problem(code)
                or loop_problem(code)
            )
        elif tag in _SHELL_TAGS or (not tag and _SHEBANG.match(code)):
            problem = shell_problem(code)
        elif tag in _SQL_TAGS or (not tag and _LOOKS_SQL.match(code)):
            problem = sql_problem(code)
        else:
            problem = None
        if problem:
            return problem
        idle = idle_body_problem(code)
        # (Parsed again only for the few blocks found idle: a subclass's fixed answer to an
        # abstract method of the block's own hierarchy does its whole job.)
        if idle and not (python and _implements_abstract(code, idle)):
            return idle
    return None


def _implements_abstract(code: str, problem: str) -> bool:
    """Whether the function `problem` names implements an abstract method of a hierarchy
    the Python block defines."""
    try:
        tree = ast.parse(textwrap.dedent(code))
    except SyntaxError:
        return False
    overrides = _overrides(tree)
    return any(
        problem.startswith(f"function {node.name} does no work")
        for node in ast.walk(tree)
        if id(node) in overrides
    )


def unfenced_problem(text: str) -> str | None:
    """The first problem of code written without a fence: a placeholder comment or a body
    that does no work. (Where such code starts and ends is read from its lines, so a Python
    region that does not parse is no evidence: the cut may be ours.)"""
    for code in code_regions(text):
        todo = _TODO.search(code)
        if todo:
            return f"placeholder in code: {todo.group(0).strip()}"
        problem = python_problem(code) if _LOOKS_PYTHON.search(code) else None
        if problem and not problem.startswith("does not parse"):
            return problem
        if problem := idle_body_problem(code):
            return problem
    return None


# A function's header or a rule's opening brace on a line of its own (`looks_like_code`),
# read by the vectorised prefilter: a JSON-escaped `attributes` holds its line breaks as "\n".
_CODE_HEADER = (
    r"(?m)(?:^|\\n)[ \t]*(?:def|function|func|fn|fun)[ \t]|<-[ \t]*function\b|\)[ \t]*\{[ \t]*(?:$|\\n)|"
    r"(?:^|\\n)[ \t]*[\w.#:\[\]>+~*, -]*\{[ \t]*(?:$|\\n)"
)


# What every such header holds: a Python or Lua `def`/`function`, or a brace that ends its
# line (raw or JSON-escaped).
_CODE_WORDS = ["```", "def ", "function", "{\n", "{\\n", "{ \n", "{\r"]


@dataclass(frozen=True)
class CodeStub(DefectRule):
    """Answers whose code blocks are stubs or do not parse (Python is parsed; other languages
    are read for TODO markers), unless the request asked for stubs, an interface or an
    outline."""

    config_key: ClassVar[str] = "code_stub"
    name: str = "code_stub"

    def flag(self, rows: pl.DataFrame) -> pl.DataFrame:
        # Python reads each block: only answers with a code fence or a function's header on
        # a line of its own, a small share of rows. A pair's rejected side is read too: a
        # stub is no wrong answer but no answer.
        def has_code(column: str) -> pl.Expr:
            text = pl.col(column).fill_null("")
            return text.str.contains("```", literal=True) | text.str.contains(_CODE_HEADER)

        # A literal pass first (a fence, a header word, a brace ending a line), then the
        # header's pattern on the few rows left.
        columns = [c for c in ("response", "attributes", "messages") if c in rows.columns]
        with_code = rows.filter(
            pl.any_horizontal(
                [pl.col(c).fill_null("").str.contains_any(_CODE_WORDS) for c in columns]
            )
        ).filter(pl.any_horizontal([has_code(c) for c in columns]))
        code = pl.col("text").str.contains("```", literal=True) | pl.col("text").str.contains(
            _CODE_HEADER
        )
        found = units(with_code, ("response", "rejected", "messages"), ("assistant",)).filter(
            code & ~pl.col("prompt").str.contains(ASKED_FOR_STUBS)
        )
        problems = [
            _problem(text, prompt)
            for text, prompt in zip(
                found["text"].to_list(), found["prompt"].fill_null("").to_list(), strict=True
            )
        ]
        found = found.with_columns(pl.Series("_problem", problems, dtype=pl.String)).filter(
            pl.col("_problem").is_not_null()
        )
        return decisions(found, self.name, pl.lit(1.0), problem=pl.col("_problem"))


# A comment between ellipses that stands for the user's own lines, left as they are ("# ...
# your other tasks unchanged ...", "// ... your existing routes ..."): a snippet that shows
# where a change goes in the user's file elides what the user already has.
_ELIDES_OWN_LINES = re.compile(
    r"(?im)^[ \t]*(?:#|//|--)[ \t]*(?:\.\.\.|…)[^\n]*?\b(?:your|existing|unchanged|as before|"
    r"as is|rest of)\b[^\n]*\n?"
)
_OWN_CODE = re.compile(r"(?i)\b(?:my|our)\b")


def _problem(text: str, prompt: str) -> str | None:
    """The first problem of the answer's code, read again without the comments that elide
    the user's own lines where the user speaks of their own file ("my playbook"): what is
    left must still be code that does its work (a script that is that comment alone is none)."""
    problem = code_problem(text) if "```" in text else unfenced_problem(text)
    if (
        problem
        and problem.startswith("placeholder in code")
        and _OWN_CODE.search(prompt)
        and _ELIDES_OWN_LINES.search(text)
    ):
        rest = _ELIDES_OWN_LINES.sub("", text)
        return code_problem(rest) if "```" in rest else unfenced_problem(rest)
    return problem
