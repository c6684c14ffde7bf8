"""Wrong input never reaches a corpus: wrong types, ragged CSV lines and ambiguous aliases are
quarantined with file, line and what is wrong; the good records of the same file go on."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from assets.seed_readers import SeedReadResult, SeedSourceError, read_sources
from assets.seed_readers.files import read_file, read_file_batches
from assets.seed_readers.sources import FileSource, SeedConfig, glob_matches
from warehouse.seed_files import SeedFiles


def _evidence(result) -> dict[int | None, dict]:
    """Quarantine evidence by line."""
    found = {}
    for rule, evidence in result.quarantined.select("rule", "evidence").iter_rows():
        record = json.loads(evidence)
        found[record["line"]] = {"rule": rule, **record}
    return found


def test_fields_of_the_wrong_type_are_quarantined_with_field_and_type(tmp_path: Path):
    path = tmp_path / "typed.jsonl"
    records = [
        {"instruction": "Name a prime number.", "response": "7"},
        {"instruction": ["Name", "a", "planet"], "response": "Mars"},
        {"instruction": "Describe Mars.", "response": {"text": "A red planet."}},
        {"prompt": "What is 6 times 7?", "answer": 42},  # a number is a valid answer
        {"instruction": "Name a colour.", "response": "Blue.", "attributes": [1, 2]},
        {"instruction": "Name a month.", "response": True},
    ]
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    result = read_file(path, "auto", 10_000)

    assert sorted(result.rows["instruction"]) == ["Name a prime number.", "What is 6 times 7?"]
    answered = result.rows.filter(pl.col("instruction") == "What is 6 times 7?")
    assert answered.select("response", "answer").row(0) == ("42", "42")
    found = _evidence(result)
    assert sorted(found) == [2, 3, 5, 6]
    assert {line: (e["rule"], e["field"], e["found"]) for line, e in found.items()} == {
        2: ("wrong_type", "instruction", "ARRAY"),
        3: ("wrong_type", "response", "OBJECT"),
        5: ("wrong_type", "attributes", "ARRAY"),
        6: ("wrong_type", "response", "BOOLEAN"),
    }
    assert found[2]["file"] == str(path)
    assert found[3]["reason"] == "field 'response' is an object, expected a string"
    assert json.loads(found[2]["raw"])["instruction"] == ["Name", "a", "planet"]


def test_a_ragged_csv_line_is_quarantined_and_the_good_lines_go_on(tmp_path: Path):
    path = tmp_path / "pairs.csv"
    path.write_text(
        "instruction,response\n"
        "Name a river.,The Nile.\n"
        "Name a sea.,The Baltic.,an extra field\n"
        '"Write two lines\nof verse.","Roses are red,\nviolets are blue."\n'
        "Name a lake.\n"
        "Name a desert.,The Sahara.\n"
    )
    result = read_file(path, "auto", 10_000)

    assert result.rows["instruction"].to_list() == [
        "Name a river.",
        "Write two lines\nof verse.",
        "Name a desert.",
    ]
    # Lines in the file: the verse record spans lines 4-6 and is numbered by its first.
    assert result.rows["source_line"].to_list() == [2, 4, 8]
    found = _evidence(result)
    assert {line: (e["rule"], e["reason"]) for line, e in found.items()} == {
        3: ("ragged_line", "3 fields, the header has 2"),
        7: ("ragged_line", "1 fields, the header has 2"),
    }
    assert found[3]["raw"] == "Name a sea.,The Baltic.,an extra field"


def test_aliases_map_to_the_row_fields_or_are_refused(tmp_path: Path):
    (tmp_path / "qa.csv").write_text(
        "prompt,answer\nWhat is the capital of France?,Paris\nName a large ocean.,The Pacific\n"
    )
    (tmp_path / "alpaca.jsonl").write_text(
        json.dumps({"question": "Why is the sea salty?", "output": "Rivers carry salts."})
        + "\n"
        + json.dumps({"instruction": "Say hi.", "prompt": "Say hello.", "response": "Hi."})
        + "\n"
    )
    qa = read_file(tmp_path / "qa.csv", "auto", 10_000)
    assert qa.rows.select("instruction", "response", "answer").rows() == [
        ("What is the capital of France?", "Paris", "Paris"),
        ("Name a large ocean.", "The Pacific", "The Pacific"),
    ]
    assert set(qa.rows["kind"]) == {"instruction"}

    alpaca = read_file(tmp_path / "alpaca.jsonl", "auto", 10_000)
    assert alpaca.rows.select("instruction", "response").rows() == [
        ("Why is the sea salty?", "Rivers carry salts.")
    ]
    (refused,) = _evidence(alpaca).values()
    assert (refused["line"], refused["rule"]) == (2, "ambiguous_field")
    assert "instruction and prompt" in refused["reason"]


def test_fields_that_are_no_seed_field_are_named_in_a_warning(tmp_path: Path):
    (tmp_path / "extra.csv").write_text("instruction,response,rating\nName a tree.,Oak.,5\n")
    result = read_file(tmp_path / "extra.csv", "auto", 10_000)
    assert result.rows.height == 1
    assert result.warnings == [
        f"{tmp_path / 'extra.csv'}: ignored fields that are not seed fields: rating"
    ]


def test_a_parquet_column_of_the_wrong_type_quarantines_its_rows(tmp_path: Path):
    pl.DataFrame(
        {"instruction": ["Name a fruit.", "Name a vegetable."], "response": [["apple"], None]}
    ).write_parquet(tmp_path / "listed.parquet")
    result = read_file(tmp_path / "listed.parquet", "auto", 10_000)
    assert result.rows["instruction"].to_list() == ["Name a vegetable."]
    (bad,) = _evidence(result).values()
    assert (bad["line"], bad["rule"], bad["field"], bad["found"]) == (
        1,
        "wrong_type",
        "response",
        "ARRAY",
    )


def test_a_glob_that_matches_nothing_is_quiet_unless_required_or_it_matched_before(
    tmp_path: Path,
):
    (tmp_path / "seeds.jsonl").write_text(
        json.dumps({"instruction": "Name a bird.", "response": "A robin."}) + "\n"
    )
    seeds = FileSource(path=str(tmp_path / "seeds.jsonl"))
    inbox = FileSource(path="home:inbox/*.csv")
    # A new home: the drop folder is empty and nothing warns; the source is still counted.
    result = read_sources(SeedConfig(sources=[seeds, inbox]), tmp_path)
    assert result.rows.height == 1
    assert result.warnings == []
    assert result.source_files == {str(tmp_path / "seeds.jsonl"): 1, "home:inbox/*.csv": 0}

    # The current seed version has rows from a file the glob matched: its going is a warning.
    previous = SeedFiles(3, ("bundled:demo_seeds.jsonl", "home:inbox/added.csv"))
    result = read_sources(SeedConfig(sources=[seeds, inbox]), tmp_path, previous)
    assert result.warnings == [
        f"seed source 'home:inbox/*.csv': no file matches {tmp_path}/inbox/*.csv; nothing "
        "read from it, though seed v3 has rows from 1 file it matched (home:inbox/added.csv), "
        "which the new version leaves out"
    ]
    elsewhere = SeedFiles(3, ("home:inbox/deeper/added.csv", "home:inbox/added.jsonl"))
    assert read_sources(SeedConfig(sources=[seeds, inbox]), tmp_path, elsewhere).warnings == []
    # `required: false`: never a warning.
    optional_glob = FileSource(path="home:inbox/*.csv", required=False)
    assert (
        read_sources(SeedConfig(sources=[seeds, optional_glob]), tmp_path, previous).warnings == []
    )

    required = FileSource(path=str(tmp_path / "inbox/*.csv"), required=True)
    with pytest.raises(SeedSourceError, match=r"no file matches .*inbox/\*\.csv"):
        read_sources(SeedConfig(sources=[seeds, required]), tmp_path)

    optional = FileSource(path=str(tmp_path / "missing.jsonl"), required=False)
    result = read_sources(SeedConfig(sources=[seeds, optional]), tmp_path)
    assert result.warnings and "no such file" in result.warnings[0]
    with pytest.raises(SeedSourceError, match="no such file"):
        read_sources(
            SeedConfig(sources=[FileSource(path=str(tmp_path / "missing.jsonl"))]), tmp_path
        )


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("/h/inbox/*.jsonl", "/h/inbox/a.jsonl", True),
        ("/h/inbox/*.jsonl", "/h/inbox/sub/a.jsonl", False),
        ("/h/inbox/*.jsonl", "/h/inbox/a.csv", False),
        ("/h/inbox/**/*.jsonl", "/h/inbox/a.jsonl", True),
        ("/h/inbox/**/*.jsonl", "/h/inbox/x/y/a.jsonl", True),
        ("/h/in?ox/[ab].csv", "/h/inbox/b.csv", True),
        ("/h/in?ox/[ab].csv", "/h/inbox/c.csv", False),
    ],
)
def test_glob_matches_as_glob_lists(pattern: str, path: str, matches: bool):
    assert glob_matches(pattern, path) is matches


@pytest.mark.parametrize("batch_rows", [1, 2])
def test_a_file_read_in_batches_gives_what_it_gives_read_whole(tmp_path: Path, batch_rows: int):
    lines = [
        json.dumps({"instruction": "Name a prime number.", "response": "7", "rating": 5}),
        "{not json",
        "",
        json.dumps({"instruction": ["Name", "a", "planet"], "response": "Mars"}),
        json.dumps({"prompt": "What is 6 times 7?", "answer": 42, "score": 1}),
        json.dumps({"instruction": "Name a colour.", "response": "Blue."}),
    ]
    (tmp_path / "mixed.jsonl").write_text("\n".join(lines))  # no final line end
    pl.DataFrame(
        {
            "instruction": ["Name a fruit.", "Name a vegetable.", "Name a nut."],
            "response": [["apple"], None, ["pecan"]],
            "rating": [1, 2, 3],
        }
    ).write_parquet(tmp_path / "listed.parquet", row_group_size=1)
    for name in ("mixed.jsonl", "listed.parquet"):
        path = tmp_path / name
        whole = read_file(path, "auto", 10_000)
        batches = list(read_file_batches(path, "auto", 10_000, batch_rows=batch_rows))
        assert len(batches) > 2  # several batches, then the file's warnings
        streamed = SeedReadResult.combined(batches)
        assert streamed.rows.equals(whole.rows), name
        assert streamed.quarantined.sort("row_id").equals(whole.quarantined.sort("row_id"))
        assert streamed.warnings == whole.warnings and whole.warnings
        assert streamed.generators == whole.generators and len(whole.generators) == 1
    assert whole.quarantined.height == 2
