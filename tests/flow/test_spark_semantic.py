"""The embedding detector (the default cascade), the lexical detector and semantic dedup on
`execution: {engine: spark}` make the local engine's decisions on `local[2]`: their row-local
work runs in Spark tasks (the model loaded by each executor process, no warehouse there), the
benchmark side and semantic dedup's clustering once on the driver. Each engine has its own
warehouse, so the executors encode every text themselves instead of reading vectors the local
run cached."""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import numpy as np
import polars as pl
import pytest
import yaml

from assets.decontamination.benchmarks import humaneval_items
from assets.decontamination.detector import decontamination_steps
from assets.decontamination.embedding import EmbeddingDetector, EmbeddingNearest
from assets.decontamination.lexical import LexicalDetector, LexicalNearest
from assets.dedup.semantic import SemanticDedup, SemanticDedupConfig
from assets.engine import ExecutionConfig, run_stage
from assets.models.context import ModelContext
from assets.recipe.sections import DecontaminationConfig
from assets.run_context import RunContext
from assets.stream import run_steps
from orchestration.definitions import ALL_ASSETS, CORPUS_CHECKS
from orchestration.resources import build_resources
from tests.conftest import home_env, recipe_dict
from tests.flow.conftest import SPARK
from tests.flow.test_spark_engine import assert_same
from warehouse import Warehouse
from warehouse.rows import conform, with_row_ids

DATA = Path(__file__).parents[1] / "data"
# 12-row chunks: the 48 rows run as 4 tasks on the two executor processes.
CHUNK_ROWS = 12
ITEMS = 20

# Near-identical sentences (semantic duplicates that exact dedup would not catch) and rows
# far from them.
PARAPHRASES = [
    "Explain how a river slowly carves a deep canyon into rock over many years.",
    "Explain how a river slowly carves a deep canyon into stone over many years.",
    "Explain how a river slowly cuts a deep canyon into rock over many years.",
    "Describe three ways a small bakery can reduce food waste at the end of the day.",
    "Describe three ways a small bakery could reduce food waste at the end of each day.",
    "Summarize the causes of the French Revolution in two short paragraphs.",
    "Give a packing list for a weekend hiking trip in the mountains in autumn.",
    "Write a short poem about a lighthouse keeper who waits for the morning ferry.",
]


