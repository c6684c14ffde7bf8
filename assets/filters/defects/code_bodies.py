"""A function's body read line by line, in any language and with or without a code fence: a
body that does no work. Its lines are comments (the work described, not written) and at most
one statement that does nothing: `pass`, `...`, `:`, `true`, `nil`, a constant returned, or
an argument handed back as it came (`return title;` under "// lower-case, strip punctuation,
join with hyphens"). A CSS rule whose braces hold only a comment is the same shape.

Answers often hold code without a fence ("def cups_to_grams(cups):\\n    # conversion logic
to be added\\n    return None"); `code_regions` finds its lines there, from a function's
header to its close, so that the stub reads the same fenced or not."""

from __future__ import annotations

import re

# The header of a function in the common languages, on its own line: Python and Ruby `def`,
# JS `function`, Go `func`, Rust `fn`, Kotlin `fun`, R `name <- function(..)`, a shell
# `name() {`, and a C-family method (`public static boolean isPalindrome(String s) {`).
_HEADER = re.compile(
    r"^(?P<indent>[ \t]*)(?:(?:export[ \t]+)?(?:async[ \t]+)?(?:def|function|func|fn|fun|sub)"
    r"[ \t]+(?:\([^()\n]*\)[ \t]*)?(?P<name>[\w$.?!]+)[ \t]*(?:<[^>\n]*>)?[ \t]*"
    r"(?:\((?P<params>[^()\n]*)\))?"
    r"|(?P<r_name>[\w$.]+)[ \t]*(?:<-|=)[ \t]*function[ \t]*\((?P<r_params>[^()\n]*)\)"
    r"|(?:function[ \t]+)?(?P<sh_name>[\w:.-]+)[ \t]*\(\)(?=[ \t]*\{)"
    r"|(?:[\w<>\[\],?*&:]+[ \t]+)+(?P<c_name>[\w$]+)[ \t]*\((?P<c_params>[^()\n]*)\)"
    r"(?:[ \t]*throws[ \t]+[\w., ]+)?)"
    r"[^\n{;]{0,60}?[ \t]*(?P<opener>[{:]?)[ \t]*$"
)
# A CSS rule's selector (no call, no assignment) opening its braces.
_SELECTOR = re.compile(r"^([ \t]*)[\w.#:\[\]\"'>+~*,\s-]+\{[ \t]*$")
_CONTROL = {"if", "for", "while", "switch", "catch", "else", "elif", "return", "match", "with"}
# Bodies that may be empty: constructors and no-op handlers by name.
_MAY_BE_EMPTY = re.compile(
    r"(?i)^(?:constructor|init|__init__|noop|no_op|nop|dispose|close|finalize)$|^(?:on|handle)[A-Z_]"
)
_COMMENT = re.compile(r"^(?:#|//|/\*|\*|--|%|<!--)")
_CONSTANT = (
    r"-?\d+(?:\.\d+)?|\"\"|''|null|nil|None|nullptr|undefined|false|true|False|True|\[\]|\{\}|"
    r"\(\)|String::new\(\)|string\.Empty|NA|NULL"
)
# A statement that does nothing, or returns a constant or (group 1) a bare name.
_IDLE = re.compile(
    r"^(?:pass|\.\.\.|…|:|true|return|(?:return[ \t]+)?(?:" + _CONSTANT + r")"
    r"|(?:return[ \t]+)?([A-Za-z_$][\w$]*))[ \t]*;?$"
)
_NO_OP = re.compile(r"^(?:pass|\.\.\.|…|:|true|return;?)$")
_IDENTIFIER = re.compile(r"[A-Za-z_$][\w$]*")
_NOT_PARAMETERS = {"self", "cls", "this"}
# A line of code outside a fence: indented, a header, a close, a comment at the line's start,
# or one that ends a statement or opens a block.
_CODE_LINE = re.compile(
    r"^(?:[ \t]+\S|[}\])]|end\b|#|//|/\*|(?:def|class|import|from|function|func|fn|fun|"
    r"const|let|var|public|private|protected|static|return)\b|[^\n]*[{;][ \t]*$|"
    r"[\w$.]+[ \t]*<-)"
)
_HEADER_ANYWHERE = re.compile(
    r"(?m)^[ \t]*(?:def|function|func|fn|fun)[ \t]|<-[ \t]*function\b|\)[ \t]*\n?[ \t]*\{[ \t]*$|"
    r"^[ \t]*[\w.#:\[\]\"'>+~*, -]+\{[ \t]*$"
)


