"""Bad seed files: every bad record quarantined with file, line and reason; good rows go on."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import dagster as dg
import polars as pl
import pytest
import yaml

from assets.paths import bundled_path
from orchestration.definitions import ALL_ASSETS, CORPUS_CHECKS
from orchestration.home import prepare_home
from orchestration.resources import build_resources
from tests.conftest import materialize
from warehouse import Warehouse
from warehouse.corpora import read_version

GOOD = {
    "task_type": "open_qa",
    "instruction": "Name the largest planet in the solar system.",
    "response": "Jupiter.",
}


def _line(**fields: object) -> bytes:
    return json.dumps({**GOOD, **fields}).encode()


@pytest.fixture
def bad_sources(home):
    folder = home / "incoming"
    folder.mkdir()
    (folder / "mixed.jsonl").write_bytes(
        b"\n".join(
            [
                _line(),  # 1 good
                b'{"instruction": "unterminated',  # 2 malformed JSON
                b'{"instruction": "caf\xe9 au lait", "response": "x"}',  # 3 invalid UTF-8
                _line(instruction="   "),  # 4 empty text
                b'{"response": "an answer with no question"}',  # 5 missing instruction
                b"[1, 2, 3]",  # 6 JSON but not an object
                _line(instruction="Explain tides. " * 400),  # 7 oversized
                b"",  # blank line: ignored
                _line(
                    instruction="What is the boiling point of water at sea level?",
                    response="100 degrees Celsius.",
                ),  # 9 good
                _line(),  # 10 the same record as line 1: merged, not a second row
            ]
        )
        + b"\n"
    )
    (folder / "empty.jsonl").write_bytes(b"")
    pl.DataFrame(
        {"question": ["What is 2 + 2?", "Name a prime number."], "answer": ["4", "7"]}
    ).write_csv(folder / "qa.csv")
    pl.DataFrame({"title": ["no usable column"], "body": ["x"]}).write_csv(
        folder / "wrong_columns.csv"
    )
    pl.DataFrame(
        {
            "prompt": ["Summarize the water cycle."],
            "completion": ["Water evaporates, condenses and falls."],
        }
    ).write_parquet(folder / "extra.parquet")
    (folder / "broken.parquet").write_bytes(b"PAR1 this is not parquet")
    return folder


def test_bad_rows_are_quarantined_and_good_rows_processed(home, write_recipe, bad_sources):
    empty_glob = str(bad_sources / "later" / "*.jsonl")
    recipe = write_recipe(
        seed={
            "sources": [{"path": str(bad_sources / "*")}, {"path": empty_glob}],
            "max_text_chars": 2000,
        },
        quality={"min_rows": {"seed": 1}},
    )
    result = materialize(home, recipe, selection="seed")
    assert result.success
    meta = result.get_asset_materialization_events()[0].materialization.metadata
    # A glob that matches nothing (and never did) is no warning; the metadata counts it.
    assert meta["warnings"].value == []
    assert meta["source_files"].value == {str(bad_sources / "*"): 6, empty_glob: 0}
    assert meta["quarantined"].value == 9
    assert meta["dagster/row_count"].value == 5

    _, rows = read_version(Warehouse(home), "seed")
    assert sorted(rows["instruction"]) == sorted(
        [
            GOOD["instruction"],
            "What is the boiling point of water at sea level?",
            "What is 2 + 2?",
            "Name a prime number.",
            "Summarize the water cycle.",
        ]
    )
    with Warehouse(home).reader() as con:
        decisions = con.sql(
            "SELECT rule, action, evidence FROM decisions WHERE stage = 'seed' AND action = 'quarantine'"
        ).pl()
        merged = con.sql("SELECT rule, evidence FROM decisions WHERE action = 'merge'").pl()
    found = {
        (json.loads(e)["file"].rsplit("/", 1)[-1], json.loads(e)["line"], rule)
        for rule, e in decisions.select("rule", "evidence").iter_rows()
    }
    assert found == {
        ("mixed.jsonl", 2, "malformed_json"),
        ("mixed.jsonl", 3, "invalid_utf8"),
        ("mixed.jsonl", 4, "empty_text"),
        ("mixed.jsonl", 5, "missing_field"),
        ("mixed.jsonl", 6, "malformed_json"),
        ("mixed.jsonl", 7, "oversized_text"),
        ("empty.jsonl", None, "empty_file"),
        ("wrong_columns.csv", None, "missing_column"),
        ("broken.parquet", None, "unreadable_file"),
    }
    assert merged["rule"].to_list() == ["duplicate_seed"]
    merge_evidence = json.loads(merged["evidence"].item())
    assert (merge_evidence["source_line"], merge_evidence["kept_source_line"]) == (10, 1)
    reasons = {json.loads(e)["reason"] for e in decisions["evidence"]}
    assert any("not valid UTF-8" in r for r in reasons)
    assert any("no instruction or text column" in r and "title" in r for r in reasons)


def test_missing_required_file_is_a_clear_failure(home, write_recipe):
    recipe = write_recipe(seed={"sources": [{"path": str(home / "nope.jsonl")}]})
    result = materialize(home, recipe, selection="seed")
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    assert "no such file" in failure.step_failure_data.user_failure_data.description
    assert "nope.jsonl" in failure.step_failure_data.user_failure_data.description


def test_all_bad_input_fails_with_the_quarantine_count(home, write_recipe):
    (home / "bad.jsonl").write_bytes(b"{oops\n")
    recipe = write_recipe(seed={"sources": [{"path": str(home / "bad.jsonl")}]})
    result = materialize(home, recipe, selection="seed")
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    assert "1 records quarantined" in failure.step_failure_data.user_failure_data.description


def test_hub_dataset_offline_fails_clearly(home, write_recipe):
    recipe = write_recipe(
        seed={"sources": [{"hf_dataset": "example-org/instructions", "split": "train"}]}
    )
    result = materialize(home, recipe, selection="seed")
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    message = failure.step_failure_data.user_failure_data.description
    assert "hf_dataset example-org/instructions: cannot reach the Hugging Face Hub" in message
    assert "file source" in message


def test_hub_dataset_is_read_from_the_local_hf_cache_when_offline(home, write_recipe):
    # The layout huggingface-hub writes: refs/main names the snapshot holding the files.
    repo = home / "cache" / "hub" / "datasets--example-org--instructions"
    snapshot = repo / "snapshots" / "0123abcd"
    (snapshot / "data").mkdir(parents=True)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("0123abcd")
    pl.DataFrame(
        {
            "instruction": ["Name a mammal that can fly.", "Name a bird that cannot fly."],
            "output": ["A bat.", "A penguin."],
        }
    ).write_parquet(snapshot / "data" / "train-00000-of-00001.parquet")
    pl.DataFrame({"instruction": ["held-out question"], "output": ["x"]}).write_parquet(
        snapshot / "data" / "test-00000-of-00001.parquet"
    )
    recipe = write_recipe(
        seed={"sources": [{"hf_dataset": "example-org/instructions", "split": "train"}]},
        quality={"min_rows": {"seed": 2}},
    )
    result = materialize(home, recipe, selection="seed")
    assert result.success
    _, rows = read_version(Warehouse(home), "seed")
    assert sorted(rows["response"]) == ["A bat.", "A penguin."]
    assert set(rows["source"]) == {
        "hf://datasets/example-org/instructions@0123abcd/train-00000-of-00001.parquet"
    }


def _warnings(home: Path, recipe: Path) -> tuple[list[str], dict]:
    """Materialize the seed with its checks; the run's warnings (what `synthfoundry run`
    prints) and the version's metadata."""
    with dg.DagsterInstance.ephemeral() as instance:
        result = dg.materialize(
            [*ALL_ASSETS, *CORPUS_CHECKS],
            resources=build_resources(home=str(home), recipe=str(recipe)),
            selection="seed",
            instance=instance,
            raise_on_error=False,
        )
        assert result.success
        logs = instance.all_logs(result.run_id)
    meta = result.get_asset_materialization_events()[0].materialization.metadata
    return [r.user_message for r in logs if r.level >= logging.WARNING], meta


