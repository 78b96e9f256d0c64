"""The streaming job's table maintenance on real Delta: which tables it looks after,
compaction when due, the live tables' superseded versions deleted, removed files deleted
once past their retention (not before), and log files past the log retention deleted to the
minute."""

from __future__ import annotations

import os
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from lakehouse.maintenance import checkpoint, drop_superseded_versions
from lakehouse.tables.live import (
    LIVE_ACTIVE_VISITORS,
    LIVE_DAILY_METRICS,
    LIVE_MINUTE_METRICS,
    LIVE_TABLES,
    MINUTE_KEY,
)
from lakehouse.tables.raw import RAW_EVENTS, RAW_EVENTS_BAD
from stack.state import isolated_settings
from streaming.job import STREAM_TABLES, ensure_tables
from streaming.maintenance_thread import COMPACT_COMMITS, TableMaintenance
from tests.support.micro_batches import micro_batch

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def data_files(location: str) -> set[str]:
    return {
        str(path) for path in Path(location).rglob("*.parquet") if "_delta_log" not in path.parts
    }


def test_live_files_are_vacuumed_once_past_their_retention(
    spark: SparkSession, tmp_path: Path
) -> None:
    from delta.tables import DeltaTable

    settings = isolated_settings(tmp_path / "state")
    ensure_tables(spark, settings)
    maintenance = TableMaintenance(settings, spark, threading.Event(), STREAM_TABLES)
    assert set(maintenance.vacuumed_tables) == {
        settings.table_location(t.relative_path) for t in (RAW_EVENTS, RAW_EVENTS_BAD, *LIVE_TABLES)
    }
    versioned = (LIVE_MINUTE_METRICS, LIVE_DAILY_METRICS)
    assert set(maintenance.checkpointed_tables) == {
        settings.table_location(t.relative_path) for t in (RAW_EVENTS, RAW_EVENTS_BAD, *versioned)
    }
    assert maintenance.compacted_tables == [
        settings.table_location(t.relative_path) for t in (RAW_EVENTS, RAW_EVENTS_BAD, *versioned)
    ]
    assert [location for location, _ in maintenance.versioned_tables] == [
        settings.table_location(t.relative_path) for t in versioned
    ]

    location = settings.table_location(LIVE_ACTIVE_VISITORS.relative_path)
    now = datetime.now(UTC)
    for window in (5, 30):  # one file each; pruning the 5-minute row removes its file
        spark.createDataFrame(
            [("site", window, 1, now)], LIVE_ACTIVE_VISITORS.spark_schema()
        ).coalesce(1).write.format("delta").mode("append").save(location)
    DeltaTable.forPath(spark, location).delete("window_minutes = 5")
    in_use = {urlparse(f).path for f in spark.read.format("delta").load(location).inputFiles()}
    on_disk = data_files(location)
    assert in_use < on_disk  # the pruned row's file is removed from the table, not the disk

    maintenance.vacuum(location)  # the removed file is younger than the hour it is kept
    assert data_files(location) == on_disk

    spark.sql(
        f"ALTER TABLE delta.`{location}` "
        "SET TBLPROPERTIES ('delta.deletedFileRetentionDuration' = 'interval 0 seconds')"
    )
    maintenance.vacuum(location)
    assert data_files(location) == in_use
    assert spark.read.format("delta").load(location).count() == 1


def test_raw_events_are_compacted_every_25_commits(spark: SparkSession, tmp_path: Path) -> None:
    from delta.tables import DeltaTable

    from streaming.parse import raw_events

    settings = isolated_settings(tmp_path / "state")
    ensure_tables(spark, settings)
    maintenance = TableMaintenance(settings, spark, threading.Event(), STREAM_TABLES)
    location = settings.table_location(RAW_EVENTS.relative_path)

    def append(commits: int) -> int:
        """Appends a file per commit; the table's version after them."""
        for commit in range(commits):
            events = raw_events(micro_batch(spark, commit * 2, 2)).coalesce(1)
            events.write.format("delta").mode("append").save(location)
        latest = DeltaTable.forPath(spark, location).history(1).first()
        assert latest is not None
        return int(latest["version"])

    def files() -> int:
        return len(spark.read.format("delta").load(location).inputFiles())

    def event_ids() -> list[str]:
        rows = spark.read.format("delta").load(location).select("event_id").collect()
        return sorted(row[0] for row in rows)

    version = append(3)
    maintenance.compact_if_due(location)  # commits are counted from the first look
    assert files() == 3
    assert maintenance.compacted[location] == version
    maintenance.compacted[location] = version - COMPACT_COMMITS + 1  # due one commit later
    maintenance.compact_if_due(location)
    assert files() == 3
    append(1)
    written = event_ids()
    maintenance.compact_if_due(location)
    assert files() == 1
    assert event_ids() == written
    assert len(written) == 8