def looks_like_code(text: str) -> bool:
    """Whether unfenced text holds a function header or a rule's opening brace."""
    return bool(_HEADER_ANYWHERE.search(text))


def code_regions(text: str) -> list[str]:
    """The runs of code lines in unfenced text (blank lines inside a run kept), each from a
    line that opens a function or a rule: the prose around them left out."""
    regions: list[str] = []
    run: list[str] = []
    for line in [*text.splitlines(), "."]:
        if (
            line.strip() == ""
            and run
            or _CODE_LINE.match(line)
            or (not run and (_HEADER.match(line) or _SELECTOR.match(line)))
        ):
            run.append(line)
        else:
            code = "\n".join(run).strip("\n")
            if run and looks_like_code(code):
                regions.append(code)
            run = []
    return regions


def _parameters(text: str | None) -> set[str]:
    return set(_IDENTIFIER.findall(text or "")) - _NOT_PARAMETERS


def _body(lines: list[str], start: int, indent: int, opener: str) -> list[str] | None:
    """The lines of the body whose header is `lines[start]`: to the first closing brace or
    `end` (None where a block opens inside it: the body holds more than one statement), or
    for a Python header to the first line indented no deeper."""
    body: list[str] = []
    for line in lines[start + 1 :]:
        stripped = line.strip()
        depth = len(line) - len(line.lstrip())
        if opener == ":":
            if stripped and depth <= indent:
                return body
        elif stripped.startswith("}") or (opener == "" and stripped == "end"):
            return body
        elif stripped.endswith("{"):
            return None
        body.append(stripped)
    return body if opener == ":" else None


def _strip_docstring(body: list[str]) -> list[str]:
    """A Python docstring's lines read as comments."""
    if body and body[0].startswith(('"""', "'''")):
        quote = body[0][:3]
        if body[0].count(quote) >= 2 and len(body[0]) > 3:
            return body[1:]
        for at, line in enumerate(body[1:], 1):
            if quote in line:
                return body[at + 1 :]
    return body


# What every such body holds: a comment line followed by an idle line or the close (one
# search, so that only these blocks are read line by line: most code in answers works).
_IDLE_HINT = re.compile(
    r"(?m)^[ \t]*(?:#|//|/\*|--)[^\n]*\n[ \t]*(?:pass|\.\.\.|…|:|true|return\b[^\n]{0,40}|"
    r"[A-Za-z_$][\w$]*|\}|end)[ \t]*;?[ \t]*$"
)


def idle_body_problem(code: str) -> str | None:
    """A function whose body is comments and at most one statement that does nothing, or a
    CSS rule that holds only comments; or None."""
    if not _IDLE_HINT.search(code):
        return None
    lines = code.splitlines()
    for at, line in enumerate(lines):
        header = _HEADER.match(line)
        if header:
            name = next(
                (header[g] for g in ("name", "r_name", "sh_name", "c_name") if header[g]), ""
            )
            params = header["params"] or header["r_params"] or header["c_params"]
            if name in _CONTROL or _MAY_BE_EMPTY.match(name):
                continue
            opener, start = header["opener"], at
            # A C-family brace on the line after the header ("CountVowels(string text)\n{").
            if not opener and at + 1 < len(lines) and lines[at + 1].strip() == "{":
                opener, start = "{", at + 1
            body = _body(lines, start, len(header["indent"]), opener)
            if body is None:
                continue
            body = _strip_docstring([b for b in body if b])
            comments = [b for b in body if _COMMENT.match(b)]
            statements = [b for b in body if not _COMMENT.match(b)]
            if not comments or len(statements) > 1:
                continue
            if not statements:
                return f"function {name} holds only comments"
            idle = _IDLE.match(statements[0])
            if not idle:
                continue
            handed_back = idle.group(1)
            if handed_back is not None and handed_back not in _parameters(params):
                continue
            # A constant from a function that takes nothing may be its whole job
            # ("default_retries(): # the API allows three attempts\n return 3").
            if _parameters(params) or _NO_OP.match(statements[0]):
                return f"function {name} does no work: {statements[0]}"
        selector = _SELECTOR.match(line)
        if selector and not header:
            body = _body(lines, at, len(selector.group(1)), "{")
            if body and all(_COMMENT.match(b) or b.startswith("*") for b in body if b):
                return "rule holds only comments"
    return None