def test_a_new_home_reads_the_demo_seeds_without_a_warning(tmp_path, monkeypatch):
    home = prepare_home(tmp_path / "new-home")
    monkeypatch.setenv("SYNTHFOUNDRY_HOME", str(home))
    assert [p.name for p in home.iterdir()] == ["inbox"] and not any((home / "inbox").iterdir())
    demo = yaml.safe_load(bundled_path("demo_recipe.yaml").read_text(encoding="utf-8"))
    # The demo's seed step; the embedding plot in its metadata would load a model for nothing.
    demo["reports"] = {"embedding_in_metadata": False}
    recipe = tmp_path / "demo.yaml"
    recipe.write_text(yaml.safe_dump(demo), encoding="utf-8")

    warnings, meta = _warnings(home, recipe)
    assert warnings == []
    inbox = ["home:inbox/*.jsonl", "home:inbox/*.parquet", "home:inbox/*.csv"]
    assert {source: meta["source_files"].value[source] for source in inbox} == dict.fromkeys(
        inbox, 0
    )

    # A file dropped into the inbox is read; once it is gone, its rows leaving is a warning.
    (home / "inbox" / "more.jsonl").write_text(json.dumps(GOOD) + "\n", encoding="utf-8")
    warnings, meta = _warnings(home, recipe)
    assert warnings == [] and meta["source_files"].value["home:inbox/*.jsonl"] == 1
    (home / "inbox" / "more.jsonl").unlink()
    warnings, _ = _warnings(home, recipe)
    assert len(warnings) == 1
    assert "'home:inbox/*.jsonl': no file matches" in warnings[0]
    assert "seed v2 has rows from 1 file it matched (home:inbox/more.jsonl)" in warnings[0]
