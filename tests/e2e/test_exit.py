"""Processes that end without DuckDB objects left alive: no "nanobind: leaked" report at exit."""

from __future__ import annotations

import subprocess
import sys
import textwrap

# A process that built the Dagster definitions and loaded the embedding model (torch) once ended
# with some sixty "nanobind: leaked ..." lines about DuckDB's types (warehouse/connection.py).
DEFINITIONS_AND_EMBEDDINGS = textwrap.dedent(
    """
    import sys
    from functools import partial

    import polars as pl

    from assets.embeddings import Embedder
    from orchestration.definitions import defs
    from quality.diversity import diversity
    from warehouse import Warehouse
    from warehouse.corpora import list_versions

    assert defs.resolve_job_def("synthfoundry_flow")
    wh = Warehouse(sys.argv[1])
    assert list_versions(wh).is_empty()
    rows = pl.DataFrame({"row_id": ["a", "b"], "instruction": ["a cat sat", "dogs bark loudly"]})
    assert diversity(rows, partial(Embedder().embed, wh))["embedding"]["embedded_rows"] == 2
    """
)


def test_a_process_with_definitions_and_embeddings_exits_without_leak_reports(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", DEFINITIONS_AND_EMBEDDINGS, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "nanobind" not in result.stderr, result.stderr[-2000:]
