"""The cheaper forms of the defect rules' reads find what the plain forms find: a span rule's
first match read from its alternatives' starts as columns, a word cut in the middle judged
against the vocabulary's sets built once, and self_contradiction's letter classes written as
their case folding."""

from __future__ import annotations

import re

import polars as pl
import pytest

from assets.filters.defects import contradictions
from assets.filters.defects.answers import (
    ANNOUNCEMENT_PARTS,
    _begun_unknown,
    known,
    known_prefixes,
)
from assets.filters.defects.contradictions import _unfolded
from assets.filters.defects.spans import _with_first_match, first_match
from tests.defect_set import defect_rows

pytestmark = pytest.mark.unit


def _texts() -> pl.DataFrame:
    rows = defect_rows(split=None)
    extra = pl.Series(
        "_prose", ["Sure! Here is a recipe:", "ab: cd", "", "Nothing announced."], pl.String
    )
    return pl.concat(
        [extra, *(rows[c].drop_nulls().alias("_prose") for c in ("response", "text"))]
    ).to_frame()


@pytest.mark.parametrize("alternatives", [ANNOUNCEMENT_PARTS, ANNOUNCEMENT_PARTS[:1]])
def test_first_match_from_columns_is_the_expression(alternatives: tuple[str, ...]) -> None:
    units = _texts().with_row_index("unit")
    plain = units.with_columns(first_match(pl.col("_prose"), alternatives).alias("_span")).filter(
        pl.col("_span").is_not_null()
    )
    assert plain.height
    assert _with_first_match(units, alternatives).equals(plain)


def test_begun_unknown_is_known_and_prefixes_per_form() -> None:
    words = [
        *("absor", "leav", "aurum", "helps", "body", "playing", "walked", "quickly", "zzzq"),
        *("fixedness", "sugars", "runners", "ab", "x", None),
    ]
    frame = pl.DataFrame({"word": words}, schema={"word": pl.String})
    word = pl.col("word")
    plain = frame.select(~known(word) & word.is_in(known_prefixes().implode())).to_series()
    cheap = _begun_unknown(frame, word)
    assert plain.to_list() == cheap.to_list()
    assert True in cheap.to_list() and False in cheap.to_list()


def _rewritten_classes() -> set[str]:
    """Every letter class `_unfolded` wrote into self_contradiction's patterns."""
    found: set[str] = set()
    for value in vars(contradictions).values():
        for pattern in value if isinstance(value, tuple) else (value,):
            if isinstance(pattern, str):
                found.update(re.findall(r"\(\?-i:\[\^?\\x\{345\}[^\]]*\]\)", pattern))
    return found


def test_unfolded_letter_classes_match_what_the_folded_ones_match() -> None:
    """Over every code point, each class as written (`(?-i:[\\x{345}\\p{L}...])`) matches
    exactly what the class it replaces matches under `(?i)`."""
    classes = _rewritten_classes()
    assert {r"(?-i:[\x{345}\p{L}])", r"(?-i:[^\x{345}\p{L}])"} <= classes
    points = [c for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    chars = pl.DataFrame({"c": [chr(c) for c in points]})
    for written in classes:
        original = written.removeprefix("(?-i:").removesuffix(")").replace(r"\x{345}", "")
        assert _unfolded(f"(?i)^{original}$") == f"(?i)^{written}$"
        matches = chars.select(
            pl.col("c").str.contains(f"(?i)^{original}$").alias("folded"),
            pl.col("c").str.contains(f"^{written}$").alias("written"),
        )
        assert matches["folded"].equals(matches["written"]), written


def test_unfolded_keeps_what_is_no_letter_class() -> None:
    pattern = r"(?i)\bthe (?:\p{L}+est|most)\b[^,.;]{1,60}\\p{L}"
    assert _unfolded(pattern) == (
        r"(?i)\bthe (?:(?-i:[\x{345}\p{L}])+est|most)\b[^,.;]{1,60}\\p{L}"
    )
    with pytest.raises(ValueError):
        _unfolded(r"\p{L}+")


# An option passed over, read forwards on the whole text before it (the form it replaces).
_PASSED_OVER = re.compile(
    r"(?:\bnot|\bnever|\brather than|\binstead of|\bover|\bthan|\bavoid|\bskip)\W+(?:\w+\W+){0,2}$"
)


def test_passed_over_read_backwards_is_the_forward_search_at_every_position() -> None:
    texts = [
        *(t for t in defect_rows()["response"].drop_nulls().to_list() if t),
        "rather than  --  lease, buy; never ever lease. Not   buy!\tinstead of, really, it",
        "I'd go with the Roth rather than the traditional one, not a 401(k), skip it.",
        "über nicht, not über-fast ... than than than, avoid: x",
        "notlease cannot lease overly lease than-lease (skip) (lease)",
    ]
    for text in texts:
        backwards = text[::-1]
        for at in range(len(text) + 1):
            forward = _PASSED_OVER.search(text[:at]) is not None
            backward = contradictions.PASSED_OVER_BEFORE.match(backwards, len(text) - at)
            assert forward == (backward is not None), (text[:at][-60:], at)


def test_an_option_passed_over_thousands_of_times_is_read_once_each():
    # A looping answer ("not buy not buy ...", 64 KB): each "buy" is passed over, and each was
    # read against the whole text before it; now against the few words before it.
    sentence = "in short, " + "not buy " * 8_000 + "so in the end leasing is the better deal."
    assert contradictions._named_at("buy", sentence) is None
    assert contradictions._named_at("leas", sentence) == sentence.index("leasing")
