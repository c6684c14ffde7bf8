"""Text views for embedding comparison: the text as is, and for code its problem statement;
and the part of a row that can hold a benchmark problem (`problem_part`).

A code benchmark item (HumanEval: signature + docstring + doctests) and a prose rephrasing of
it embed far apart because of the code tokens; their problem statements (the docstring prose
without doctests) embed close. Comparing every view of a row with every view of an item, and
keeping the best cosine, catches both code-shaped and prose-shaped rephrasings.
"""

from __future__ import annotations

import ast
import re

import polars as pl

_EXAMPLES = re.compile(r"^\s*(>>>|for example|examples?\s*:?\s*$|e\.g\.)", re.I | re.M)
# A fenced Markdown code block, its body in group 1 (Rust regex syntax: Polars runs it).
CODE_BLOCK = r"(?s)```[^\n]*\n(.*?)```"
_CODE_BLOCK = re.compile(CODE_BLOCK)


def problem_part() -> pl.Expr:
    """The part of a row that can hold a benchmark problem: the instruction and its input,
    plus the fenced code blocks of the response (a solution's docstring restates the problem);
    a document row's text. The prose of a response is left out: it answers, it does not ask,
    and it would outweigh the question in the embedding."""
    blocks = pl.col("response").str.extract_all(CODE_BLOCK).list.join("\n")
    return pl.concat_str(
        [
            pl.col("instruction"),
            pl.col("input"),
            pl.when(blocks != "").then(blocks),
            pl.col("text"),
        ],
        separator="\n",
        ignore_nulls=True,
    )


def _last_docstring(text: str) -> str | None:
    """The docstring of the last documented function in `text` when `text` is Python source
    (prose around fenced blocks allowed); otherwise None."""
    if "def " not in text:
        return None
    if "```" in text:
        # Prose around fenced code does not parse: the docstring is in the blocks.
        blocks = [_last_docstring(b) for b in _CODE_BLOCK.findall(text)]
        return next((b for b in reversed(blocks) if b), None)
    try:
        tree = ast.parse(text.rstrip() + "\n    pass\n")
    except SyntaxError:
        try:
            tree = ast.parse(text)
        except SyntaxError:
            return None
    functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]
    docs = [ast.get_docstring(f) for f in functions]
    return next((d for d in reversed(docs) if d), None)


def problem_statement(text: str) -> str | None:
    """The docstring prose of the last function in `text` (doctests dropped) when `text` is
    Python source with a documented function; otherwise None."""
    doc = _last_docstring(text)
    if not doc:
        return None
    match = _EXAMPLES.search(doc)
    prose = " ".join((doc[: match.start()] if match else doc).split())
    return prose or None


def docstring_view(text: str) -> str:
    """The whole docstring of the last function in `text`, examples included, whitespace
    collapsed (a rephrasing restates the task and often its examples, not the signature);
    the text itself when it holds no documented function."""
    doc = _last_docstring(text)
    return " ".join(doc.split()) if doc else text


def with_views(frame: pl.DataFrame, key: str, text: str) -> pl.DataFrame:
    """`frame` (`key`, `text` columns) as (`key`, `view_text`): one line per distinct view."""
    statements = pl.Series([problem_statement(t) for t in frame[text].to_list()], dtype=pl.String)
    full = frame.select(pl.col(key), pl.col(text).alias("view_text"))
    extra = frame.select(pl.col(key)).with_columns(statements.alias("view_text"))
    return pl.concat([full, extra.drop_nulls("view_text")]).unique(maintain_order=True)
