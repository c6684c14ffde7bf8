"""Near dedup: planted near duplicates at known Jaccard levels are clustered onto the right
representative, distinct rows stay, and every drop is explained in the warehouse."""

from __future__ import annotations

import json
import re

import numpy as np
import polars as pl
import pytest

from assets.dedup.clusters import candidate_pairs, components, near_duplicates
from assets.dedup.minhash import (
    MinHashParams,
    candidate_probability,
    estimated_jaccard,
    optimal_bands,
    shingle_hashes,
    signatures,
    true_jaccard,
)
from assets.dedup.near import NearDedup, NearDedupConfig, find_near_duplicates, minhash_params
from assets.recipe.loader import RecipeError, parse_recipe
from assets.recipe.root import DedupConfig, FilterConfig
from assets.stream import run_steps
from tests.conftest import filter_rows
from warehouse.rows import conform


def base_text(doc: int, words: int = 200) -> list[str]:
    """`words` distinct words no other base text shares."""
    return [f"t{doc}w{j}" for j in range(words)]


def substituted(words: list[str], count: int) -> list[str]:
    """`count` substitutions at least 5 words apart: each removes 5 word 5-shingles and adds 5,
    so the Jaccard is (n - 4 - 5k) / (n - 4 + 5k)."""
    edited = list(words)
    for k in range(count):
        edited[5 + 9 * k] = f"edit{k}"
    return edited


def word_jaccard(a: str, b: str, n: int = 5) -> float:
    def grams(text: str) -> set[tuple[str, ...]]:
        toks = re.findall(r"\w+", text.lower())
        return {tuple(toks[i : i + n]) for i in range(len(toks) - n + 1)}

    ga, gb = grams(a), grams(b)
    return len(ga & gb) / len(ga | gb)


def frame(texts: list[str], ids: list[str] | None = None) -> pl.DataFrame:
    ids = ids or [f"{i:04d}" for i in range(len(texts))]
    return pl.DataFrame(
        {
            "row_id": ids,
            "kind": "instruction",
            "instruction": texts,
            "input": None,
            "response": "ok",
            "text": None,
        },
        schema_overrides={c: pl.String for c in ("input", "text")},
    )


def test_optimal_bands_follow_text_dedup_and_the_s_curve():
    from text_dedup.utils.analysis import optimal_param

    for threshold, num_perm in [(0.8, 128)]:
        assert optimal_bands(threshold, num_perm) == optimal_param(threshold, num_perm)
    bands, rows = optimal_bands(0.8, 128)
    assert bands * rows <= 128
    low, at, high = candidate_probability(np.array([0.5, 0.8, 0.95]), bands, rows)
    # The optimal curve for 0.8 / 128 is (9, 13): steep, with its midpoint just above 0.8.
    assert low < 0.01 and 0.3 < at < 0.6 and high > 0.99


def test_shingles_are_stable_distinct_and_cover_short_texts():
    texts = pl.Series(["The cat sat on the mat today", "the CAT sat on the mat today!", "hi"])
    first = shingle_hashes(texts, "word", 5)
    assert first.equals(shingle_hashes(texts, "word", 5))
    by_doc = first.group_by("doc", maintain_order=True).agg("h")
    sets = {d: set(h) for d, h in by_doc.iter_rows()}
    # Case and punctuation do not matter; 7 words give 3 shingles; a 1-word text gives one.
    assert sets[0] == sets[1] and len(sets[0]) == 3 and len(sets[2]) == 1
    assert first["h"].max() < 2**32
    chars = shingle_hashes(pl.Series(["abcdef", "abcdeg"]), "char", 3)
    assert chars.group_by("doc").len().sort("doc")["len"].to_list() == [4, 4]


def test_estimated_jaccard_tracks_true_jaccard():
    params = MinHashParams(num_perm=256, bands=16, rows=16)
    base = base_text(0)
    texts = [" ".join(base)] + [" ".join(substituted(base, k)) for k in (1, 4, 8, 13)]
    shingles = shingle_hashes(pl.Series(texts), "word", 5)
    sig = signatures(shingles, len(texts), params)
    pairs = pl.DataFrame({"left": [0, 0, 0, 0], "right": [1, 2, 3, 4]}).cast(pl.UInt32)
    true = true_jaccard(shingles, pairs).to_numpy()
    expected = [word_jaccard(texts[0], texts[i]) for i in range(1, 5)]
    assert np.allclose(true, expected)
    estimate = estimated_jaccard(sig, np.zeros(4, dtype=int), np.arange(1, 5))
    assert np.all(np.abs(estimate - true) < 0.1), (estimate, true)


def test_components_take_the_smallest_index_across_chains():
    pairs = pl.DataFrame({"left": [3, 1, 5], "right": [4, 3, 6]}).cast(pl.UInt32)
    assert components(8, pairs).tolist() == [0, 1, 2, 1, 1, 5, 5, 7]


def test_identical_band_buckets_give_star_or_all_pairs():
    bands = np.array([[1, 7], [1, 8], [1, 9], [2, 9]], dtype=np.uint64)
    active = np.array([True, True, True, False])
    star = candidate_pairs(bands, active, all_pairs=False)
    assert star.rows() == [(0, 1), (0, 2)]
    every = candidate_pairs(bands, active, all_pairs=True)
    assert every.rows() == [(0, 1), (0, 2), (1, 2)]


