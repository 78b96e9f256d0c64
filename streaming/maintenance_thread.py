"""The streamed tables' housekeeping, by a thread beside the query: when each table's log
checkpoint, compaction, log cleanup and VACUUM (:mod:`lakehouse.maintenance`) is due."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from lakehouse import maintenance
from lakehouse.columns import Table
from lakehouse.delta_properties import (
    COMPACTED_IN_BACKGROUND,
    DEFERRED_LOG_CHECKPOINTS,
    STREAMED_FILE_RETENTION,
    STREAMED_LOG_RETENTION,
    DeltaProperty,
)
from lakehouse.settings import Settings
from lakehouse.tables.live import VERSIONED_TABLES

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

log = logging.getLogger("beacon.streaming")

LOG_CHECKPOINT_COMMITS = 10
"""A streamed table's Delta log is checkpointed once it has this many commits past the last
checkpoint (Delta's default interval; a longer one makes readers replay longer JSON tails)."""
COMPACT_COMMITS = 25
"""An append-only streamed table is compacted once it has this many commits past the last
compaction (about 50 new files, Delta's auto compaction threshold)."""
LIVE_COMPACT_COMMITS = 10
"""A live table of versions is compacted sooner: every query of the serving views reads all
of today's files, and its files are a few KiB each."""
MAINTENANCE_POLL_S = 2.0
VACUUM_EVERY_S = 3600.0
"""How often the streamed tables' removed files are deleted (those past their retention)."""
LOG_CLEANUP_EVERY_S = 300.0
"""How often the Delta log files past a table's log retention are deleted."""
ROLLUP_EVERY_S = 60.0
"""How often the live tables' superseded versions are deleted (a key gets a version each
micro-batch that counts one of its events: up to one a trigger for a busy key)."""
ROLLUP_OVERLAP = timedelta(seconds=30)
"""Each deletion of superseded versions looks at the keys with a version since the previous
one began, less this margin (for a batch that was writing as it began)."""
FIRST_ROLLUP_LOOKBACK = timedelta(hours=2)
"""The first deletion after a start looks this far back."""
FIRST_CLEANUP_AFTER_S = 600.0
"""The first log cleanup and VACUUM after a start wait this long: past the start's first
batch, which may look for its own commit in the log (a re-run), and not beside it."""


class TableMaintenance(threading.Thread):
    """The streamed tables' housekeeping, by a thread of its own beside the query.

    - Delta log checkpoints. Delta writes one in the committing thread, every 10th commit by
      default: a state reconstruction and a Parquet write, which every tenth micro-batch
      would wait for before its next table. The tables whose checkpoint interval defers to
      this thread (:data:`DEFERRED_LOG_CHECKPOINTS`) are checkpointed here as often, from
      the table's latest snapshot (its log listed), so readers still replay a short
      JSON tail.
    - Compaction of the append-only tables (:data:`COMPACTED_IN_BACKGROUND`) every 25
      commits, of small files only (:data:`lakehouse.maintenance.COMPACTION_CONF`); appends
      never conflict with it.
    - Deletion of Delta log files past the log retention (:data:`STREAMED_LOG_RETENTION`)
      every five minutes, the first ten minutes after the start; Delta's own cleanup keeps
      everything since the day's start.
    - Deletion of the live tables' superseded versions (:data:`VERSIONED_TABLES`) every
      minute, for the keys that got a version since the last one: readers take the latest
      version of each key, and fewer versions make their reads shorter.
    - VACUUM of the streamed tables (:data:`STREAMED_FILE_RETENTION`) every hour, the first
      ten minutes after the start: each deletion of versions, each compaction and each
      pruning of active visitors leaves removed files behind."""

    def __init__(
        self,
        settings: Settings,
        spark: SparkSession,
        stop: threading.Event,
        tables: Iterable[Table],
    ) -> None:
        super().__init__(name="table-maintenance", daemon=True)
        streamed = tuple(tables)

        def tables_with(setting: DeltaProperty) -> list[str]:
            """The locations of the streamed tables created with this Delta property."""
            return [
                settings.table_location(table.relative_path)
                for table in streamed
                if setting in table.properties
            ]

        self.checkpointed_tables = tables_with(DEFERRED_LOG_CHECKPOINTS)
        self.compacted_tables = tables_with(COMPACTED_IN_BACKGROUND)
        self.log_cleaned_tables = tables_with(STREAMED_LOG_RETENTION)
        self.vacuumed_tables = tables_with(STREAMED_FILE_RETENTION)
        self.versioned_tables = [
            (settings.table_location(table.relative_path), key)
            for table, key in VERSIONED_TABLES
            if table in streamed
        ]
        self.versioned_locations = {location for location, _ in self.versioned_tables}
        self.rollup_due = time.monotonic() + ROLLUP_EVERY_S
        self.rolled_up_since = datetime.now(UTC) - FIRST_ROLLUP_LOOKBACK
        self.spark = maintenance.maintenance_session(spark)
        self.stop = stop
        self.checkpointed: dict[str, int] = {}
        """The version each table was last checkpointed at by this thread."""
        self.compacted: dict[str, int] = {}
        """The version each table was last compacted at by this thread."""
        self.vacuum_due = time.monotonic() + FIRST_CLEANUP_AFTER_S
        self.log_cleanup_due = time.monotonic() + FIRST_CLEANUP_AFTER_S

    def run(self) -> None:
        while not self.stop.wait(MAINTENANCE_POLL_S):
            if time.monotonic() >= self.rollup_due:
                self.roll_up()
                self.rollup_due = time.monotonic() + ROLLUP_EVERY_S
            for location in self.compacted_tables:
                self.attempt("compaction", location, self.compact_if_due)
            for location in self.checkpointed_tables:
                self.attempt("log checkpoint", location, self.checkpoint_if_due)
            if time.monotonic() >= self.log_cleanup_due:
                for location in self.log_cleaned_tables:
                    self.attempt("log cleanup", location, self.clean_up_log)
                self.log_cleanup_due = time.monotonic() + LOG_CLEANUP_EVERY_S
            if time.monotonic() >= self.vacuum_due:
                for location in self.vacuumed_tables:
                    self.attempt("vacuum", location, self.vacuum)
                self.vacuum_due = time.monotonic() + VACUUM_EVERY_S

    @staticmethod
    def attempt(work: str, location: str, do: Callable[[str], None]) -> None:
        try:
            do(location)
        except Exception as error:  # noqa: BLE001 - logged; the next round tries again
            log.warning("%s of %s failed: %s", work, location, error)

    def roll_up(self) -> None:
        """Delete the superseded versions of the keys with a version since the last time."""
        began = datetime.now(UTC)
        since = self.rolled_up_since - ROLLUP_OVERLAP
        for location, key in self.versioned_tables:

            def drop(at: str, key: tuple[str, ...] = key) -> None:
                maintenance.drop_superseded_versions(self.spark, at, key, since)

            self.attempt("deletion of superseded versions", location, drop)
        self.rolled_up_since = began

    def checkpoint_if_due(self, location: str) -> None:
        version = maintenance.table_version(self.spark, location)
        if version - self.checkpointed.get(location, -1) >= LOG_CHECKPOINT_COMMITS:
            maintenance.checkpoint(self.spark, location)
            self.checkpointed[location] = version

    def compact_if_due(self, location: str) -> None:
        version = maintenance.table_version(self.spark, location)
        # Counted from the start: small files a previous run left are compacted with the next.
        since = self.compacted.setdefault(location, version)
        due = LIVE_COMPACT_COMMITS if location in self.versioned_locations else COMPACT_COMMITS
        if version - since >= due:
            maintenance.compact(self.spark, location)
            self.compacted[location] = version

    def clean_up_log(self, location: str) -> None:
        maintenance.clean_up_log(self.spark, location)

    def vacuum(self, location: str) -> None:
        maintenance.vacuum(self.spark, location)
