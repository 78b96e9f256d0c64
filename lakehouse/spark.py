"""The one way beacon builds a SparkSession: Delta and the Kafka connector from the local
jar cache (never resolved at job start), UTC, few shuffle partitions, the UI off by default."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from lakehouse.artifacts import ready_artifact_dir
from lakehouse.jdk import find_jdk
from lakehouse.settings import Settings

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def spark_conf(settings: Settings, app_name: str) -> dict[str, str]:
    """Spark configuration for beacon jobs; a pure function of the settings."""
    jars = sorted(ready_artifact_dir(settings, "spark").glob("*.jar"))
    scratch = settings.state_path / "spark"
    conf = {
        "spark.app.name": app_name,
        "spark.master": settings.spark.master,
        "spark.jars": ",".join(str(jar) for jar in jars),
        "spark.sql.extensions": "io.delta.sql.DeltaSparkSessionExtension",
        "spark.sql.catalog.spark_catalog": "org.apache.spark.sql.delta.catalog.DeltaCatalog",
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.shuffle.partitions": str(settings.spark.shuffle_partitions),
        "spark.default.parallelism": str(settings.spark.shuffle_partitions),
        "spark.driver.memory": settings.spark.driver_memory,
        "spark.ui.enabled": str(settings.spark.ui_enabled).lower(),
        "spark.sql.warehouse.dir": str(scratch / "warehouse"),
        "spark.local.dir": str(scratch / "tmp"),
        "spark.driver.extraJavaOptions": f"-Dderby.system.home={scratch / 'derby'}",
        "spark.databricks.delta.schema.autoMerge.enabled": "false",
        # Delta rebuilds a table's snapshot in 50 tasks by default: far too many for one
        # machine's tables, and the main cost of a small streaming micro-batch.
        "spark.databricks.delta.snapshotPartitions": str(settings.spark.shuffle_partitions),
    }
    if settings.profile == "local":
        conf["spark.driver.host"] = settings.host
        conf["spark.driver.bindAddress"] = settings.host
    return conf


def spark_session(settings: Settings, app_name: str) -> SparkSession:
    """Build (or return the running) SparkSession for ``app_name``."""
    from pyspark.sql import SparkSession

    jdk = find_jdk(17, "Spark", settings.java.home, "BEACON_JAVA__HOME")
    os.environ["JAVA_HOME"] = str(jdk.home)
    builder = SparkSession.builder
    for key, value in spark_conf(settings, app_name).items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("WARN")
    return session
