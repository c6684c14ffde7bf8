"""Every corpus column is described in one line: in each corpus asset's column schema (what
the web UI's catalog shows), identical to the README's column table."""

from __future__ import annotations

import re

import dagster as dg
import polars as pl

from assets.staging import column_schema
from orchestration.definitions import defs
from tests.conftest import REPO
from warehouse.columns import CONTRACT_COLUMNS, STEP_COLUMNS, column_description
from warehouse.corpora import CORPORA
from warehouse.rows import ROW_SCHEMA


def _schema_of(asset: str) -> dg.TableSchema:
    key = dg.AssetKey(asset)
    spec = defs.get_assets_def(key).specs_by_key[key]
    schema = spec.metadata["dagster/column_schema"]
    assert isinstance(schema, dg.TableSchema), asset
    return schema


def test_every_corpus_asset_describes_every_contract_column():
    for corpus in CORPORA:
        columns = _schema_of(corpus).columns
        assert [(c.name, c.type) for c in columns] == [
            (name, str(dtype)) for name, dtype in ROW_SCHEMA.items()
        ], corpus
        for column in columns:
            assert column.description == CONTRACT_COLUMNS[column.name], (corpus, column.name)
            # One line, short enough for the catalog's column table.
            assert "\n" not in column.description and 10 < len(column.description) <= 90


def test_the_readme_table_says_the_same():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Corpus columns", 1)[1].split("\n## ", 1)[0]
    table = dict(re.findall(r"^\| `([^`]+)` \| (.+) \|$", section, re.M))
    assert table == {**CONTRACT_COLUMNS, **STEP_COLUMNS}


def test_a_materialized_schema_describes_step_columns_too():
    schema = pl.Schema({**ROW_SCHEMA, "lang": pl.String(), "judge_clarity": pl.Float64()})
    described = {c.name: c.description for c in column_schema(schema).columns}
    assert described["lang"] == STEP_COLUMNS["lang"]
    assert described["judge_clarity"] == STEP_COLUMNS["judge_<criterion>"]
    assert all(described.values())
    assert column_description("my_plugin_score") == "Added by a plug-in step of the recipe"
