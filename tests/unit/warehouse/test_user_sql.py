"""User SQL runs read-only for real: no files, no other databases, no extensions, no settings,
one statement; what it may not do is refused with a message saying so, and nothing is written."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl
import pytest

from warehouse import Warehouse
from warehouse.user_sql import LOCKED_DOWN, QueryError, user_query


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder for the module: no test may write in it, and each checks that."""
    return tmp_path_factory.mktemp("user_sql")


@pytest.fixture(scope="module")
def wh(folder: Path) -> Warehouse:
    warehouse = Warehouse(folder / "home")
    with warehouse.writer() as con:
        con.execute("CREATE TABLE notes AS SELECT 'kept' AS note")
    return warehouse


@pytest.fixture(scope="module")
def secret(folder: Path) -> Path:
    """A file beside the warehouse that no query may read, in each format DuckDB reads."""
    path = folder / "secret.csv"
    path.write_text("token\nsk-do-not-print\n", encoding="utf-8")
    duckdb.sql(f"COPY (SELECT 'sk-do-not-print' AS token) TO '{folder / 'secret.parquet'}'")
    other = duckdb.connect(str(folder / "other.duckdb"))
    other.execute("CREATE TABLE secrets AS SELECT 'sk-do-not-print' AS token")
    other.close()
    return path


def _files(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): p.stat().st_size for p in root.rglob("*") if p.is_file()}


def _refusal(wh: Warehouse, query: str) -> str:
    with pytest.raises(QueryError) as refused, user_query(wh, query) as result:
        list(result.batches)
    return str(refused.value)


def test_queries_read_the_warehouse(wh):
    with user_query(wh, "SELECT note, [1, 2] AS l FROM notes") as result:
        frame = pl.concat(result.batches)
    assert result.columns == ["note", "l"]
    assert frame.rows() == [("kept", "[1,2]")]


ATTACKS = {
    # (query, words the refusal must contain)
    "copy to a file": ("COPY (SELECT * FROM notes) TO '{tmp}/out.csv'", "COPY"),
    "export the database": ("EXPORT DATABASE '{tmp}/dump'", "EXPORT"),
    "read_csv": ("SELECT * FROM read_csv('{tmp}/secret.csv')", "cannot read or write files"),
    "read_text": ("SELECT content FROM read_text('{tmp}/secret.csv')", "cannot read or write"),
    "read_parquet": ("SELECT * FROM read_parquet('{tmp}/secret.parquet')", "cannot read"),
    "a file as a table": ("SELECT * FROM '{tmp}/secret.csv'", "cannot read or write files"),
    "glob": ("SELECT * FROM glob('{tmp}/*')", "cannot read or write files"),
    "attach": ("ATTACH '{tmp}/other.duckdb' AS other", "ATTACH"),
    "install": ("INSTALL httpfs", "refused: INSTALL statement"),
    "force install": ("FORCE INSTALL httpfs", "refused: FORCE INSTALL statement"),
    "load": ("LOAD httpfs", "refused: LOAD statement"),
    "set": ("SET enable_external_access = true", "SET"),
    "reset": ("RESET enable_external_access", "SET"),
    "pragma": ("PRAGMA threads = 1", "SET"),
    "unlock": ("SET lock_configuration = false", "SET"),
    "second statement": ("SELECT 1; COPY notes TO '{tmp}/out.csv'", "one statement per query"),
    "a write": ("DELETE FROM notes", "read-only"),
}


@pytest.mark.parametrize("attack", ATTACKS, ids=list(ATTACKS))
def test_each_way_out_is_refused_and_nothing_is_written(wh, secret, folder, attack):
    query, words = ATTACKS[attack]
    before = _files(folder)
    message = _refusal(wh, query.format(tmp=folder))
    assert message.startswith("refused:") and words in message, message
    assert "sk-do-not-print" not in message
    assert _files(folder) == before
    with user_query(wh, "SELECT count(*) FROM notes") as result:
        assert pl.concat(result.batches).item() == "1"


def test_the_connection_itself_is_locked_down(wh, secret, folder):
    """Beneath the one-reading-statement check: the connection refuses on its own."""
    with wh.reader(LOCKED_DOWN) as con:
        assert con.sql("SELECT current_setting('enable_external_access')").fetchall() == [(False,)]
        for statement in (
            f"COPY (SELECT 1) TO '{folder}/out.csv'",
            f"ATTACH '{folder}/other.duckdb' AS other",
            f"SELECT * FROM read_csv('{folder}/secret.csv')",
            "INSTALL httpfs",
            "LOAD httpfs",
            "SET enable_external_access = true",
            "RESET enable_external_access",
            "SET lock_configuration = false",
            "SET allowed_directories = ['/']",
        ):
            with pytest.raises(duckdb.Error):
                con.execute(statement)
        assert con.sql("SELECT current_setting('enable_external_access')").fetchall() == [(False,)]
    assert not (folder / "out.csv").exists()


def test_python_objects_are_not_tables(wh):
    leaked = pl.DataFrame({"token": ["sk-do-not-print"]})  # noqa: F841 (the replacement scan bait)
    message = _refusal(wh, "SELECT * FROM leaked")
    assert "leaked" in message and "sk-do-not-print" not in message


def test_errors_while_streaming_are_query_errors(wh):
    message = _refusal(wh, "SELECT CASE WHEN range > 5000 THEN error('late') END FROM range(9000)")
    assert "late" in message
    assert _refusal(wh, "").startswith("empty query")
    assert "syntax error" in _refusal(wh, "SELEC 1")


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("INSTALL httpfs", "INSTALL statement"),
        ("-- an extension\n/* for the web */ install httpfs", "INSTALL statement"),
        ("UPDATE EXTENSIONS", "UPDATE statement"),
        ("CREATE TABLE t (a INT)", "CREATE statement"),
        ("DETACH other", "DETACH statement"),
        ("USE memory", "USE statement"),
        ("RESET threads", "RESET statement"),
        ("PRAGMA threads = 1", "PRAGMA statement (DuckDB runs it as SET)"),
        ("WITH t AS (SELECT 1) DELETE FROM notes", "WITH statement (DuckDB runs it as DELETE)"),
    ],
)
def test_the_refusal_names_the_statement_typed(wh, query, named):
    message = _refusal(wh, query)
    assert message.startswith(f"refused: {named};"), message
