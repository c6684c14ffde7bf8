"""Nearest benchmark item of every row by TF-IDF cosine of character n-grams.

Rephrasings keep the task's rare content words (palindrome, Fibonacci, vowels) while changing
word order and the common words around them, so they share no long word n-gram but many
character n-grams weighted by rarity. Document frequencies come from the benchmark items and
the rows being checked together: phrasing that every synthetic row shares ("Write a Python
function that") then weighs little. Items are compared through their problem statement where
they have one (`views.py`), rows through their text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import numpy as np
import polars as pl
from pydantic import Field, model_validator

from assets.decontamination.views import problem_statement
from assets.embeddings import nearest
from assets.filters.text import body
from assets.steps import CorpusState, CorpusStep, StepOutput
from warehouse.settings import Strict

if TYPE_CHECKING:
    from assets.stage_setup import StageSetup


class LexicalDetector(Strict):
    """Nearest benchmark item of each row by TF-IDF cosine of character n-grams (top-1):
    rephrasings that keep a task's rare words but share no long word n-gram."""

    threshold: float = Field(
        default=0.30,
        gt=0.0,
        le=1.0,
        description="Cosine at or above which the `lexical` detector fires (tuned in "
        "bench/decontamination on rephrased HumanEval prompts).",
    )
    min_chars: int = Field(default=3, ge=1, le=10, description="Shortest character n-gram.")
    max_chars: int = Field(default=5, ge=1, le=10, description="Longest character n-gram.")

    @model_validator(mode="after")
    def _ordered(self) -> LexicalDetector:
        if self.min_chars > self.max_chars:
            raise ValueError(f"min_chars ({self.min_chars}) is above max_chars ({self.max_chars})")
        return self


LEXICAL_SCHEMA = {
    "row_id": pl.String,
    "lx_benchmark": pl.String,
    "lx_item_id": pl.String,
    "lx_similarity": pl.Float64,
}


def nearest_lexical(
    rows: pl.DataFrame, benchmarks: pl.DataFrame, config: LexicalDetector
) -> pl.DataFrame:
    """`rows` (`row_id`, `content`) with their lexically nearest benchmark item and its cosine."""
    if rows.is_empty() or benchmarks.is_empty():
        return pl.DataFrame(schema=LEXICAL_SCHEMA)
    # scikit-learn takes seconds to import: only when the detector is on.
    from sklearn.feature_extraction.text import TfidfVectorizer

    item_texts = [problem_statement(t) or t for t in benchmarks["text"].to_list()]
    row_texts = rows["content"].fill_null("").to_list()
    vectorizer = TfidfVectorizer(
        analyzer="char_wb",
        ngram_range=(config.min_chars, config.max_chars),
        sublinear_tf=True,
        dtype=np.float32,
    )
    vectorizer.fit(item_texts + row_texts)
    # TF-IDF rows are L2-normalized, so their dot product is the cosine.
    best, score = nearest(vectorizer.transform(row_texts), vectorizer.transform(item_texts))
    return pl.DataFrame(
        {
            "row_id": rows["row_id"],
            "lx_benchmark": benchmarks["benchmark"].gather(best),
            "lx_item_id": benchmarks["item_id"].gather(best),
            "lx_similarity": pl.Series(score.astype(np.float64)).round(6),
        },
        schema=LEXICAL_SCHEMA,
    )


@dataclass(frozen=True)
class LexicalNearest(CorpusStep):
    """Annotates each row with its lexically nearest benchmark item (`lx_benchmark`,
    `lx_item_id`, `lx_similarity`) and `lexical`, whether the detector fires. A corpus step:
    the rows being checked weigh the n-grams (document frequencies)."""

    benchmarks: pl.DataFrame
    detector: LexicalDetector
    name: str = "lexical"
    config_key: ClassVar[str | None] = "lexical"
    columns: ClassVar[dict[str, pl.DataType]] = {
        **{name: dtype for name, dtype in LEXICAL_SCHEMA.items() if name != "row_id"},
        "lexical": pl.Boolean(),
    }
    state: ClassVar[CorpusState] = CorpusState(
        {
            "row_id": pl.String(),
            "char_ngrams": pl.List(pl.Struct({"gram": pl.String(), "count": pl.UInt32()})),
        },
        "the row's character n-gram counts, weighed by document frequencies over the version "
        "and the benchmark items",
    )

    @classmethod
    def configured(cls, setup: StageSetup) -> list[LexicalNearest]:
        detector = setup.decontamination.lexical
        return [cls(setup.benchmark_items(), detector)] if detector else []

    def apply(self, rows: pl.DataFrame) -> StepOutput:
        corpus = rows.select("row_id", body().alias("content"))
        found = nearest_lexical(corpus, self.benchmarks, self.detector)
        annotated = rows.join(found, on="row_id", how="left", maintain_order="left")
        fires = pl.col("lx_similarity") >= self.detector.threshold
        return StepOutput(annotated.with_columns(fires.alias("lexical")))
