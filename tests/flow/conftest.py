"""Fixtures shared by flow test modules."""

from __future__ import annotations

import pytest

from assets.spark_session import SparkConfig

# Few shuffle partitions: the data is small and each partition is a task to schedule.
SPARK = SparkConfig(master="local[2]", shuffle_partitions=2)


@pytest.fixture(scope="session")
def spark():
    """One local Spark session for every Spark test (a JVM start costs tens of seconds)."""
    from assets.spark_session import spark_session

    session = spark_session(SPARK)
    yield session
    session.stop()