def test_log_files_past_the_retention_are_deleted_to_the_minute(
    spark: SparkSession, tmp_path: Path
) -> None:
    """Delta's own cleanup keeps every log file of the day; the maintenance thread's deletes
    those past the table's log retention and before its last checkpoint, and the table still
    reads the same."""
    settings = isolated_settings(tmp_path / "state")
    ensure_tables(spark, settings)
    maintenance = TableMaintenance(settings, spark, threading.Event(), STREAM_TABLES)
    assert set(maintenance.log_cleaned_tables) == {
        settings.table_location(t.relative_path) for t in (RAW_EVENTS, RAW_EVENTS_BAD, *LIVE_TABLES)
    }
    location = settings.table_location(LIVE_ACTIVE_VISITORS.relative_path)
    log_dir = Path(location) / "_delta_log"
    spark.sql(
        f"ALTER TABLE delta.`{location}` "
        "SET TBLPROPERTIES ('delta.logRetentionDuration' = 'interval 1 seconds',"
        " 'delta.deletedFileRetentionDuration' = 'interval 1 seconds')"
    )
    rows = spark.createDataFrame(
        [("site", 5, 1, datetime.now(UTC))], LIVE_ACTIVE_VISITORS.spark_schema()
    )
    for _ in range(12):
        rows.coalesce(1).write.format("delta").mode("append").save(location)
    checkpoint(maintenance.spark, location)
    commits = sorted(log_dir.glob("*.json"))
    assert len(commits) == 14  # creation, the property, 12 appends
    # Written ten minutes ago, a second apart (past the retention whatever the minute now is;
    # Delta wants a later commit's files to be younger).
    ten_minutes_ago = time.time() - 600
    for path in log_dir.glob("0*"):
        written = ten_minutes_ago + int(path.name.split(".")[0])
        os.utime(path, (written, written))

    maintenance.clean_up_log(location)
    kept = sorted(log_dir.glob("*.json"))
    assert kept == commits[-1:]  # only the checkpoint's own commit and after
    assert spark.read.format("delta").load(location).count() == 12


def test_superseded_live_versions_are_deleted_and_each_key_s_latest_kept(
    spark: SparkSession, tmp_path: Path
) -> None:
    """Only the versions of keys with a version since the bound are looked at; of those, all
    but the one with the most events are deleted."""
    from datetime import timedelta

    settings = isolated_settings(tmp_path / "state")
    ensure_tables(spark, settings)
    location = settings.table_location(LIVE_MINUTE_METRICS.relative_path)
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    old = now - timedelta(hours=3)

    def version(minute: datetime, value: str, events: int, written: datetime) -> tuple[Any, ...]:
        return (
            "site", minute, "path", value, events, events, 1, 0, None, written,
            minute.date(), minute.hour,
        )  # fmt: skip

    rows = [
        version(now, "/a", 1, now),
        version(now, "/a", 3, now),
        version(now, "/a", 2, now),
        version(now, "/b", 1, now),
        version(old, "/c", 1, old),  # a key not written since the bound: left as it is
        version(old, "/c", 2, old),
    ]
    spark.createDataFrame(rows, LIVE_MINUTE_METRICS.spark_schema()).write.format("delta").mode(
        "append"
    ).save(location)
    drop_superseded_versions(spark, location, MINUTE_KEY, now - timedelta(minutes=5))
    left = spark.read.format("delta").load(location).select("value", "events").collect()
    assert sorted(tuple(r) for r in left) == [("/a", 3), ("/b", 1), ("/c", 1), ("/c", 2)]
