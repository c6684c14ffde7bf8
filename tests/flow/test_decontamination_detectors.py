"""Rephrased benchmark items: caught by the embedding and lexical detectors, missed by n-grams
alone; the judge's verdicts are recorded and the verdict rule applied; the contamination
report."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from assets.decontamination.benchmarks import (
    humaneval_items,
)
from assets.decontamination.coverage import TokenCoverage, coverage_nearest
from assets.decontamination.detector import contamination_signals, decontamination_steps
from assets.decontamination.embedding import EmbeddingDetector
from assets.decontamination.judge import JudgeConfig, parse_verdict
from assets.decontamination.lexical import LexicalDetector
from assets.decontamination.views import docstring_view, with_views
from assets.embeddings import DEFAULT_EMBEDDING_MODEL, Embedder, text_sha256
from assets.models.context import ModelContext
from assets.recipe.sections import DecontaminationConfig
from assets.run_context import RunContext
from assets.steps import Step
from assets.stream import run_steps
from tests.conftest import TESTS, materialize
from warehouse import Warehouse
from warehouse.corpora import read_version
from warehouse.embeddings import store_embeddings

REPHRASED = TESTS / "data" / "humaneval_rephrased.jsonl"
# Same topics as the rephrased items (Fibonacci, gcd, strings, brackets), different requests.
CLEAN = [
    "Explain how Fibonacci numbers appear in the spiral patterns of sunflowers and pine cones.",
    "Describe the history of the greatest common divisor algorithm attributed to Euclid.",
    "Write a Python script that reads a CSV file of sales and prints the total per region.",
    "What is the difference between a list and a tuple in Python? Give an example of each.",
]


def humaneval_subset() -> pl.DataFrame:
    """The rephrased items and every sixth other HumanEval problem as distractors: a quarter
    of HumanEval keeps the encoding cost of these tests low."""
    targets = {r["item_id"] for r in rephrased()}
    humaneval = humaneval_items().with_row_index("i")
    keep = pl.col("item_id").is_in(targets) | (pl.col("i") % 6 == 0)
    return humaneval.filter(keep).drop("i")


@pytest.fixture(scope="session")
def humaneval_vectors() -> tuple[list[str], np.ndarray]:
    """The subset's views encoded once per session: each test's fresh warehouse gets them in
    its embedding cache, as a second run of the stage would, instead of encoding again."""
    subset = humaneval_subset()
    views = with_views(subset.with_row_index("item"), "item", "text")
    # The cascade compares rows with the items' docstrings (`coverage.py`).
    docstrings = [docstring_view(t) for t in subset["text"].to_list()]
    texts = list(dict.fromkeys([*views["view_text"], *docstrings]))
    return text_sha256(texts), Embedder().encode(texts)


@pytest.fixture
def warm_home(home: Path, humaneval_vectors) -> Path:
    store_embeddings(Warehouse(home), DEFAULT_EMBEDDING_MODEL, *humaneval_vectors)
    return home


def rephrased() -> list[dict]:
    return [json.loads(line) for line in REPHRASED.read_text(encoding="utf-8").splitlines()]


def rows_of(texts: list[str]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "row_id": [f"r{i:02d}" for i in range(len(texts))],
            "kind": ["instruction"] * len(texts),
            "instruction": texts,
            "input": [None] * len(texts),
            "response": [None] * len(texts),
            "text": [None] * len(texts),
        },
        schema_overrides={c: pl.String for c in ("input", "response", "text")},
    )


def context(home: Path) -> ModelContext:
    return ModelContext(wh=Warehouse(home), run_id="test")


def detection(config: DecontaminationConfig, ctx: ModelContext) -> list[Step]:
    """The decontaminated stage's steps for `config`, against the HumanEval subset."""
    return decontamination_steps(config, RunContext(ctx, humaneval_subset()))


def judge_stats(steps: list[Step]) -> dict:
    return {key: value for step in steps for key, value in step.stats().items()}


