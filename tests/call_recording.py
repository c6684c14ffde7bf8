"""The demo's model calls, recorded once and replayed into a fresh home's call log.

The golden demo test pins what the demo makes from its model calls; making those calls
again on every test run (llama.cpp on the CPU) costs minutes and tells nothing new, since
the calls are cached by request hash. `SYNTHFOUNDRY_UPDATE_GOLDEN=1` runs the demo with
real calls and records them (tests/data/golden_demo_calls.jsonl, reviewable as text); every
other run loads them first, so the demo's methods find each call in the call log, as a
re-run of a user's recipe does, and no model runs. A prompt, template or sampling change
gives a new request hash: that call is made for real and the golden test says to record
again.
"""

from __future__ import annotations

from pathlib import Path

from warehouse import Warehouse

# Successful calls only (the call cache serves nothing else), in a stable order, without the
# recording run's id.
_RECORD_SQL = """
COPY (
    SELECT * EXCLUDE (run_id) FROM model_calls WHERE status = 'ok'
    ORDER BY request_hash, sample_index, created_at
) TO '{path}' (FORMAT json)
"""
_REPLAY_SQL = "INSERT INTO model_calls BY NAME SELECT * FROM read_json(?, format = 'newline_delimited', columns = {columns})"
_COUNT_SQL = "SELECT count(*) FROM model_calls"


def record_calls(home: Path, path: Path) -> int:
    """Write the home's successful model calls to `path` (JSON lines); returns how many."""
    with Warehouse(home).writer() as con:
        # COPY takes no parameter for its target; `path` is the suite's own file.
        con.execute(_RECORD_SQL.format(path=str(path).replace("'", "''")))
        return con.execute(_COUNT_SQL + " WHERE status = 'ok'").fetchone()[0]


def replay_calls(home: Path, path: Path) -> int:
    """Load the calls recorded in `path` into the home's call log; returns how many."""
    with Warehouse(home).writer() as con:
        types = con.execute("DESCRIBE model_calls").fetchall()
        columns = (
            "{"
            + ", ".join(f"'{name}': '{kind}'" for name, kind, *_ in types if name != "run_id")
            + "}"
        )
        con.execute(_REPLAY_SQL.format(columns=columns), [str(path)])
        return con.execute(_COUNT_SQL).fetchone()[0]


def call_count(home: Path) -> int:
    with Warehouse(home).reader() as con:
        return con.execute(_COUNT_SQL).fetchone()[0]
