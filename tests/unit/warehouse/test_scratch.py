"""The process's scratch DuckDB: each block its own connection (what it registers stays its
own, across threads too), and a forked child opens a database of its own."""

from __future__ import annotations

import os
import signal
import threading

import duckdb
import polars as pl
import pytest

from warehouse.scratch import scratch


def test_what_a_block_registers_is_gone_after_it():
    with scratch() as con:
        con.register("frame", pl.DataFrame({"x": [1, 2]}).to_arrow())
        assert con.sql("SELECT sum(x) FROM frame").fetchall() == [(3,)]
    with scratch() as con, pytest.raises(duckdb.CatalogException, match="frame"):
        con.sql("SELECT * FROM frame")


def test_threads_registering_the_same_name_each_read_their_own():
    start = threading.Barrier(4)
    seen: dict[int, list[int]] = {}

    def work(n: int) -> None:
        with scratch() as con:
            con.register("frame", pl.DataFrame({"x": [n] * 1_000}).to_arrow())
            start.wait(timeout=30)  # every thread has registered before any reads
            seen[n] = [row[0] for row in con.sql("SELECT DISTINCT x FROM frame").fetchall()]

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert seen == {n: [n] for n in range(4)}


def test_a_forked_child_opens_its_own_database():
    # A table (not a connection's own view) marks the parent's database.
    with scratch() as con:
        con.sql("CREATE TABLE parent_marker AS SELECT 1 AS x")
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never back into pytest
        code = 1
        try:
            signal.alarm(30)  # a hang fails instead of waiting
            with scratch() as con:
                [(value,)] = con.sql("SELECT 40 + 2").fetchall()
                try:
                    con.sql("SELECT * FROM parent_marker")
                    marker = b"parent's"
                except duckdb.CatalogException:
                    marker = b"own"
            os.write(write, f"{value} ".encode() + marker)
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    _, status = os.waitpid(pid, 0)
    answer = os.read(read, 64)
    os.close(read)
    with scratch() as con:  # the parent's is still there
        assert con.sql("SELECT x FROM parent_marker").fetchall() == [(1,)]
        con.sql("DROP TABLE parent_marker")
    assert os.waitstatus_to_exitcode(status) == 0 and answer == b"42 own"