def judged(steps: list[Step]) -> dict:
    """The judge's statistics alone (the cascade adds its own)."""
    return {key: value for key, value in judge_stats(steps).items() if key.startswith("judge")}


def test_rephrasings_caught_by_embedding_and_missed_by_ngram(warm_home):
    home = warm_home
    items = rephrased()
    rows = rows_of([r["instruction"] for r in items] + CLEAN)
    # One cosine of each whole row (the cascade off): the detector before the cascade.
    config = DecontaminationConfig(embedding=EmbeddingDetector(candidates=None))
    signals = contamination_signals(rows, detection(config, context(home))).sort("row_id")
    planted = signals.head(len(items))
    clean = signals.tail(len(CLEAN))

    assert not planted["ngram"].any(), "a 13-gram detector alone misses every rephrasing"
    assert planted["embedding"].all() and planted["contaminated"].all()
    assert planted["nn_item_id"].to_list() == [r["item_id"] for r in items]
    assert (planted["similarity"] >= config.embedding.threshold).all()
    assert not clean["contaminated"].any()

    # The rule decides: n-grams alone keep every rephrasing in the corpus.
    ngram_only = DecontaminationConfig(embedding=EmbeddingDetector(candidates=None), rule="ngram")
    decided = run_steps(rows, detection(ngram_only, context(home)), stage="decontaminated")
    assert decided.decisions.is_empty() and decided.rows.equals(rows)


def test_lexical_detector_catches_rephrasings_that_keep_the_rare_words(home):
    # Hand-written rephrasings that keep the task's rare words (string length, prefix filter,
    # bracket pairs) but share no 13-gram with their item; no embedding model is involved.
    keep_words = {"HumanEval/23", "HumanEval/29", "HumanEval/61"}
    items = [r for r in rephrased() if r["item_id"] in keep_words]
    clean = CLEAN[2:]
    rows = rows_of([r["instruction"] for r in items] + clean)
    config = DecontaminationConfig(lexical=LexicalDetector(), rule="ngram or lexical")
    signals = contamination_signals(rows, detection(config, context(home))).sort("row_id")

    planted = signals.head(len(items))
    assert not planted["ngram"].any()
    assert planted["lexical"].all() and planted["contaminated"].all()
    assert planted["lx_item_id"].to_list() == [r["item_id"] for r in items]
    assert not signals.tail(len(clean))["contaminated"].any()

    flagged = run_steps(rows, detection(config, context(home)), "decontaminated").decisions
    flagged = flagged.sort("row_id")
    assert flagged["row_id"].to_list() == planted["row_id"].to_list()
    for (score, raw), record in zip(flagged.select("score", "evidence").rows(), items, strict=True):
        evidence = json.loads(raw)
        assert evidence["detectors"] == ["lexical"] and evidence["embedding"] is None
        assert evidence["item_id"] == evidence["lexical"]["item_id"] == record["item_id"]
        assert score == evidence["lexical"]["similarity"] >= config.lexical.threshold
        assert evidence["lexical"]["char_ngrams"] == "3-5"


