"""Attribute samplers: draws match their configured shares (chi-squared over 10,000 draws),
are fixed by seed and key whatever the batching, never break a conditional, and files with
bad records fail naming the file and line."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import polars as pl
import pytest
from pydantic import TypeAdapter, ValidationError
from scipy.stats import chisquare

from assets.paths import bundled_path
from assets.synthesis.samplers.config import SamplerConfig, check_samplers
from assets.synthesis.samplers.draw import build_samplers, uniform
from assets.synthesis.samplers.records import SamplerFileError, read_personas, read_taxonomy

DRAWS = 10_000
CONFIGS = {
    "difficulty": {"type": "category", "values": {"easy": 5, "medium": 3, "hard": 2}},
    "subject": {
        "type": "subcategory",
        "of": "difficulty",
        "values": {
            "easy": ["counting", "spelling"],
            "medium": {"fractions": 1, "essays": 3},
            "hard": ["proofs", "optimisation", "translation"],
        },
    },
    "steps": {"type": "range", "low": 1, "high": 6},
    "temperature": {"type": "range", "low": 0.0, "high": 1.0, "numbers": "float"},
    "persona": {"type": "persona", "path": "bundled:personas.jsonl"},
    "topic": {"type": "taxonomy", "path": "bundled:topics.yaml"},
    "task": {"type": "seed_field", "field": "task_type"},
}


def _configs(configs: dict = CONFIGS) -> dict:
    adapter = TypeAdapter(SamplerConfig)
    return {name: adapter.validate_python(config) for name, config in configs.items()}


def _samplers(tmp_path: Path, names: list[str], seed: int = 11):
    return build_samplers(_configs(), names, tmp_path, seed)


def _p_value(observed: Counter, expected_shares: dict[str, float]) -> float:
    values = sorted(expected_shares)
    assert set(observed) <= set(values)
    counts = [observed.get(v, 0) for v in values]
    return chisquare(counts, [expected_shares[v] * sum(counts) for v in values]).pvalue


@pytest.mark.parametrize("name", ["difficulty", "subject", "persona", "topic"])
def test_categorical_draws_fit_their_targets(tmp_path, name):
    samplers = _samplers(tmp_path, [name])
    drawn = Counter(samplers.draw(str(key))[name] for key in range(DRAWS))
    targets = samplers.targets()[name]
    assert targets is not None and sum(targets.values()) == pytest.approx(1.0)
    assert _p_value(drawn, targets) >= 0.05


def test_weighted_and_conditional_targets_are_what_the_recipe_says(tmp_path):
    targets = _samplers(tmp_path, ["subject"]).targets()
    assert targets["difficulty"] == pytest.approx({"easy": 0.5, "medium": 0.3, "hard": 0.2})
    assert targets["subject"]["essays"] == pytest.approx(0.3 * 0.75)
    assert targets["subject"]["proofs"] == pytest.approx(0.2 / 3)
    assert len(targets["subject"]) == 7


def test_bundled_files_are_big_enough_for_the_demo():
    assert len(set(read_personas(bundled_path("personas.jsonl"), "persona"))) >= 100
    assert len(read_taxonomy(bundled_path("topics.yaml"))) >= 30


def test_integer_ranges_cover_both_ends_uniformly(tmp_path):
    samplers = _samplers(tmp_path, ["steps"])
    drawn = Counter(str(samplers.draw(str(key))["steps"]) for key in range(DRAWS))
    assert _p_value(drawn, {str(v): 1 / 6 for v in range(1, 7)}) >= 0.05


def test_float_ranges_are_uniform_over_ten_bins(tmp_path):
    samplers = _samplers(tmp_path, ["temperature"])
    values = [samplers.draw(str(key))["temperature"] for key in range(DRAWS)]
    assert all(isinstance(v, float) and 0.0 <= v < 1.0 for v in values)
    bins = Counter(str(int(v * 10)) for v in values)
    assert _p_value(bins, {str(b): 0.1 for b in range(10)}) >= 0.05


def test_float_ranges_round_to_their_decimals(tmp_path):
    configs = _configs(
        {"t": {"type": "range", "low": 0.5, "high": 1.5, "numbers": "float", "decimals": 1}}
    )
    samplers = build_samplers(configs, ["t"], tmp_path, 0)
    assert {samplers.draw(str(k))["t"] for k in range(500)} <= {
        round(0.5 + i / 10, 1) for i in range(11)
    }


def test_subcategories_never_leave_their_parent(tmp_path):
    samplers = _samplers(tmp_path, ["subject"])
    allowed = {parent: set(values) for parent, values in CONFIGS["subject"]["values"].items()}
    pairs = [samplers.draw(str(key)) for key in range(DRAWS)]
    assert all(p["subject"] in allowed[p["difficulty"]] for p in pairs)
    assert {p["difficulty"] for p in pairs} == set(allowed)


def test_seed_fields_come_from_the_seed_row(tmp_path):
    samplers = _samplers(tmp_path, ["task"])
    assert samplers.draw("0", {"task_type": "open_qa"}) == {"task": "open_qa"}
    nested = build_samplers(
        _configs({"lang": {"type": "seed_field", "field": "attributes.lang"}}),
        ["lang"],
        tmp_path,
        0,
    )
    assert nested.draw("0", {"attributes": json.dumps({"lang": "fr"})}) == {"lang": "fr"}
    with pytest.raises(ValueError, match="needs a seed row"):
        samplers.draw("0")


def test_draws_are_fixed_by_seed_and_key_whatever_the_batching(tmp_path):
    names = ["subject", "steps", "persona", "topic"]
    keys = [f"self_instruct:{i}" for i in range(2_000)]
    samplers = _samplers(tmp_path, names)
    whole = [samplers.draw(k) for k in keys]
    for batch_rows in (64, 500, 1_999):
        # A fresh set per batch, as a streamed run builds: no state carries between batches.
        batched = []
        for start in range(0, len(keys), batch_rows):
            samplers = _samplers(tmp_path, names)
            batched.extend(samplers.draw(k) for k in keys[start : start + batch_rows])
        assert batched == whole
    reseeded = _samplers(tmp_path, names, seed=12)
    other_seed = [reseeded.draw(k) for k in keys]
    assert sum(a != b for a, b in zip(whole, other_seed, strict=True)) > 1_900


def test_uniform_is_the_documented_hash():
    import hashlib

    digest = hashlib.sha256(b"7|topic|row-1").digest()
    assert uniform(7, "topic", "row-1") == (int.from_bytes(digest[:8], "big") >> 11) / 2**53


def test_persona_records_with_problems_name_file_and_line(tmp_path):
    jsonl = tmp_path / "p.jsonl"
    jsonl.write_text('{"persona": "a baker"}\n\n{"persona": "a pilot"\n')
    with pytest.raises(SamplerFileError, match=rf"^{jsonl}:3: not valid JSON"):
        read_personas(jsonl, "persona")
    jsonl.write_text('{"persona": "a baker"}\n{"name": "x"}\n')
    with pytest.raises(SamplerFileError, match=rf"^{jsonl}:2: record has no `persona` field"):
        read_personas(jsonl, "persona")
    jsonl.write_text('{"persona": "a baker"}\n["a pilot"]\n')
    with pytest.raises(SamplerFileError, match=rf"^{jsonl}:2: expected a JSON object"):
        read_personas(jsonl, "persona")

    csv = tmp_path / "p.csv"
    csv.write_text('persona,age\n"a baker\nwho sings",40\n"  ",30\n')
    with pytest.raises(SamplerFileError, match=rf"^{csv}:4: `persona` must be a non-empty"):
        read_personas(csv, "persona")
    csv.write_text("name\nx\n")
    with pytest.raises(SamplerFileError, match=rf"^{csv}:1: header has no `persona` column"):
        read_personas(csv, "persona")

    parquet = tmp_path / "p.parquet"
    pl.DataFrame({"persona": ["a baker", None]}).write_parquet(parquet)
    with pytest.raises(SamplerFileError, match=rf"^{parquet}: row 2: `persona`"):
        read_personas(parquet, "persona")
    pl.DataFrame({"persona": ["a baker", "a pilot"]}).write_parquet(parquet)
    assert read_personas(parquet, "persona") == ["a baker", "a pilot"]


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        ("Science:\n  Physics: [Optics]\n  Biology: []\n", 3, "empty list of topics"),
        ("Science:\n  Physics: [Optics, Optics]\n", 2, "topics repeat"),
        ("Science:\n  Physics: 12\n", 2, "expected a mapping or a list"),
        ("Science:\n  Physics: [Optics\n", 3, "not valid YAML"),
        ("- Science\n", 1, "a taxonomy is a mapping of topics"),
    ],
)
def test_taxonomies_with_problems_name_file_and_line(tmp_path, text, line, problem):
    path = tmp_path / "topics.yaml"
    path.write_text(text)
    with pytest.raises(SamplerFileError, match=rf"^{path}:{line}: {problem}"):
        read_taxonomy(path)


def test_taxonomy_paths_include_keys_without_children(tmp_path):
    path = tmp_path / "topics.yaml"
    path.write_text("Science:\n  Physics: [Optics]\n  Astronomy:\nArt: [Film]\n")
    assert read_taxonomy(path) == [
        ["Science", "Physics", "Optics"],
        ["Science", "Astronomy"],
        ["Art", "Film"],
    ]


@pytest.mark.parametrize(
    ("configs", "problem"),
    [
        ({"s": {"type": "subcategory", "of": "nope", "values": {"a": ["x"]}}}, "names no sampler"),
        (
            {
                "c": {"type": "category", "values": ["a", "b"]},
                "s": {"type": "subcategory", "of": "c", "values": {"a": ["x"]}},
            },
            r"no values for \['b'\]",
        ),
        (
            {
                "s": {"type": "subcategory", "of": "t", "values": {"a": ["x"]}},
                "t": {"type": "subcategory", "of": "s", "values": {"x": ["a"]}},
            },
            "conditional on itself",
        ),
    ],
)
def test_conditional_samplers_are_checked(configs, problem):
    with pytest.raises(ValueError, match=problem):
        check_samplers(_configs(configs))


@pytest.mark.parametrize(
    ("config", "problem"),
    [
        ({"type": "category", "values": {"a": 0}}, "positive number"),
        ({"type": "category", "values": ["a", "a"]}, "values repeat"),
        ({"type": "range", "low": 2, "high": 1}, "above high"),
        ({"type": "range", "low": 0.5, "high": 2}, "whole-number"),
        ({"type": "persona"}, "either `personas`"),
        ({"type": "dice"}, "does not match any of the expected tags"),
    ],
)
def test_sampler_configs_are_validated(config, problem):
    with pytest.raises(ValidationError, match=problem):
        TypeAdapter(SamplerConfig).validate_python(config)
