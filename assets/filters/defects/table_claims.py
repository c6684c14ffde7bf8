"""A table against its own text: an answer that tabulates one figure a row and then names,
in a sentence, a row as the extreme of what its request asked about ("the three longest
rivers" ... "The Congo is the longest of the three", the table's Nile row holding more;
"which one lasts longer?" ... "Lamp A lasts longer", Lamp B's row holding more hours).

Only the request's own measure is read: the grade word's root must be the request's ("longest"
for "the longest rivers", "longer" for "lasts longer"), so a second measure the answer adds
("the Congo is the deepest") is not held to the table's one column. A table with more than one
figure a row, a negated or conditional sentence, and a comparison between more than two rows
("A is longer than B" among five) are not read."""

from __future__ import annotations

import re

import polars as pl

# Grade words by root: (most, more, least, less) forms; the root is what the request names.
_GRADES = {
    "long": ("longest", "longer", "shortest", "shorter"),
    "larg": ("largest", "larger", "smallest", "smaller"),
    "big": ("biggest", "bigger", "smallest", "smaller"),
    "high": ("highest", "higher", "lowest", "lower"),
    "tall": ("tallest", "taller", "shortest", "shorter"),
    "heav": ("heaviest", "heavier", "lightest", "lighter"),
    "great": ("greatest", "greater", "least", "less"),
    "expensive": ("most expensive", "more expensive", "least expensive", "less expensive"),
    "cheap": ("cheapest", "cheaper", "most expensive", "more expensive"),
    "popul": ("most populous", "more populous", "least populous", "less populous"),
}
# Word by word: its root and whether it names the row with the highest figure.
_GRADE_OF = {
    word: (root, index in (0, 1) if root != "cheap" else index in (2, 3))
    for root, words in _GRADES.items()
    for index, word in enumerate(words)
}
_GRADE_WORDS = sorted({w for words in _GRADES.values() for w in words}, key=len, reverse=True)
# A word to search first: only answers with a table and one of these are parsed.
GRADE_CUES = sorted({w.split()[-1] for w in _GRADE_WORDS})
_TABLE_LINE = re.compile(r"(?m)^[ \t]*\|(.*)\|[ \t]*$")
_FIGURE = re.compile(r"-?\d[\d,]*(?:\.\d+)?")
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]?")
_CLAIM = re.compile(
    r"(?i)^\W*(?:(?:so|thus|therefore|overall|in short|that means|which means)[,\s]+)?(?:the\s+)?"
    r"(?P<name>[^\n]{1,60}?)\s+(?:is|was|are|has|have|lasts|runs|holds|costs|weighs|"
    r"reaches|stands|stays|goes|gets|scores|comes out)\b(?P<between>[^.!?\n]{0,40}?)\b"
    r"(?P<grade>" + "|".join(re.escape(w) for w in _GRADE_WORDS) + r")\b"
)
_ROLE = re.compile(r"(?m)^(?:user|assistant|system): ")
_NOT_ASSERTED = re.compile(r"(?i)\b(?:not|n't|never|if|unless|whether|than)\b")


def _table(text: str) -> tuple[dict[str, float], list[str]] | None:
    """The table's rows as name -> figure (the one column of figures) and its lines, or None
    when the answer holds no such table."""
    lines = [m.group(0).strip() for m in _TABLE_LINE.finditer(text)]
    cells = [[c.strip() for c in line.strip("|").split("|")] for line in lines]
    # The rule line under the header: dashes, colons, bars and blanks only (a set, not a
    # pattern: nested repeats would backtrack on a long line of dashes).
    if len(cells) < 4 or "---" not in lines[1] or not set(lines[1]) <= set("|:- \t"):
        return None
    body = [row for row in cells[2:] if len(row) == len(cells[0])]
    if len(body) < 2:
        return None
    numeric = [
        col for col in range(1, len(cells[0])) if all(_FIGURE.search(row[col]) for row in body)
    ]
    if len(numeric) != 1:
        return None
    figures = {
        row[0].strip("*_ ").lower(): float(
            _FIGURE.search(row[numeric[0]]).group(0).replace(",", "")
        )  # type: ignore[union-attr]
        for row in body
    }
    return figures, lines


def table_against_text(request: str, answer: str) -> str | None:
    """`sentence / table line` where a sentence of the answer names a row as the extreme of
    the request's measure that the table gives to another row, or None."""
    parsed = _table(answer)
    if parsed is None:
        return None
    figures, lines = parsed
    asked = request.lower()
    # (A conversation's transcript: the role names that open its turns are no words of it.)
    prose = _ROLE.sub("", _TABLE_LINE.sub(" ", answer))
    for sentence in _SENTENCE.findall(prose):
        claim = _CLAIM.search(sentence)
        if claim is None or _NOT_ASSERTED.search(claim.group("between")):
            continue
        if _NOT_ASSERTED.search(sentence[: claim.start("grade")]):
            continue
        root, highest = _GRADE_OF[claim.group("grade").lower()]
        comparative = claim.group("grade").lower() in {w[1] for w in _GRADES.values()} | {
            w[3] for w in _GRADES.values()
        }
        # The request names the measure by its root or by any of its grades ("Which is the
        # lightest?" asks for the root "heav" by its least form).
        named = root in asked or any(word in asked for word in _GRADES[root])
        if not named or (comparative and len(figures) != 2):
            continue
        name = claim.group("name").strip().lower()
        if name not in figures:
            continue
        best = max(figures.values()) if highest else min(figures.values())
        if figures[name] != best:
            row = next(line for line in lines[2:] if line.strip("| ").lower().startswith(name))
            return f"{sentence.strip()} / {row}"
    return None


def tables_against_text(rows: pl.DataFrame, request: pl.Expr, answer: pl.Expr) -> list[dict]:
    """`_uid, _span, form` of the rows whose answer's table and text disagree (read in Python
    only on answers with a table rule line and a grade word)."""
    candidates = (
        rows.filter(answer.str.contains("---", literal=True))
        .filter(answer.str.contains_any(GRADE_CUES, ascii_case_insensitive=True))
        .select(pl.col("row_id"), request.alias("_request"), answer.alias("_answer"))
    )
    found = []
    for uid, asked, said in candidates.iter_rows():
        span = table_against_text(asked, said)
        if span is not None:
            found.append({"_uid": uid, "_span": span, "form": "table against text"})
    return found