def test_judge_verdicts_are_recorded_and_the_rule_applied(warm_home):
    home = warm_home
    items = rephrased()[:2]
    rows = rows_of([r["instruction"] for r in items])
    # Every pair is a candidate; `ngram or judge` lets the judge alone decide these rows.
    config = DecontaminationConfig(
        embedding=EmbeddingDetector(),
        judge=JudgeConfig(candidate_threshold=0.1),
        rule="ngram or judge",
    )
    ctx = context(home)
    steps = detection(config, ctx)
    signals = contamination_signals(rows, steps).sort("row_id")
    assert judged(steps) == {"judge_pairs": 2, "judge_new_calls": 2}
    # Held to its schema, the judge always gives a verdict.
    assert set(signals.drop_nulls("judge_verdict")["judge_verdict"]) <= {"yes", "no"}
    assert signals["contaminated"].to_list() == (signals["judge_verdict"] == "yes").to_list()
    with ctx.wh.reader() as con:
        calls = con.sql(
            "SELECT c.request_hash, c.raw_output, g.template_name FROM model_calls AS c "
            "JOIN generators AS g USING (generator_id)"
        ).pl()
    assert sorted(calls["request_hash"]) == sorted(signals["judge_call_id"])
    assert set(calls["template_name"]) == {"decontamination_judge"}
    assert [parse_verdict(o) for o in calls.sort("request_hash")["raw_output"]] == (
        signals.sort("judge_call_id")["judge_verdict"].to_list()
    )

    flagged = run_steps(rows, detection(config, ctx), "decontaminated").decisions
    for evidence in map(json.loads, flagged["evidence"]):
        # The embedding detector may fire on these rephrasings too; under the rule the judge decides.
        assert "judge" in evidence["detectors"] and evidence["judge"]["verdict"] == "yes"
        assert evidence["judge"]["call_id"] in set(calls["request_hash"])

    # Where the embedding detector already decides, the judge is not asked (and its calls are
    # cached: a re-run makes none).
    both = DecontaminationConfig(
        embedding=EmbeddingDetector(), judge=config.judge, rule="embedding or judge"
    )
    again = detection(both, ctx)
    decided = contamination_signals(rows, again)
    assert decided["contaminated"].all()
    # (The cascade leaves the gcd rephrasing to the judge: cosine + coverage 1.00 < 1.0525.)
    assert judged(again)["judge_pairs"] == int((~decided["embedding"]).sum()) < rows.height
    rerun = detection(config, ctx)
    contamination_signals(rows, rerun)
    assert judged(rerun) == {"judge_pairs": 2, "judge_new_calls": 0}


def test_decontaminated_stage_removes_rephrasings_and_reports_them(warm_home, write_recipe):
    home = warm_home
    items = rephrased()[:3]
    seeds = home / "seeds.jsonl"
    records = [
        {"task_type": "coding", "instruction": r["instruction"], "response": "ok"} for r in items
    ] + [{"task_type": "open_qa", "instruction": text, "response": "ok"} for text in CLEAN]
    seeds.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    bench = home / "humaneval_subset.jsonl"
    humaneval_subset().select("item_id", "text").write_ndjson(bench)
    recipe = write_recipe(
        seed={"sources": [{"path": str(seeds)}, {"path": "bundled:math_templates.jsonl"}]},
        decontamination={
            "benchmarks": [
                {
                    "name": "HumanEval",
                    "path": str(bench),
                    "text_field": "text",
                    "id_field": "item_id",
                }
            ],
            # One cosine of the whole row (the cascade off), so the plumbing is tested apart
            # from the cascade's rule (the cascade leaves the gcd rephrasing to the judge).
            "embedding": {"threshold": 0.63, "candidates": None},
        },
    )
    result = materialize(home, recipe)
    assert result.success
    wh = Warehouse(home)
    _, filtered = read_version(wh, "filtered")
    planted = filtered.filter(pl.col("instruction").is_in([r["instruction"] for r in items]))
    _, decontaminated = read_version(wh, "decontaminated")
    assert not set(planted["row_id"]) & set(decontaminated["row_id"])
    assert set(CLEAN) <= set(decontaminated["instruction"])

    with wh.reader() as con:
        decisions = con.sql(
            "SELECT row_id, rule, score, evidence FROM decisions WHERE stage = 'decontaminated'"
        ).pl()
        report = con.sql(
            "SELECT benchmark, generator_id, method, contaminated_rows, benchmark_items, "
            "by_ngram, by_embedding, by_lexical, by_judge, is_current FROM contamination_report"
        ).pl()
    assert sorted(decisions["row_id"]) == sorted(planted["row_id"])
    by_row = {r: json.loads(e) for r, e in decisions.select("row_id", "evidence").iter_rows()}
    expected_item = dict(zip(planted["instruction"], planted["row_id"], strict=True))
    for record in items:
        evidence = by_row[expected_item[record["instruction"]]]
        assert evidence["benchmark"] == "HumanEval" and evidence["item_id"] == record["item_id"]
        assert evidence["detectors"] == ["embedding"] and evidence["ngram"] is None
        assert evidence["embedding"]["similarity"] >= 0.63
    assert set(decisions["rule"]) == {"benchmark_contamination"}
    assert (decisions["score"] >= 0.63).all()

    generator = planted["generator_id"].unique().item()
    assert report.rows() == [("HumanEval", generator, "seed_passthrough", 3, 3, 0, 3, 0, 0, True)]
    meta = next(
        m.materialization.metadata
        for m in result.get_asset_materialization_events()
        if m.asset_key.path == ["decontaminated"]
    )
    assert meta["contaminated_by_benchmark"].value == {"HumanEval": 3}
    assert meta["verdict_rule"].value == "ngram or embedding"
    assert "| HumanEval | " + generator in meta["contamination_report"].value
    assert "embedding 3" in meta["contamination_report"].value
    # The resolved plan: the detectors in order, the lexical one and the judge off.
    assert "| 3 | lexical | detector | off |" in meta["plan"].value
    assert "| 5 | verdict | verdict | on |" in meta["plan"].value


