"""Opening the warehouse: shared reads inside `Warehouse.reading()`, the lock they hold, and
the schema check a process remembers only while the file is as it left it."""

from __future__ import annotations

import shutil
import threading

import duckdb
import pytest

import warehouse.connection
from warehouse import Warehouse, WarehouseLockTimeout
from warehouse.migrations import latest_schema_version, migrations


def _count(wh: Warehouse) -> int:
    with wh.reader() as con:
        return con.sql("SELECT count(*) FROM t").fetchall()[0][0]


def _write_from_another_thread(home, timeout_s: float) -> BaseException | None:
    """A write by another thread, as another process's would be: its own lock file handle."""
    failures: list[BaseException] = []

    def write() -> None:
        try:
            with Warehouse(home, lock_timeout_s=timeout_s).writer() as con:
                con.execute("INSERT INTO t VALUES (99)")
        except BaseException as error:  # noqa: BLE001 (handed back to the test)
            failures.append(error)

    thread = threading.Thread(target=write)
    thread.start()
    thread.join()
    return failures[0] if failures else None


def test_reads_in_a_reading_block_open_duckdb_once_and_see_writes_made_in_it(tmp_path, monkeypatch):
    wh = Warehouse(tmp_path)
    with wh.writer() as con:
        con.execute("CREATE TABLE t (x INTEGER)")
        con.execute("INSERT INTO t VALUES (1)")
    opened: list[object] = []
    connect = duckdb.connect
    monkeypatch.setattr(
        warehouse.connection.duckdb,
        "connect",
        lambda *args, **kwargs: opened.append(kwargs) or connect(*args, **kwargs),
    )

    with wh.reading():
        assert [_count(wh) for _ in range(10)] == [1] * 10
        assert opened == [{"read_only": True}]
        with wh.writer() as con:
            con.execute("INSERT INTO t VALUES (2)")
        assert _count(wh) == 2
        # A nested block and another Warehouse object on the same file share it too.
        with Warehouse(tmp_path).reading():
            assert _count(Warehouse(tmp_path)) == 2
    assert len(opened) == 3  # the first read, the write, the first read after it
    assert _count(wh) == 2
    assert len(opened) == 4  # outside a block each read opens its own


def test_a_reading_block_holds_off_writers_from_its_first_read_to_its_end(tmp_path):
    wh = Warehouse(tmp_path)
    with wh.writer() as con:
        con.execute("CREATE TABLE t (x INTEGER)")
    with wh.reading():
        # Before its first read the block holds nothing.
        assert _write_from_another_thread(tmp_path, timeout_s=5) is None
        assert _count(wh) == 1
        assert isinstance(_write_from_another_thread(tmp_path, timeout_s=0.3), WarehouseLockTimeout)
    assert _write_from_another_thread(tmp_path, timeout_s=5) is None
    assert _count(wh) == 2


def test_a_reading_block_that_fails_releases_the_warehouse(tmp_path):
    wh = Warehouse(tmp_path)
    with wh.writer() as con:
        con.execute("CREATE TABLE t (x INTEGER)")
    with pytest.raises(ZeroDivisionError), wh.reading():
        _count(wh)
        _ = 1 / 0
    assert _write_from_another_thread(tmp_path, timeout_s=5) is None


def test_an_older_file_restored_over_a_migrated_one_is_migrated_again(tmp_path):
    # `cp backup.duckdb warehouse.duckdb` keeps the inode: this process checked the schema
    # of that file before, and must not take the restored one as checked.
    wh = Warehouse(tmp_path / "home")
    with wh.writer():
        pass
    old = tmp_path / "old.duckdb"
    number, name, first_sql = migrations()[0]
    con = duckdb.connect(str(old))
    con.execute(
        "CREATE TABLE schema_version (version INTEGER NOT NULL, name VARCHAR NOT NULL, "
        "applied_at TIMESTAMP NOT NULL)"
    )
    con.execute(first_sql)
    con.execute("INSERT INTO schema_version VALUES (?, ?, now())", [number, name])
    con.close()
    inode = wh.path.stat().st_ino
    shutil.copyfile(old, wh.path)
    assert wh.path.stat().st_ino == inode

    with wh.writer() as con:
        assert con.sql("SELECT max(version) FROM schema_version").fetchall()[0][0] == (
            latest_schema_version()
        )
