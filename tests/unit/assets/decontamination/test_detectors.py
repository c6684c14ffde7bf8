"""Decontamination parts: verdict rule validation, problem statements of code prompts, Hub
benchmarks from the local cache and the offline message."""

from __future__ import annotations

import polars as pl
import pytest
import yaml

from assets.decontamination.benchmarks import (
    BenchmarkError,
    HubBenchmark,
    humaneval_items,
    load_benchmarks,
)
from assets.decontamination.views import problem_statement
from assets.recipe.loader import RecipeError, parse_recipe
from tests.conftest import recipe_dict


@pytest.mark.parametrize(
    ("decontamination", "message"),
    [
        ({"rule": "ngram or embeding"}, "unknown detector 'embeding'"),
        ({"rule": "ngram or judge"}, "`judge` is not configured"),
        ({"rule": "lexical"}, "`lexical` is not configured"),
        ({"lexical": {"min_chars": 6, "max_chars": 4}}, "min_chars (6) is above max_chars (4)"),
        ({"rule": "ngram +"}, "only detector names"),
    ],
)
def test_verdict_rule_is_validated(decontamination, message):
    with pytest.raises(RecipeError, match=r"decontamination") as error:
        parse_recipe(yaml.safe_dump(recipe_dict(decontamination=decontamination)), "r.yaml")
    assert message in str(error.value)


def test_problem_statement_of_code_prompts():
    humaneval = humaneval_items()
    text = humaneval.filter(pl.col("item_id") == "HumanEval/35")["text"].item()
    assert problem_statement(text) == "Return maximum element in the list."
    assert problem_statement("Reverse a list in Python.") is None


def test_hub_benchmark_from_the_local_cache_and_offline_message(home):
    repo = home / "cache" / "hub" / "datasets--example-org--bench"
    snapshot = repo / "snapshots" / "abc123"
    (snapshot / "data").mkdir(parents=True)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("abc123")
    pl.DataFrame({"qid": ["a", "b"], "question": ["What is 2+2?", "Name a prime."]}).write_parquet(
        snapshot / "data" / "test-00000-of-00001.parquet"
    )
    found = load_benchmarks(
        [
            HubBenchmark(
                name="tiny", hf_dataset="example-org/bench", text_field="question", id_field="qid"
            )
        ],
        home,
    )
    assert found.rows() == [("tiny", "a", "What is 2+2?"), ("tiny", "b", "Name a prime.")]
    with pytest.raises(BenchmarkError, match="benchmark gone: .*cannot reach the Hugging Face Hub"):
        load_benchmarks([HubBenchmark(name="gone", hf_dataset="example-org/missing")], home)


def test_hashed_counts_equal_sklearns_char_wb_hashing():
    """Counting each distinct word's n-grams once gives sklearn's own matrix, whatever the
    case, spacing or script of the text."""
    from sklearn.feature_extraction.text import HashingVectorizer

    from assets.decontamination.lexical import hashed_counts

    hashing = HashingVectorizer(
        analyzer="char_wb", ngram_range=(3, 5), n_features=2**20, alternate_sign=False, norm=None
    )
    texts = [
        "",
        "   ",
        "Return the LIST of primes\tbelow n.\nReturn the list!",
        "a",
        "Ünïcödé ÇAPS, İstanbul ΣΑΣ and a very-long-hyphenated-word",
        "x" * 50,
    ]
    assert (hashing.transform(texts) != hashed_counts(hashing, texts)).nnz == 0
