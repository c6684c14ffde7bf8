"""Publishing (Hub bundle: shards, card, Croissant), the HTML report and the quality
metadata every corpus materialization carries, on one real flow run."""

from __future__ import annotations

import hashlib
import json
import socket
import time
from pathlib import Path

import polars as pl
import pytest
import yaml

from assets.export.dataset_card import SIZE_BUCKETS
from assets.export.hub import PublishError, publish
from assets.recipe.loader import load_recipe
from orchestration.cli import main
from tests.conftest import SharedRun, copy_home, home_env
from warehouse import Warehouse

HUB_TASK_CATEGORIES = {
    "text-generation",
    "question-answering",
    "summarization",
    "translation",
    "text-classification",
}
CARD_KEYS = {
    "license",
    "language",
    "annotations_creators",
    "source_datasets",
    "size_categories",
    "task_categories",
    "pretty_name",
    "configs",
}


@pytest.fixture(scope="module")
def flow(base_flow: SharedRun, tmp_path_factory):
    """The session's base flow run (conftest `base_flow`: apache-2.0, 3 sample rows, answers
    over 400 characters dropped), copied: publishing records itself in the warehouse."""
    home = copy_home(base_flow.home, tmp_path_factory.mktemp("publish"))
    with home_env(home):
        yield {"home": home, "recipe": home / base_flow.recipe.name, "result": base_flow.result}


