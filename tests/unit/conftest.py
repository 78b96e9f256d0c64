"""A local SparkSession for unit tests on tiny DataFrames: the UI off, one core, few shuffle
partitions.

If a session is already running (the integration tier's, in the same pytest process), the
tests use it. Otherwise each module starts one and stops it at its end; its JVM gets the
Delta and Kafka jars when they are installed, so an integration session started later in
the same process (which reuses the JVM) still finds them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


@pytest.fixture(scope="module")
def local_spark() -> Iterator[SparkSession]:
    from pyspark.sql import SparkSession

    from lakehouse.artifacts import MissingArtifacts, ready_artifact_dir
    from lakehouse.jdk import find_jdk
    from lakehouse.settings import load_settings

    running = SparkSession.getActiveSession()
    if running is not None:
        yield running
        return
    os.environ["JAVA_HOME"] = str(find_jdk(17, "Spark", None, "BEACON_JAVA__HOME").home)
    builder = (
        SparkSession.builder.master("local[1]")
        .appName("beacon-unit")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.host", "127.0.0.1")
    )
    try:
        jars = sorted(ready_artifact_dir(load_settings(), "spark").glob("*.jar"))
        builder = builder.config("spark.jars", ",".join(str(jar) for jar in jars))
    except MissingArtifacts:
        pass
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
