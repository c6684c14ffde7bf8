"""The cheaper forms of the defect rules' reads find what the plain forms find: a span rule's
first match read from its alternatives' starts as columns, and a word cut in the middle
judged against the vocabulary's sets built once."""

from __future__ import annotations

import polars as pl
import pytest

from assets.filters.defects.answers import (
    ANNOUNCEMENT_PARTS,
    _begun_unknown,
    known,
    known_prefixes,
)
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