def test_cascade_embeds_only_the_candidates_question_and_code(warm_home):
    # Two rephrasings with long answers, and two rows about something else: only the
    # rephrasings are candidates, and only their instruction (not the answer) is encoded.
    home = warm_home
    # HumanEval/2 and /23 (the cascade leaves the gcd rephrasing, HumanEval/13, to the judge).
    items = [rephrased()[0], rephrased()[2]]
    answer = "Here is a careful explanation of the approach. " * 30
    others = [
        "Describe the water cycle for a ten-year-old, with a rainy-day analogy.",
        "Translate good morning into French and Spanish.",
    ]
    rows = rows_of([r["instruction"] for r in items] + others).with_columns(
        pl.lit(answer).alias("response")
    )
    config = DecontaminationConfig(embedding=EmbeddingDetector())
    wh = Warehouse(home)
    with wh.reader() as con:
        before = set(con.sql("SELECT text_sha256 FROM embedding_cache").pl()["text_sha256"])
    steps = detection(config, context(home))
    signals = contamination_signals(rows, steps).sort("row_id")
    with wh.reader() as con:
        after = set(con.sql("SELECT text_sha256 FROM embedding_cache").pl()["text_sha256"])

    assert after - before == set(text_sha256([r["instruction"] for r in items]))
    assert judge_stats(steps) == {"embedding_rows": 4, "embedding_candidates": 2}
    planted, clean = signals.head(2), signals.tail(2)
    assert (planted["cand_similarity"] >= config.embedding.candidates.threshold).all()
    assert planted["contaminated"].all()
    assert planted["nn_item_id"].to_list() == [r["item_id"] for r in items]
    assert (clean["cand_similarity"] < config.embedding.candidates.threshold).all()
    assert clean["similarity"].is_null().all() and not clean["contaminated"].any()

    assert (planted["cascade_score"] >= config.embedding.coverage.threshold).all()

    evidence = json.loads(run_steps(rows, steps, "decontaminated").decisions["evidence"][0])
    assert evidence["embedding"]["candidate_threshold"] == config.embedding.candidates.threshold
    assert evidence["embedding"]["candidate_similarity"] == planted["cand_similarity"][0]
    assert evidence["embedding"]["cascade_threshold"] == config.embedding.coverage.threshold
    assert evidence["embedding"]["cascade_score"] == planted["cascade_score"][0]
    assert evidence["embedding"]["coverage"] == planted["coverage"][0]
    # The cosine alone decided nothing, so the evidence names no cosine threshold.
    assert evidence["embedding"]["threshold"] is None


