"""Final answers of chain-of-thought rationales: extraction and comparison with a reference."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from fractions import Fraction

_NUMBER = r"-?\$?\s*\d[\d,]*(?:\.\d+)?(?:\s*/\s*\d+)?%?|-?\.\d+"
# Most explicit first: a boxed answer, `#### x`, then "the (final) answer is x".
_MARKED = (
    re.compile(r"\\boxed\{([^{}]+)\}"),
    re.compile(r"####\s*([^\n]+)"),
    re.compile(r"(?i)\b(?:final\s+)?answer\s*(?:is|:|=)\s*:?\s*([^\n]+)"),
)
_LAST_NUMBER = re.compile(_NUMBER)
_TRAILING = re.compile(r"[\s.。!,;:*]+$")


@dataclass(frozen=True)
class Verification:
    matched: bool
    expected: str
    got: str | None
    how: str  # "numeric", "string" or "no_answer"

    def as_dict(self) -> dict:
        return {
            "matched": self.matched,
            "expected": self.expected,
            "got": self.got,
            "how": self.how,
        }


def extract_final_answer(rationale: str) -> str | None:
    """The rationale's final answer: the last marked answer, else the last number, else None."""
    for pattern in _MARKED:
        found = pattern.findall(rationale)
        if found:
            answer = _TRAILING.sub("", found[-1].strip()).strip().strip("*").strip()
            if answer:
                return answer
    numbers = _LAST_NUMBER.findall(rationale)
    return numbers[-1].strip() if numbers else None


def as_number(text: str) -> Fraction | None:
    """A number written plainly, with thousands separators, a currency sign, a percent sign or
    as p/q; the first number of a short answer like "42 apples" counts too."""
    match = re.search(_NUMBER, text)
    if match is None:
        return None
    rest = (text[: match.start()] + text[match.end() :]).strip()
    if len(rest.split()) > 3:  # a sentence that merely contains a number is not a number
        return None
    raw = match.group(0).replace("$", "").replace(",", "").replace(" ", "")
    percent = raw.endswith("%")
    raw = raw.rstrip("%")
    try:
        value = Fraction(raw)
    except (ValueError, ZeroDivisionError):
        return None
    return value / 100 if percent else value


def normalize_answer(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    text = re.sub(r"\b(?:a|an|the)\b", " ", text)
    text = re.sub(r"[^\w\s]", " ", text)
    return " ".join(text.split())


def verify(
    rationale: str, expected: str, rel_tol: float = 1e-6, abs_tol: float = 1e-9
) -> Verification:
    """Compare the rationale's final answer with `expected` (see `compare_answer`)."""
    return compare_answer(extract_final_answer(rationale), expected, rel_tol, abs_tol)


def compare_answer(
    got: str | None, expected: str, rel_tol: float = 1e-6, abs_tol: float = 1e-9
) -> Verification:
    """Compare a final answer with `expected`: numerically (within tolerance) when both are
    numbers, else as normalized strings."""
    if got is None or not got.strip():
        return Verification(False, expected, None, "no_answer")
    want, have = as_number(expected), as_number(got)
    if want is not None and have is not None:
        # Exact fractions, not floats: a number of hundreds of digits (model output, a seed's
        # answer) does not fit a float, and must not stop the stage.
        difference = abs(want - have)
        matched = difference <= max(Fraction(abs_tol), Fraction(rel_tol) * abs(want))
        return Verification(matched, expected, got, "numeric")
    return Verification(
        normalize_answer(got) == normalize_answer(expected), expected, got, "string"
    )


def reference_check(response: str, answer: str | None) -> Verification | None:
    """`response`'s final answer against a numeric reference `answer`; None when there is no
    numeric reference (a string answer is too loosely phrased in prose to compare)."""
    if answer is None or as_number(answer) is None:
        return None
    return verify(response, answer)
