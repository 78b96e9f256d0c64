"""Table maintenance, the operations themselves: log checkpoints, compaction of small files,
deletion of expired log files, VACUUM, and the deletion of the live tables' superseded
versions. The streaming job's maintenance thread decides when each is due for the streamed
tables; the batch layer's maintenance runs them on its tables.

Each operation takes the session and the table's location and is safe beside blind appends.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime
from typing import TYPE_CHECKING

from lakehouse import delta_jvm
from lakehouse.tables.live import LATEST_VERSION_ORDER

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

log = logging.getLogger("beacon.maintenance")

COMPACTION_CONF = {
    # Files under 8 MiB are compacted (Delta's OPTIMIZE takes every file under 1 GiB, its auto
    # compaction every file under 64 MiB): each compaction rewrites at most a few MiB besides
    # the new small files, not the day's events so far.
    "spark.databricks.delta.optimize.minFileSize": str(8 * 1024 * 1024),
    "spark.databricks.delta.optimize.maxFileSize": str(128 * 1024 * 1024),
    # VACUUM lists a table's directories in this many tasks (10,000 by default: far more task
    # overhead than listing work for a table of a few hundred files on a few cores).
    "spark.sql.sources.parallelPartitionDiscovery.parallelism": "2",
}
"""Session settings for the maintenance operations (set on a session of their own)."""


def maintenance_session(spark: SparkSession) -> SparkSession:
    """A session of its own for maintenance, with :data:`COMPACTION_CONF`."""
    session = spark.newSession()
    for key, value in COMPACTION_CONF.items():
        session.conf.set(key, value)
    return session


def table_version(spark: SparkSession, location: str) -> int:
    return delta_jvm.latest_version(spark, location)


def checkpoint(spark: SparkSession, location: str) -> None:
    delta_jvm.checkpoint_log(spark, location)


def compact(spark: SparkSession, location: str) -> None:
    """Rewrite the table's small files into larger ones (bin-packing OPTIMIZE)."""
    from delta.tables import DeltaTable

    DeltaTable.forPath(spark, location).optimize().executeCompaction()


def clean_up_log(spark: SparkSession, location: str) -> None:
    delta_jvm.clean_up_expired_log(spark, location)


def vacuum(spark: SparkSession, location: str, retention_hours: float | None = None) -> None:
    """Delete the files the table no longer uses, once older than ``retention_hours`` (the
    table's ``delta.deletedFileRetentionDuration`` if None)."""
    from delta.tables import DeltaTable

    started = time.monotonic()
    DeltaTable.forPath(spark, location).vacuum(retention_hours)
    log.info("vacuum of %s took %.1f s", location, time.monotonic() - started)


def drop_superseded_versions(
    spark: SparkSession, location: str, key: tuple[str, ...], updated_since: datetime
) -> None:
    """Delete the versions of a versioned live table (:mod:`lakehouse.tables.live`) that a
    newer one supersedes, among the keys of the periods that got a version since
    ``updated_since``.

    A MERGE that only deletes rows it names by key and version: a superseded version stays
    superseded, so rows appended meanwhile (blind appends, which it does not conflict with)
    are never touched, and each reader, which takes the latest version, reads the same."""
    from delta.tables import DeltaTable
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    period = key[1]
    table = spark.read.format("delta").load(location)
    periods = [
        row[0]
        for row in table.where(F.col("updated_at") >= F.lit(updated_since))
        .select(period)
        .distinct()
        .collect()
    ]
    if not periods:
        return
    dates = sorted({p.date() if isinstance(p, datetime) else p for p in periods})
    in_scope = F.col("event_date").isin(dates) & F.col(period).isin(periods)
    # Versions with fewer events than the key's latest; two rows of the same version (none
    # are written, but were they) would both stay.
    latest = F.max(LATEST_VERSION_ORDER).over(Window.partitionBy(*key))
    superseded = (
        table.where(in_scope)
        .withColumn("_latest", latest)
        .where(F.col(LATEST_VERSION_ORDER) < F.col("_latest"))
        .select(*key, LATEST_VERSION_ORDER)
        .distinct()
    )
    target_in_scope = F.col("t.event_date").isin(dates) & F.col(f"t.{period}").isin(periods)
    same = [F.col(f"t.{c}") == F.col(f"s.{c}") for c in (*key, LATEST_VERSION_ORDER)]
    condition = target_in_scope
    for equal in same:
        condition = condition & equal
    started = time.monotonic()
    (
        DeltaTable.forPath(spark, location)
        .alias("t")
        .merge(superseded.alias("s"), condition)
        .whenMatchedDelete()
        .execute()
    )
    log.info(
        "superseded versions of %s (%d periods) deleted in %.1f s",
        location,
        len(periods),
        time.monotonic() - started,
    )


RETENTION_CHECK = "spark.databricks.delta.retentionDurationCheck.enabled"


def erasure_session(spark: SparkSession) -> SparkSession:
    """A session of its own in which a VACUUM may keep less than Delta's 7-day minimum (for
    the erasure's and the per-site retention's vacuum only)."""
    session = maintenance_session(spark)
    session.conf.set(RETENTION_CHECK, "false")
    return session


def vacuum_removed_files(spark: SparkSession, location: str, retention_hours: float) -> int:
    """Delete the files the table's log removed more than ``retention_hours`` ago (a VACUUM
    LITE: only files the log once added and then removed, so a file a concurrent writer has
    written but not committed yet is never touched, whatever the retention); the files
    deleted. A LITE vacuum needs the log since the last vacuum: if it has been cleaned up, a
    full VACUUM with the table's own retention runs first. ``spark`` is an
    :func:`erasure_session`."""
    from delta.tables import DeltaTable

    started = time.monotonic()
    statement = f"VACUUM delta.`{location}` LITE RETAIN {retention_hours} HOURS"
    before = table_version(spark, location)
    try:
        spark.sql(statement).collect()
    except Exception as error:  # Delta raises it as a Spark or a Py4J error
        if "VACUUM_LITE" not in str(error):
            raise
        DeltaTable.forPath(spark, location).vacuum()
        before = table_version(spark, location)
        spark.sql(statement).collect()
    history = DeltaTable.forPath(spark, location).history(20)
    ends = history.where(f"version > {before} AND operation = 'VACUUM END'").collect()
    removed = sum(int((row["operationMetrics"] or {}).get("numDeletedFiles", 0)) for row in ends)
    log.info("vacuum (lite) of %s took %.1f s", location, time.monotonic() - started)
    return removed