def test_cascade_ranks_a_rephrasing_above_a_same_topic_task_that_one_cosine_ranks_higher(home):
    # From the hand-written sets: a rephrasing of HumanEval/7 and a clean anagram task whose
    # cosine with HumanEval/54 (same_chars) is the higher one; coverage of the item's docstring
    # tells them apart, and the default threshold lies between them.
    items = humaneval_items().filter(pl.col("item_id").is_in(["HumanEval/7", "HumanEval/54"]))
    rows = pl.DataFrame(
        {
            "row_id": ["rephrasing", "same_topic"],
            "content": [
                "Return only those strings from a list that contain a given piece of text "
                "somewhere inside them. Example: keep_containing(['cat', 'concat', 'dog'], "
                "'cat') -> ['cat', 'concat'].",
                "Check whether two strings are anagrams of each other, ignoring spaces, "
                "punctuation and letter case.",
            ],
        }
    )
    config = TokenCoverage()
    found = coverage_nearest(
        Warehouse(home), rows, items, DEFAULT_EMBEDDING_MODEL, "cpu", config
    ).sort("row_id")
    rephrasing, same_topic = found.row(0, named=True), found.row(1, named=True)
    assert rephrasing["nn_item_id"] == "HumanEval/7"
    assert same_topic["nn_item_id"] == "HumanEval/54"
    assert same_topic["similarity"] > rephrasing["similarity"]
    assert rephrasing["cascade_score"] >= config.threshold > same_topic["cascade_score"]
    assert rephrasing["cascade_score"] == pytest.approx(
        rephrasing["similarity"] + rephrasing["coverage"], abs=1e-5
    )
    # Fewer items to rescore never raises a score: the best of the top 1 is one of the top 2.
    top1 = coverage_nearest(
        Warehouse(home), rows, items, DEFAULT_EMBEDDING_MODEL, "cpu", TokenCoverage(top_items=1)
    ).sort("row_id")
    assert (top1["cascade_score"] <= found["cascade_score"] + 1e-6).all()


# Hand-written rephrasings (tests/data) and the item each was confused with: the prefix filter
# (HumanEval/29) with all prefixes of a string (/14); the others were named wrong when the
# best cosine + docstring coverage named the item (bench/decontamination).
CONFUSED = {
    "HumanEval/29": "HumanEval/14",
    "HumanEval/38": "HumanEval/50",
    "HumanEval/40": "HumanEval/92",
    "HumanEval/101": "HumanEval/125",
    "HumanEval/109": "HumanEval/135",
}


def test_evidence_names_the_item_rephrased_and_the_runner_up(home):
    records = {
        r["item_id"]: r["instruction"]
        for name in ("humaneval_rephrased.jsonl", "humaneval_rephrased_human.jsonl")
        for r in map(json.loads, (TESTS / "data" / name).read_text().splitlines())
    }
    items = humaneval_items().filter(pl.col("item_id").is_in([*CONFUSED, *CONFUSED.values()]))
    rows = rows_of([records[item] for item in CONFUSED])
    config = DecontaminationConfig(embedding=EmbeddingDetector())
    steps = decontamination_steps(config, RunContext(context(home), items))
    decided = run_steps(rows, steps, "decontaminated")

    assert decided.rows.is_empty(), "every rephrasing is removed"
    evidence = [json.loads(e) for e in decided.decisions.sort("row_id")["evidence"]]
    threshold = config.embedding.coverage.threshold
    for (item, confused), found in zip(CONFUSED.items(), evidence, strict=True):
        embedding = found["embedding"]
        assert found["item_id"] == embedding["item_id"] == item
        assert embedding["runner_up"]["item_id"] == confused
        # The margin a user reads: the named item restates the row better than the runner-up.
        assert embedding["attribution"] > embedding["runner_up"]["attribution"]
        # The named item's own cosine + coverage decides the row.
        assert embedding["cascade_score"] >= threshold
        assert embedding["cascade_score"] == pytest.approx(
            embedding["similarity"] + embedding["coverage"], abs=2e-6
        )
    # Where the best cosine + coverage is the confused item, ranking by it named that one.
    outscored = {
        item
        for item, e in zip(CONFUSED, evidence, strict=True)
        if e["embedding"]["runner_up"]["cascade_score"] > e["embedding"]["cascade_score"]
    }
    assert outscored == {"HumanEval/38", "HumanEval/40", "HumanEval/101", "HumanEval/109"}