@pytest.mark.parametrize("verify", [False, True])
def test_planted_near_duplicates_are_clustered_by_jaccard_level(verify):
    texts, expected_drop, expected_rep = [], {}, {}
    for doc in range(30):
        base = base_text(doc)
        texts.append(" ".join(base))
        # 1 edit: J = 0.95, 2 edits: J = 0.90 (both above 0.8); 20 edits: J = 0.32 (below).
        for edits in (1, 2, 20):
            texts.append(" ".join(substituted(base, edits)))
            expected_drop[len(texts) - 1] = edits <= 2
            expected_rep[len(texts) - 1] = len(texts) - 1 - [1, 2, 20].index(edits) - 1
    assert word_jaccard(texts[0], texts[1]) == pytest.approx(191 / 201)
    assert word_jaccard(texts[0], texts[3]) == pytest.approx(96 / 296)
    rows = frame(texts)
    # 16 bands of 8 rows: candidate probability > 0.999 at J = 0.9, < 0.002 at J = 0.32.
    config = NearDedupConfig(threshold=0.8, bands=16, rows=8, verify=verify)
    found = find_near_duplicates(rows, config)
    dropped = {int(r): int(d) for r, d in found.select("row_id", "duplicate_of").iter_rows()}
    planted = {i for i, drop in expected_drop.items() if drop}
    assert set(dropped) == planted
    assert all(dropped[i] == expected_rep[i] for i in planted)
    similarity = dict(zip(found["row_id"].cast(pl.Int64), found["similarity"], strict=True))
    for i in planted:
        # The compared text is the whole row: instruction and response ("ok").
        true = word_jaccard(texts[expected_rep[i]] + " ok", texts[i] + " ok")
        assert similarity[i] == pytest.approx(true) if verify else abs(similarity[i] - true) < 0.1


def test_verify_removes_false_candidates_that_estimation_lets_through():
    # A wide band (few rows) makes J = 0.5 pairs candidates; verification rejects them.
    base = base_text(0)
    texts = pl.Series([" ".join(base), " ".join(substituted(base, 13))])
    params = MinHashParams(num_perm=64, bands=32, rows=2)
    assert near_duplicates(texts, params, 0.8, verify=False).height == 1
    assert near_duplicates(texts, params, 0.8, verify=True).height == 0


def test_decisions_carry_the_common_evidence_shape():
    base = base_text(1)
    rows = frame([" ".join(substituted(base, 1)), " ".join(base), "something else entirely"])
    result = run_steps(rows, [NearDedup(NearDedupConfig(threshold=0.8))], stage="filtered")
    kept, decisions = result.rows, result.decisions
    assert kept["row_id"].to_list() == ["0000", "0002"]
    decision = decisions.row(0, named=True)
    evidence = json.loads(decision["evidence"])
    bands, rows_per_band = optimal_bands(0.8, 128)
    assert decision["rule"] == "near_duplicate" and decision["row_id"] == "0001"
    assert evidence["method"] == "near_dedup"
    assert evidence["duplicate_of"] == evidence["cluster_id"] == "0000"
    assert evidence["similarity_kind"] == "estimated_jaccard"
    assert evidence["similarity"] == decision["score"] > 0.8
    assert evidence["cluster_size"] == 2
    assert evidence["params"]["bands"] == bands and evidence["params"]["rows"] == rows_per_band


def test_exact_runs_first_and_each_step_can_be_switched_off():
    base = " ".join(base_text(2))
    rows = conform(frame([base, base.upper() + "!", " ".join(substituted(base.split(), 1))]))
    # Made-up words: no language to identify, only the dedup steps decide.
    filters = FilterConfig(
        min_instruction_chars=1, language={"enabled": False}, not_a_task={"enabled": False}
    )
    decisions = filter_rows(rows, filters=filters).decisions
    evidence = [json.loads(e) for e in decisions["evidence"]]
    assert decisions["rule"].to_list() == ["exact_duplicate", "near_duplicate"]
    assert [e["method"] for e in evidence] == ["exact_dedup", "near_dedup"]
    assert evidence[0]["similarity_kind"] == "exact" and evidence[0]["duplicate_of"] == "0000"
    off = DedupConfig.model_validate({"exact": {"enabled": False}, "near": {"enabled": False}})
    result = filter_rows(rows, filters=filters, dedup=off)
    kept, decisions = result.rows, result.decisions
    assert kept.height == 3 and decisions.is_empty()


def test_recipe_dedup_section_is_validated():
    head = "name: x\nseed: {sources: [{path: a.jsonl}]}\nsynthesis: {methods: [{method: seed_passthrough}]}\n"
    recipe = parse_recipe(head + "dedup: {near: {threshold: 0.7, num_perm: 64}}\n", "r.yaml")
    assert minhash_params(recipe.dedup.near).bands * minhash_params(recipe.dedup.near).rows <= 64
    assert recipe.dedup.exact.enabled and recipe.dedup.near.backend == "local"
    for bad, message in [
        ("dedup: {near: {bands: 4}}\n", "give both bands and rows"),
        ("dedup: {near: {bands: 20, rows: 10}}\n", "more than num_perm"),
        ("dedup: {near: {threshold: 1.5}}\n", "dedup.near.threshold"),
        ("filters: {exact_dedup: true}\n", "moved to the top-level `dedup.exact.enabled`"),
    ]:
        with pytest.raises(RecipeError, match=re.escape(message)):
            parse_recipe(head + bad, "r.yaml")
