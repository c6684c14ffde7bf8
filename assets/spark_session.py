"""A lazily started, quiet SparkSession for the Spark backends (near dedup, n-gram
decontamination). pyspark is imported only here and only when a Spark step runs."""

from __future__ import annotations

import os
import sys
import warnings
from typing import TYPE_CHECKING

import polars as pl
import pyarrow as pa
from pydantic import Field

from assets.paths import bundled_path
from warehouse.settings import Strict


class SparkConfig(Strict):
    """Where the Spark backend of near dedup and n-gram decontamination runs; a session starts
    only when a step with `backend: spark` runs."""

    master: str = Field(
        default="local[2]", description="Spark master URL: local[N], spark://host:7077, yarn, ..."
    )
    app_name: str = "synthfoundry"
    shuffle_partitions: int = Field(default=8, gt=0)
    driver_memory: str = Field(default="2g", pattern=r"^[0-9]+[kmgt]?$")
    conf: dict[str, str] = Field(
        default={}, description="Extra Spark properties, e.g. spark.executor.memory."
    )


if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession


def spark_session(config: SparkConfig) -> SparkSession:
    """The session for `config.master`, started on first use (getOrCreate reuses a running one).

    The UI is off and the driver binds 127.0.0.1; Python workers run this interpreter, so they
    import the same code and hash exactly like the in-process backend."""
    from pyspark.sql import SparkSession

    # Arrow transfers never go through pandas here, so pyspark's pandas-version warning is noise.
    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas")
    # Without it Spark resolves the host name and warns when that is a loopback address.
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    # SparkContext picks the worker interpreter from PYSPARK_PYTHON, not from the conf.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    log_config = bundled_path("spark_log4j2.properties").as_uri()
    builder = (
        SparkSession.builder.master(config.master)
        .appName(config.app_name)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.memory", config.driver_memory)
        .config("spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile={log_config}")
        .config("spark.sql.shuffle.partitions", str(config.shuffle_partitions))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.pyspark.python", sys.executable)
        .config("spark.pyspark.driver.python", sys.executable)
    )
    for key, value in config.conf.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


def to_spark(spark: SparkSession, frame: pl.DataFrame) -> DataFrame:
    """A Spark DataFrame of a Polars frame of string and integer columns, through Arrow (Spark
    reads neither Arrow's large nor view string types, which Polars writes)."""
    table = frame.to_arrow()
    schema = pa.schema(
        [
            pa.field(
                f.name,
                pa.string()
                if pa.types.is_string(f.type)
                or pa.types.is_large_string(f.type)
                or pa.types.is_string_view(f.type)
                else f.type,
            )
            for f in table.schema
        ]
    )
    return spark.createDataFrame(table.cast(schema))