def _jsonl(name: str) -> list[dict]:
    return [json.loads(line) for line in (DATA / name).read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def corpus() -> tuple[pl.DataFrame, pl.DataFrame]:
    """(rows, benchmark items): hand-written rephrasings of the first `ITEMS` HumanEval items,
    coding tasks on the same topics that restate no item, and the paraphrases."""
    items = humaneval_items().head(ITEMS)
    known = set(items["item_id"])
    rephrased = [
        r["instruction"] for r in _jsonl("humaneval_rephrased_human.jsonl") if r["item_id"] in known
    ][:20]
    clean = [r["instruction"] for r in _jsonl("clean_code_instructions.jsonl")][:20]
    texts = rephrased + clean + PARAPHRASES
    rows = pl.DataFrame(
        {
            "kind": "instruction",
            "method": "self_instruct",
            "instruction": texts,
            "response": "Done.",
            "attributes": "{}",
        }
    )
    return with_row_ids(conform(rows)), items


def _steps(home: Path, items: pl.DataFrame) -> list:
    wh = Warehouse(home)
    run = RunContext(ModelContext(wh=wh, run_id="test"), items)
    config = DecontaminationConfig(
        embedding=EmbeddingDetector(enabled=True), lexical=LexicalDetector(enabled=True)
    )
    semantic = SemanticDedup(wh, SemanticDedupConfig(enabled=True, threshold=0.9))
    return [semantic, *decontamination_steps(config, run)]


def test_semantic_steps_on_spark_match_local(spark, corpus, tmp_path):
    rows, items = corpus
    local = run_steps(rows, _steps(tmp_path / "local", items), "decontaminated")
    on_spark = run_stage(
        rows,
        _steps(tmp_path / "spark", items),
        "decontaminated",
        ExecutionConfig(engine="spark", chunk_rows=CHUNK_ROWS),
        SPARK,
    )
    assert_same(local, on_spark)

    # Not vacuous: every step decided something, each on both engines alike.
    rules = local.decisions.group_by("rule").len()
    assert dict(rules.iter_rows()).keys() == {"semantic_duplicate", "benchmark_contamination"}
    duplicates = local.decisions.filter(pl.col("rule") == "semantic_duplicate")
    assert duplicates.height == 3
    detectors = {
        name
        for evidence in local.decisions.filter(pl.col("rule") == "benchmark_contamination")[
            "evidence"
        ]
        for name in json.loads(evidence)["detectors"]
    }
    assert {"embedding", "lexical"} <= detectors
    # The cascade embedded the candidates on the executors, in more than one task.
    assert on_spark.stats["embedding_candidates"] == local.stats["embedding_candidates"] > 0
    assert on_spark.stats["semantic_dedup"]["encoded"] == len(rows)

    assert local.engines == [(step, "local") for step in local.funnel["step"]]
    assert on_spark.engines == [
        ("semantic_duplicate", "spark executors"),
        ("ngram", "spark executors"),
        ("embedding", "spark executors"),
        ("lexical", "spark executors"),
        ("benchmark_contamination", "spark executors"),
    ]
    # The driver's warehouse cache holds the vectors the executors encoded, for semantic dedup
    # and for the cascade's candidates, as the local run's cache does.
    cached = {engine: _cache(tmp_path / engine) for engine in ("local", "spark")}
    assert cached["spark"].keys() == cached["local"].keys()
    assert len(cached["spark"]) >= len(rows) + local.stats["embedding_candidates"]
    for key, vector in cached["local"].items():
        assert np.allclose(cached["spark"][key], vector, atol=1e-5), key


def _cache(home: Path) -> dict[tuple[str, str], np.ndarray]:
    with Warehouse(home).reader() as con:
        found = con.execute("SELECT model, text_sha256, vector FROM embedding_cache").fetchall()
    return {(model, key): np.array(vector, dtype=np.float32) for model, key, vector in found}


def _materialize(home: Path, recipe: dict, selection: list[str]) -> dg.ExecuteInProcessResult:
    path = home / "recipe.yaml"
    path.write_text(yaml.safe_dump(recipe, sort_keys=False), encoding="utf-8")
    return dg.materialize(
        [*ALL_ASSETS, *CORPUS_CHECKS],
        resources=build_resources(home=str(home), recipe=str(path)),
        selection=selection,
    )


def _step_engines(home: Path, corpus: str) -> list[tuple[str, str]] | None:
    with Warehouse(home).reader() as con:
        found = con.execute(
            "SELECT step_engines FROM corpus_versions WHERE corpus = ? "
            "ORDER BY version DESC LIMIT 1",
            [corpus],
        ).fetchone()
    assert found is not None
    return None if found[0] is None else [(e["step"], e["engine"]) for e in found[0]]


def _engines_in_metadata(result: dg.ExecuteInProcessResult, corpus: str) -> list[tuple[str, str]]:
    (event,) = [
        e for e in result.get_asset_materialization_events() if e.asset_key.path == [corpus]
    ]
    entries = event.materialization.metadata["step_engines"].data
    return [(e["step"], e["engine"]) for e in entries]


def test_each_version_records_where_its_steps_ran(spark, tmp_path):
    home = tmp_path / "home"
    recipe = recipe_dict(decontamination={"lexical": {}})
    recorded = {}
    with home_env(home):
        for engine in ("local", "spark"):
            recipe["execution"] = {"engine": engine, "chunk_rows": 20}
            recipe["spark"] = SPARK.model_dump()
            stages = ["filtered", "decontaminated"]
            result = _materialize(home, recipe, ["seed", "synthesized", *stages])
            for corpus in stages:
                recorded[engine, corpus] = _step_engines(home, corpus)
                assert _engines_in_metadata(result, corpus) == recorded[engine, corpus]
    assert _step_engines(home, "seed") is None

    for corpus in ("filtered", "decontaminated"):
        local, on_spark = recorded["local", corpus], recorded["spark", corpus]
        assert [step for step, _ in local] == [step for step, _ in on_spark]
        assert {engine for _, engine in local} == {"local"}
    # Row steps and exact dedup left the driver; the steps holding the warehouse did not.
    filtered = dict(recorded["spark", "filtered"])
    assert filtered["exact_duplicate"] == filtered["pii"] == "spark executors"
    assert "spark driver" in filtered.values()
    assert set(dict(recorded["spark", "decontaminated"]).values()) == {"spark executors"}


def test_executor_copies_carry_the_benchmark_side_without_the_warehouse(tmp_path):
    # The copy Spark ships has no warehouse, and the benchmark side is computed once on the
    # driver: the cascade's fitted first stage and one docstring vector per item (a model
    # load, so a flow test). The first `ITEMS` items, as the module's other tests use: all 164
    # cost 88 s of encoding here, for nothing the copy's checks need.
    wh = Warehouse(tmp_path)
    items = humaneval_items().head(ITEMS)
    detector = EmbeddingNearest(items, wh, EmbeddingDetector(enabled=True))
    copy = detector.for_executors()
    assert copy.wh is None and detector.wh is wh
    assert copy.prepared.fitted is not None and copy.prepared.coverage is not None
    assert copy.prepared.coverage.vectors.shape[0] == items.height
    lexical = LexicalNearest(items, LexicalDetector(enabled=True)).for_executors()
    assert lexical.fitted is not None
