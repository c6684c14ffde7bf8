"""Two figures for the one quantity a question asks for: "How many players does each team
have on the field?" "Each side fields 15 players ... Because there are 13 players on the field
for each team, ..."; "How long should I boil an egg for a runny yolk?" "... cook it for 6
minutes ... a soft-boiled egg with a runny yolk needs 10 minutes".

The answer's first figure of a unit is its answer; a later sentence that says the asked thing
again (three of the question's content words, or two after a wrap-up word: "So, ... water
freezes at 0 °F") with another figure of that unit goes back on it. A sentence that tells the
figures apart (another case, a condition, a comparison: "If you want a firm yolk, leave it in
for 10 minutes instead", "takes longer, about 29.5 days") says something else."""

from __future__ import annotations

import re

import polars as pl

from assets.filters.defects.units import units

# A question for one quantity (and not for two: "How high is it and how long does it take?").
ASKS_A_QUANTITY = (
    r"(?i)(?:^|[.!?:]\s+|\n)(?:how (?:many|much|long|far|old|tall|high|deep|big|heavy|fast|often)|"
    r"what(?:'s| is) the (?:\p{L}+ ){0,3}(?:point|temperature|number|length|height|distance|"
    r"speed|weight|age|population|size|depth|time|count))(?-u:\b)"
)
_TWO_QUESTIONS = re.compile(r"(?i)\band (?:how|what|when|where|which|why)\b|\?[^?]+\?")
# A figure and the word after it: its unit ("15 players", "27.3 days", "32 °F").
_FIGURE = re.compile(r"(?<![\d.,])(\d[\d,]*(?:\.\d+)?)\s*(°\s?[CF]\b|%|[A-Za-z]{2,})")
# A figure joined to its unit as a modifier ("a 19-litre bucket"): read only as the answer
# said again (as a figure, "a 5-gallon bucket" would be the question's own quantity).
_JOINED = re.compile(r"(?<![\d.,])(\d[\d,]*(?:\.\d+)?)-([A-Za-z]{2,})")
_SENTENCE = re.compile(r"(?:[^.!?\n]|\.\d)+[.!?]?")
# Words that set a figure apart from the answer's: another case, a condition, a comparison,
# an order or a range.
_APART = re.compile(
    r"(?i)\b(?:if|unless|when|whereas|instead|another|other|more|less|fewer|longer|shorter|"
    r"higher|lower|larger|smaller|bigger|faster|slower|than|or|except|between|up to|at least|"
    r"at most|compared|versus|vs|average|range|ranges|extra|additional|then|after|before|"
    r"until|later|earlier|first|second|last|previous|next|total|half|double|twice|per cent|"
    r"closest|nearest|farthest|furthest|minimum|maximum)\b"
)
_WRAP_UP = re.compile(
    r"(?i)^\W*(?:so|in short|in total|overall|in other words|that means|the answer is|the key|"
    r"remember|to sum up|in summary|bottom line)\b"
)
_UNCOUNTED = {
    *("how", "many", "much", "long", "far", "old", "tall", "high", "deep", "big", "heavy"),
    *("fast", "often", "what", "the", "does", "did", "do", "is", "are", "should", "would"),
    *("could", "can", "have", "has", "take", "for", "with", "and", "into", "from", "this"),
    *("that", "want", "need", "you", "your", "there", "their", "about", "each", "every"),
}


def _stems(text: str) -> set[str]:
    return {w[:4] for w in re.findall(r"[a-z]{3,}", text.lower()) if w not in _UNCOUNTED}


def _unit(word: str) -> str:
    word = word.lower().replace(" ", "")
    return word[:-1] if word.endswith("s") and len(word) > 3 else word


def _near(value: str, known: list[float]) -> bool:
    """Whether `value` is one of `known`, or it rounded (within 5%)."""
    number = float(value)
    return any(abs(number - k) <= 0.05 * max(abs(number), abs(k)) for k in known)


def figure_restated(question: str, answer: str) -> str | None:
    """`later sentence / first sentence` where the answer gives the asked quantity two
    figures of one unit, or None."""
    if _TWO_QUESTIONS.search(question):
        return None
    asked = _stems(question)
    sentences = [s.strip() for s in _SENTENCE.findall(answer) if "|" not in s and s.strip()]
    first: tuple[str, str, str] | None = None
    known: list[float] = []
    for sentence in sentences:
        figures = [
            (m.group(1).replace(",", ""), _unit(m.group(2))) for m in _FIGURE.finditer(sentence)
        ]
        if not figures:
            continue
        if first is None:
            first = (figures[0][0], figures[0][1], sentence)
            # Every figure of its unit in the first sentence is the answer's (a rate and its
            # product: "3.785 litres, so a 5-gallon bucket is about 18.9 litres").
            known = [float(v) for v, u in figures if u == figures[0][1]]
            continue
        value, unit, opening = first
        other = [v for v, u in figures if u == unit and not _near(v, known)]
        # A sentence that says the answer again, rounded ("a 19-litre bucket" after 18.9
        # litres), gives its other figure to another thing ("holds about 15 litres of glaze").
        joined = [
            m.group(1).replace(",", "")
            for m in _JOINED.finditer(sentence)
            if _unit(m.group(2)) == unit
        ]
        said_again = any(_near(v, known) for v, _ in figures) or any(
            _near(v, known) for v in joined
        )
        if not other or said_again or _APART.search(sentence):
            continue
        shared = len(asked & _stems(sentence))
        if shared >= 3 or (shared >= 2 and _WRAP_UP.search(sentence)):
            return f"{sentence} / {opening}"
    return None


def figures_restated(rows: pl.DataFrame) -> list[dict]:
    """`_uid, _span, form` of the rows with an answer that gives the quantity its question
    asks for two figures (read in Python only on answers to a question for a quantity)."""
    asking = rows.filter(
        pl.coalesce("instruction", "text").str.contains(ASKS_A_QUANTITY)
        & (pl.col("response").str.count_matches(r"\d") >= 2)
    )
    if asking.is_empty():
        return []
    answers = units(asking, ("response", "messages"), ("assistant",)).filter(
        pl.col("prompt").str.contains(ASKS_A_QUANTITY)
    )
    found = []
    seen: set[str] = set()
    for uid, asked, said in answers.select("row_id", "prompt", "text").iter_rows():
        if uid in seen:
            continue
        span = figure_restated(asked, said)
        if span is not None:
            seen.add(uid)
            found.append({"_uid": uid, "_span": span, "form": "asked figure given twice"})
    return found
