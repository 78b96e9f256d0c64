"""The few calls into Delta's JVM internals that its Python API does not offer, in one
place, so that a Delta upgrade that moves them breaks this file alone.

- the table's DeltaLog and its latest snapshot;
- a log checkpoint on demand;
- the deletion of expired log files with a cutoff to the minute (Delta's own cleanup, after
  a checkpoint, rounds the cutoff down to the day's start).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


class DeltaInternalsMissing(RuntimeError):
    """The Spark session has no JVM (Spark Connect) or Delta moved an internal it uses."""


def _jvm(spark: SparkSession) -> Any:
    jvm = spark.sparkContext._jvm
    if jvm is None:
        raise DeltaInternalsMissing("the Spark session has no JVM gateway (Spark Connect?)")
    return jvm


def delta_log(spark: SparkSession, location: str) -> Any:
    """The table's DeltaLog (JVM)."""
    return _jvm(spark).org.apache.spark.sql.delta.DeltaLog.forTable(spark._jsparkSession, location)


def latest_version(spark: SparkSession, location: str) -> int:
    """The table's latest version, its log listed: other writers' commits included (the live
    tables' appends are delta-rs commits); the snapshot kept is then the latest."""
    log = delta_log(spark, location)
    defaults = (getattr(log, f"update$default${n}")() for n in (1, 2, 3))  # a snapshot now
    return int(log.update(*defaults).version())


def checkpoint_log(spark: SparkSession, location: str) -> None:
    """Write a checkpoint of the table's log at its current version."""
    delta_log(spark, location).checkpoint()


def clean_up_expired_log(spark: SparkSession, location: str) -> None:
    """Delete the log files older than the table's log retention (and than the checkpoint that
    replaces them), with the cutoff rounded to the minute."""
    log = delta_log(spark, location)
    granularity = getattr(_jvm(spark).org.apache.spark.sql.delta, "TruncationGranularity$")
    log.cleanUpExpiredLogs(
        log.unsafeVolatileSnapshot(),
        getattr(log, "cleanUpExpiredLogs$default$2")(),  # no catalog table
        getattr(log, "cleanUpExpiredLogs$default$3")(),  # the table's own retention
        getattr(granularity, "MODULE$").MINUTE(),
    )
