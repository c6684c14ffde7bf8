"""`execution: {engine: spark}` keeps the rows and makes the decisions of the local engine, on
every built-in row step of the filtered and decontaminated stages and on exact dedup, with
the version cut into several Spark tasks on `local[2]`."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest

from assets.decontamination.benchmarks import humaneval_items
from assets.decontamination.detector import decontamination_steps
from assets.dedup.exact import ExactDedup
from assets.engine import ExecutionConfig, run_stage
from assets.filters.language import LanguageConfig
from assets.filters.pii import PiiConfig
from assets.filters.pipeline import filtered_steps
from assets.recipe.sections import DecontaminationConfig, DedupConfig, FilterConfig
from assets.registry import DETECTORS, FILTERS
from assets.run_context import RunContext
from assets.spark_steps import SparkStepError, run_steps_on_spark
from assets.steps import RowFilter, RowStep
from assets.stream import StageOutput, run_steps
from tests.flow.conftest import SPARK
from tests.unit.assets.test_steps import _close, _ordered, sample
from warehouse.rows import conform, with_row_ids

# 70-row chunks: the 200-row corpus runs as 3 tasks, so rows, decisions, duplicates and
# statistics all cross task boundaries.
CHUNK_ROWS = 70


@pytest.fixture(scope="module")
def corpus() -> pl.DataFrame:
    """The rule-per-row sample, then instructions and documents from random words with exact
    copies (changed in case and punctuation) far from their originals, an email and a card
    number in some rows, and a few French rows."""
    rng = np.random.default_rng(5)
    vocab = np.array(["river", "stone", "mill", "grain", "boat", "flood", "town", "spring",
                      "record", "miller", "water", "autumn", "farmer", "hill", "sack"])  # fmt: skip
    instructions: list[str] = []
    responses: list[str] = []
    for i in range(184):
        if i % 9 == 8:
            # A copy of a row up to 50 rows earlier: mostly another chunk, same cluster.
            original = i - 50 if i >= 50 else i - 8
            instructions.append(instructions[original].upper() + "!")
            responses.append(responses[original] + ".")
            continue
        words = " ".join(vocab[rng.integers(0, vocab.size, int(rng.integers(4, 30)))])
        extra = " mail bo.li@example.com" if i % 23 == 0 else ""
        extra += " card 4111 1111 1111 1111" if i % 31 == 0 else ""
        instructions.append(f"Describe the {words}{extra}.")
        response = " ".join(vocab[rng.integers(0, vocab.size, int(rng.integers(0, 60)))])
        # Ended like a sentence: without the full stop the defect rules drop the row as cut off.
        response += "." if response else ""
        if i % 29 == 0:
            response = "La rivière traverse la vieille ville et passe devant le moulin de pierre."
        responses.append(response)
    generated = pl.DataFrame(
        {
            "kind": "instruction",
            "method": "self_instruct",
            "instruction": instructions,
            "response": responses,
            "attributes": "{}",
        }
    )
    return pl.concat([sample(), with_row_ids(conform(generated))])


# Embedding similarities differ in their last bits when the engines embed in other batches
# (padding to another length): 0.99308 local, 0.993079 on Spark on one machine. A decision's
# numbers are compared to this tolerance, which no threshold comes near; all else exactly.
_SIMILARITY_TOLERANCE = 1e-4


def _near(left: object, right: object) -> bool:
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(_near(left[k], right[k]) for k in left)
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(map(_near, left, right))
    if isinstance(left, float) and isinstance(right, float):
        return left == pytest.approx(right, abs=_SIMILARITY_TOLERANCE)
    return left == right


def assert_same_decisions(local: pl.DataFrame, on_spark: pl.DataFrame) -> None:
    local, on_spark = _ordered(local), _ordered(on_spark)
    numeric = ["score", "evidence"]
    assert on_spark.drop(numeric).equals(local.drop(numeric))
    for mine, theirs in zip(
        local.iter_rows(named=True), on_spark.iter_rows(named=True), strict=True
    ):
        assert _near(theirs["score"], mine["score"]), (mine, theirs)
        assert _near(json.loads(theirs["evidence"]), json.loads(mine["evidence"])), (mine, theirs)


def assert_same(local: StageOutput, on_spark: StageOutput) -> None:
    assert on_spark.rows.equals(local.rows)
    assert_same_decisions(local.decisions, on_spark.decisions)
    assert on_spark.funnel.equals(local.funnel)
    assert _close(on_spark.stats, local.stats)


def test_filtered_stage_on_spark_matches_local(spark, corpus):
    # Three candidate languages: the identifier chooses among them on both engines.
    filters = FilterConfig(
        pii=PiiConfig(credit_card="drop"),
        language=LanguageConfig(candidates=["en", "fr", "de"]),
        # The off-topic rule embeds answers: semantic steps on Spark are issue 25's, not here.
        off_topic={"enabled": False},
    )
    local = run_steps(corpus, filtered_steps(filters, DedupConfig(), RunContext()), "filtered")
    spark_steps = filtered_steps(filters, DedupConfig(), RunContext())
    on_spark = run_steps_on_spark(corpus, spark_steps, "filtered", SPARK, CHUNK_ROWS)
    assert_same(local, on_spark)

    # Every built-in filter ran, as a row step, and most rules and exact dedup fired.
    row_filters = {e.name for e in FILTERS.built_in() if issubclass(e, RowStep)} - {"off_topic"}
    assert row_filters <= set(on_spark.funnel["step"])
    assert on_spark.stats["pii"]["found"] and on_spark.stats["languages"].get("fr")
    rules = set(on_spark.decisions["rule"])
    assert {
        "pii.credit_card",
        "language.not_allowed",
        "refusal",
        "gopher_quality.word_count",
        "c4.lorem_ipsum",
        "self_instruct.punctuation_start",
        "exact_duplicate",
    } <= rules
    duplicates = on_spark.decisions.filter(pl.col("rule") == "exact_duplicate")
    assert duplicates.height >= 18
    assert isinstance(next(s for s in spark_steps if s.name == "exact_duplicate"), ExactDedup)


def test_decontaminated_stage_on_spark_matches_local(spark, corpus):
    humaneval = humaneval_items()
    planted = corpus.with_columns(
        pl.when(pl.int_range(pl.len()) % 25 == 3)
        .then(pl.col("instruction") + " " + pl.lit(humaneval["text"][7]))
        .otherwise(pl.col("instruction"))
        .alias("instruction")
    )
    run = RunContext(benchmarks=humaneval)
    local = run_steps(
        planted, decontamination_steps(DecontaminationConfig(), run), stage="decontaminated"
    )
    on_spark = run_stage(
        planted,
        decontamination_steps(DecontaminationConfig(), run),
        "decontaminated",
        ExecutionConfig(engine="spark", chunk_rows=CHUNK_ROWS),
        SPARK,
    )
    assert_same(local, on_spark)
    assert on_spark.decisions.height == 8
    row_detectors = {e.name for e in DETECTORS.built_in() if e.config_key is None}
    assert row_detectors | {"benchmark_contamination"} <= set(on_spark.funnel["step"])


def test_empty_version_and_a_step_spark_cannot_ship(spark, corpus):
    setup = (FilterConfig(), DedupConfig(), RunContext())
    empty = corpus.clear()
    local = run_steps(empty, filtered_steps(*setup), stage="filtered")
    assert_same(local, run_steps_on_spark(empty, filtered_steps(*setup), "filtered", SPARK, 5))

    class HoldsALock(RowFilter):
        name = "holds_a_lock"

        def __init__(self) -> None:
            import threading

            self.lock = threading.Lock()

        def flag(self, rows: pl.DataFrame) -> pl.DataFrame:
            return rows.clear().select("row_id")

    with pytest.raises(SparkStepError, match="holds_a_lock.*cannot be sent to the executors"):
        run_steps_on_spark(corpus, [HoldsALock()], "filtered", SPARK, CHUNK_ROWS)
