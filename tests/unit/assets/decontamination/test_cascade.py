"""The decontamination cascade's first stage: what part of a row it reads, which rows it
nominates (every hand-written rephrasing), and that recipes without it hash as before; which
item its evidence names."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest
import yaml

from assets.decontamination.benchmarks import humaneval_items
from assets.decontamination.cascade import CandidateFilter, candidate_scores
from assets.decontamination.coverage import named_and_runner_up
from assets.decontamination.embedding import EmbeddingDetector
from assets.decontamination.ngram import NgramOverlap
from assets.decontamination.views import problem_part, problem_statement
from assets.filters.text import body
from assets.recipe.loader import RecipeError, parse_recipe
from tests.conftest import TESTS, recipe_dict

REPHRASED = ["humaneval_rephrased.jsonl", "humaneval_rephrased_human.jsonl"]


def rows(**columns: list[str | None]) -> pl.DataFrame:
    n = len(next(iter(columns.values())))
    fields = ("instruction", "input", "response", "text")
    frame = pl.DataFrame(
        {c: columns.get(c, [None] * n) for c in fields}, schema={c: pl.String for c in fields}
    )
    kind = pl.when(pl.col("instruction").is_null()).then(pl.lit("document"))
    return frame.with_columns(kind.otherwise(pl.lit("instruction")).alias("kind"))


def test_problem_part_keeps_the_question_and_code_blocks_not_the_answer_prose():
    response = (
        "Sure! The trick is to track the running balance.\n"
        "```python\ndef goes_negative(ops):\n    total = 0\n```\n"
        "This runs in linear time.\n```\nprint(goes_negative([1, -2]))\n```"
    )
    frame = rows(
        instruction=["Detect a negative balance.", "Say hi.", None],
        input=["ops = [1, -2]", None, None],
        response=[response, "Hi! Nothing to show here.", None],
        text=[None, None, "A document row is read whole."],
    )
    parts = frame.select(problem_part())[:, 0].to_list()
    assert parts[0].startswith("Detect a negative balance.\nops = [1, -2]\n```python")
    assert "def goes_negative(ops)" in parts[0] and "print(goes_negative([1, -2]))" in parts[0]
    assert "Sure!" not in parts[0] and "linear time" not in parts[0]
    assert parts[1] == "Say hi."
    assert parts[2] == "A document row is read whole."


def test_problem_statement_of_a_documented_function_in_a_code_block():
    text = (
        "Please make this pass:\n```python\ndef tally(xs):\n"
        '    """Count the even numbers in xs.\n    >>> tally([2, 3])\n    1\n    """\n```'
    )
    assert problem_statement(text) == "Count the even numbers in xs."


def test_every_hand_written_rephrasing_is_a_candidate():
    # Instruction rows: the cascade embeds the same text as embedding every row does, so
    # nominating every rephrasing means its recall cannot fall below embedding every row.
    records = [
        json.loads(line)
        for name in REPHRASED
        for line in (TESTS / "data" / name).read_text(encoding="utf-8").splitlines()
    ]
    assert len({r["item_id"] for r in records}) >= 150
    frame = rows(instruction=[r["instruction"] for r in records])
    assert frame.select(problem_part().eq(body()).all()).item()
    config = CandidateFilter()
    scores = candidate_scores(frame.select(problem_part())[:, 0], humaneval_items()["text"], config)
    assert scores["cand_similarity"].min() >= config.threshold
    # With a margin (bench/first_stage): the default threshold is at least 10% below every
    # hand-written rephrasing's score, so one scoring a little lower is still nominated.
    assert config.threshold <= 0.9 * scores["cand_similarity"].min()
    # A row about something else entirely is not one.
    other = candidate_scores(
        pl.Series(["Describe the water cycle for a ten-year-old, with a rainy-day analogy."]),
        humaneval_items()["text"],
        config,
    )
    assert other["cand_similarity"].item() < config.threshold


def test_candidate_scores_do_not_depend_on_the_batch():
    texts = pl.Series(["Sort a list of words by length.", "Return the n-th prime.", "Hello"])
    items = humaneval_items()["text"]
    whole = candidate_scores(texts, items, CandidateFilter())
    one_by_one = pl.concat(
        [candidate_scores(texts[i : i + 1], items, CandidateFilter()) for i in range(3)]
    )
    assert whole.equals(one_by_one)


def test_the_cascade_is_the_default_and_recipes_without_it_hash_as_before():
    # With the cascade off, the keys added for it and the device stay out of a recipe's dump.
    off = EmbeddingDetector(candidates=None).model_dump()
    assert off == {"enabled": False, "threshold": 0.63, "model": "all-MiniLM-L6-v2"}
    on = EmbeddingDetector(device="cpu").model_dump()
    assert on["candidates"] == {"threshold": 0.12, "min_chars": 4, "max_chars": 6}
    assert on["coverage"] == {"threshold": 1.0525, "top_items": 3}
    assert on["device"] == "cpu"
    assert EmbeddingDetector() == EmbeddingDetector(candidates=CandidateFilter())
    parsed = parse_recipe(
        yaml.safe_dump(recipe_dict(decontamination={"embedding": {"candidates": None}})), "r.yaml"
    )
    assert parsed.decontamination.embedding.candidates is None
    # The first stage before bench/first_stage's margin study stays one setting away.
    previous = {"min_chars": 3, "max_chars": 5, "threshold": 0.10}
    parsed = parse_recipe(
        yaml.safe_dump(recipe_dict(decontamination={"embedding": {"candidates": previous}})),
        "r.yaml",
    )
    assert parsed.decontamination.embedding.candidates == CandidateFilter(**previous)


@pytest.mark.parametrize(
    ("embedding", "message"),
    [
        ({"device": "gpu"}, "device"),
        ({"candidates": {"threshold": 0}}, "threshold"),
        ({"candidates": {"min_chars": 6, "max_chars": 4}}, "min_chars (6) is above max_chars (4)"),
    ],
)
def test_cascade_and_device_settings_are_validated(embedding, message):
    recipe = recipe_dict(decontamination={"embedding": embedding})
    with pytest.raises(RecipeError, match="decontamination") as error:
        parse_recipe(yaml.safe_dump(recipe), "r.yaml")
    assert message in str(error.value)


def test_the_evaluation_set_shares_no_13_gram_with_humaneval():
    # bench/decontamination's sets: rephrasings of distinct, real HumanEval items, and clean
    # instructions; none may share a 13-gram with any item (the n-gram detector finds none).
    humaneval = humaneval_items()
    positives = [
        json.loads(line)
        for line in (TESTS / "data" / "humaneval_rephrased_human.jsonl").read_text().splitlines()
    ]
    clean = [
        json.loads(line)["instruction"]
        for line in (TESTS / "data" / "clean_code_instructions.jsonl").read_text().splitlines()
    ]
    ids = [r["item_id"] for r in positives]
    assert len(set(ids)) == len(ids) >= 60 and set(ids) <= set(humaneval["item_id"])
    assert len(set(clean)) == len(clean) >= 60
    texts = [r["instruction"] for r in positives] + clean
    corpus = pl.DataFrame({"row_id": [f"r{i}" for i in range(len(texts))], "content": texts})
    assert NgramOverlap(humaneval, n=13).matches(corpus).is_empty()


def test_the_named_item_fires_and_is_the_best_attributed_of_those_that_fire():
    decision = np.array([[1.20, 1.10, 0.90], [1.00, 1.04, 0.90], [1.10, 1.06, 1.30]])
    attribution = np.array([[1.00, 1.30, 1.50], [1.20, 0.90, 1.00], [1.10, 1.20, 0.95]])
    named, runner_up = named_and_runner_up(decision, attribution, threshold=1.05)
    # Row 0: the third item restates the row best but does not fire, so the second is named.
    # Row 1: none fires: the best decision (as before attribution) is named.
    # Row 2: the best decision (1.30) is not the best attributed of those that fire.
    assert named.tolist() == [1, 1, 1]
    assert runner_up.tolist() == [2, 0, 0]
    alone, none = named_and_runner_up(decision[:, :1], attribution[:, :1], threshold=1.05)
    assert alone.tolist() == [0, 0, 0] and none.tolist() == [-1, -1, -1]


def test_naming_never_changes_whether_a_row_fires():
    rng = np.random.default_rng(7)
    decision = np.round(rng.uniform(0.8, 1.3, size=(500, 4)), 6)
    attribution = rng.uniform(0.8, 1.4, size=(500, 4))
    named, runner_up = named_and_runner_up(decision, attribution, threshold=1.05)
    at = np.arange(500)
    assert ((decision[at, named] >= 1.05) == (decision.max(axis=1) >= 1.05)).all()
    assert (runner_up != named).all()