def _card_header(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\n")
    return yaml.safe_load(text.split("---\n", 2)[1])


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def dry_run(flow, tmp_path_factory):
    out = tmp_path_factory.mktemp("bundle") / "out"
    code = main(
        ["--home", str(flow["home"]), "publish", "--out", str(out), "--recipe", str(flow["recipe"])]
    )
    assert code == 0
    return out


def test_dry_run_writes_exactly_the_files_a_push_uploads(flow, dry_run):
    written = sorted(str(p.relative_to(dry_run)) for p in dry_run.rglob("*") if p.is_file())
    assert written == ["README.md", "croissant.json", "data/train-00000-of-00001.parquet"]
    with Warehouse(flow["home"]).reader() as con:
        manifest, path = con.execute(
            "SELECT manifest, path FROM publications ORDER BY created_at DESC LIMIT 1"
        ).fetchone()
    manifest = json.loads(manifest)
    assert manifest["mode"] == "dry-run" and path == str(dry_run)
    assert sorted(manifest["files"]) == written
    assert manifest["files"] == {name: _sha256(dry_run / name) for name in written}


def test_shards_split_by_max_rows_and_keep_every_row(flow, tmp_path):
    wh = Warehouse(flow["home"])
    recipe = load_recipe(str(flow["recipe"]), wh.home)
    recipe = recipe.model_copy(
        update={"publish": recipe.publish.model_copy(update={"max_rows_per_shard": 50})}
    )
    bundle, _ = publish(wh, recipe, folder=tmp_path / "sharded")
    shards = sorted(f for f in bundle.files if f.startswith("data/"))
    expected = -(-bundle.rows // 50)
    assert shards == [f"data/train-{i:05d}-of-{expected:05d}.parquet" for i in range(expected)]
    frames = [pl.read_parquet(tmp_path / "sharded" / s) for s in shards]
    assert all(f.height <= 50 for f in frames)
    assert sum(f.height for f in frames) == bundle.rows
    # A folder with foreign files is refused rather than mixed into a publication.
    (tmp_path / "foreign").mkdir()
    (tmp_path / "foreign" / "notes.txt").write_text("mine")
    with pytest.raises(PublishError, match="notes.txt"):
        publish(wh, recipe, folder=tmp_path / "foreign")


def test_card_header_has_valid_hub_keys(dry_run):
    header = _card_header(dry_run / "README.md")
    assert set(header) >= CARD_KEYS
    rows = pl.read_parquet(dry_run / "data").height
    assert header["license"] == "apache-2.0"
    assert header["language"] == ["en"]
    assert header["annotations_creators"] == ["machine-generated"]
    assert header["source_datasets"] == ["original"]
    bucket = next(label for bound, label in SIZE_BUCKETS if rows < bound)
    assert header["size_categories"] == [bucket]
    assert set(header["task_categories"]) <= HUB_TASK_CATEGORIES
    assert "question-answering" in header["task_categories"]  # open_qa seeds
    assert header["configs"][0]["data_files"][0]["path"] == "data/train-*.parquet"
    body = (dry_run / "README.md").read_text(encoding="utf-8")
    for section in ("## Methods", "## Generators", "## Filters and their drop counts"):
        assert section in body
    assert "programmatic_math" in body and "response_too_long" in body
    assert "/work/" not in body and str(Path.home()) + "/" not in body


def test_croissant_is_json_ld_with_files_fields_and_provenance(dry_run):
    from pyld import jsonld

    doc = json.loads((dry_run / "croissant.json").read_text(encoding="utf-8"))
    assert doc["@type"] == "sc:Dataset"
    assert doc["conformsTo"] == "http://mlcommons.org/croissant/1.0"
    for key in ("name", "description", "license", "url", "version", "distribution", "recordSet"):
        assert doc[key], key
    expanded = jsonld.expand(doc)
    assert len(expanded) == 1
    node = expanded[0]
    assert "http://www.w3.org/ns/prov#wasDerivedFrom" in node
    assert "http://www.w3.org/ns/prov#wasGeneratedBy" in node
    assert "http://mlcommons.org/croissant/recordSet" in node

    files = [d for d in doc["distribution"] if d["@type"] == "cr:FileObject"]
    assert files and all(d["encodingFormat"] == "application/x-parquet" for d in files)
    for entry in files:
        assert entry["sha256"] == _sha256(dry_run / entry["contentUrl"])
    file_set = next(d for d in doc["distribution"] if d["@type"] == "cr:FileSet")
    assert {c["@id"] for c in file_set["containedIn"]} == {f["@id"] for f in files}

    rows = pl.read_parquet(dry_run / "data")
    fields = {f["name"]: f for f in doc["recordSet"][0]["field"]}
    assert set(fields) == set(rows.columns)
    assert fields["seed_ids"]["repeated"] is True
    assert fields["source_line"]["dataType"] == "sc:Integer"
    generated_by = {a["name"] for a in doc["prov:wasGeneratedBy"]}
    assert generated_by == set(rows["generator_id"].unique())
    derived = {e["name"] for e in doc["prov:wasDerivedFrom"]}
    assert derived == {"demo_seeds.jsonl", "math_templates.jsonl"}


def test_every_published_row_resolves_its_lineage(flow, dry_run):
    rows = pl.read_parquet(dry_run / "data")
    assert rows.height > 0
    with Warehouse(flow["home"]).reader() as con:
        con.register("published_rows", rows.to_arrow())
        unresolved = con.sql(
            """
            SELECT p.row_id,
                   p.row_id NOT IN (SELECT row_id FROM decontaminated) AS not_in_version,
                   p.generator_id NOT IN (SELECT generator_id FROM generators) AS no_generator,
                   len(p.seed_ids) = 0 OR EXISTS (
                       SELECT 1 FROM unnest(p.seed_ids) AS s(id)
                       WHERE s.id NOT IN (SELECT row_id FROM corpus_seed)
                   ) AS missing_seed
            FROM published_rows AS p
            """
        ).pl()
    bad = unresolved.filter(
        pl.col("not_in_version") | pl.col("no_generator") | pl.col("missing_seed")
    )
    assert bad.is_empty(), bad.head()


def test_push_without_token_names_hf_token(flow, monkeypatch, capsys, tmp_path):
    monkeypatch.delenv("HF_TOKEN", raising=False)
    code = main(["--home", str(flow["home"]), "publish", "--push", "--out", str(tmp_path / "p")])
    assert code == 2
    assert "HF_TOKEN" in capsys.readouterr().err


def test_push_to_an_unreachable_hub_fails_fast_and_clearly(flow, monkeypatch, capsys, tmp_path):
    with socket.socket() as sock:  # a loopback port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    token = "hf_secret_value_for_test"
    monkeypatch.setenv("HF_TOKEN", token)
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{port}")
    started = time.monotonic()
    code = main(["--home", str(flow["home"]), "publish", "--push", "--out", str(tmp_path / "p")])
    elapsed = time.monotonic() - started
    captured = capsys.readouterr()
    out = captured.out + captured.err
    assert code == 2
    assert f"127.0.0.1:{port}" in out and "failed" in out
    assert token not in out
    assert elapsed < 60


def test_materialization_metadata_reports_funnel_samples_plots_diversity(flow):
    events = {
        e.materialization.asset_key.path[0]: e.materialization.metadata
        for e in flow["result"].get_asset_materialization_events()
    }
    filtered = events["filtered"]
    funnel = filtered["drop_funnel"].value
    assert funnel.startswith("| version | rows in |") and "filtered v1" in funnel
    dropped = filtered["dropped"].value
    assert dropped > 0, "max_response_chars 400 drops the long coding answers"
    assert f"response_too_long (drop): {dropped}" in funnel
    sample = filtered["dropped_sample"].value
    assert sample.count("\n") >= 2 and "row_id" in sample
    for line in filtered["kept_sample"].value.splitlines()[2:]:
        # Every row has as many cells as the header: pipes in text are escaped.
        assert line.replace("\\|", "").count("|") == filtered["kept_sample"].value.splitlines()[
            0
        ].count("|")
    png = Path(filtered["length_distribution_png"].value)
    assert png.read_bytes().startswith(b"\x89PNG") and png.parent.name == "v1"
    assert filtered["length_distribution_plot"].value.startswith("![")
    scores = Path(filtered["score_distribution_png"].value)
    assert scores.read_bytes().startswith(b"\x89PNG")
    for corpus in ("synthesized", "filtered", "decontaminated"):
        meta = events[corpus]
        assert 0 < meta["distinct_1"].value <= meta["distinct_2"].value <= 1
        assert 0 < meta["task_type_normalized_entropy"].value <= 1
        assert 0 < meta["embedding_mean_pairwise_cosine_distance"].value < 2
    assert "distinct_1" not in events["seed"]


def test_report_is_one_self_contained_html_file(flow, tmp_path, capsys):
    out = tmp_path / "report.html"
    assert main(["--home", str(flow["home"]), "report", "--out", str(out)]) == 0
    html = out.read_text(encoding="utf-8")
    assert "http://" not in html and "https://" not in html
    assert html.count('src="data:image/png;base64,') >= 2
    for part in ("seed", "synthesized", "filtered", "decontaminated", "Generator yield"):
        assert part in html
    assert "distinct-2" in html and "mean pairwise cosine distance" in html
    assert main(["--home", str(flow["home"]), "report", "7"]) == 2
    assert "decontaminated v7 does not exist (known versions: 1)" in capsys.readouterr().err
