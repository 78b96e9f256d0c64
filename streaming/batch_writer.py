"""foreachBatch: a micro-batch's raw, bad and live rows, from one cached batch, each table
exactly once (:mod:`streaming.commit_markers`)."""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from lakehouse.settings import Settings
from lakehouse.tables.live import LIVE_MINUTE_METRICS
from lakehouse.tables.raw import RAW_EVENTS, RAW_EVENTS_BAD
from streaming.commit_markers import batch_marker, has_commit, marked_commits
from streaming.metrics import is_on_time, merged_minute_metrics, minute_metrics, on_time
from streaming.parse import bad_rows, raw_events
from streaming.recent_sketches import RecentSketches, site_sketches, sketch_rows
from streaming.spark_config import execution_mode

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.streaming.query import StreamingQuery

log = logging.getLogger("beacon.streaming")

LIVE_KEY = ("event_date", "site_id", "minute", "dimension", "value")
"""The key of a live.minute_metrics row."""


@dataclass
class RunStats:
    """What the query did since start, for the heartbeat (written from foreachBatch)."""

    good: int = 0
    bad: Counter[str] = field(default_factory=Counter)
    late: int = 0
    batches: int = 0
    on_time: int = 0
    last_batch: dict[str, Any] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def snapshot(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """The totals since start and the last batch's figures, read together."""
        with self.lock:
            totals = {
                "good_rows": self.good,
                "bad_rows_by_reason": dict(self.bad),
                "late_rows": self.late,
                "batches": self.batches,
                "on_time_rows": self.on_time,
            }
            return totals, dict(self.last_batch)


@dataclass(frozen=True)
class BatchSummary:
    """A micro-batch in figures, from one aggregation over its cached rows."""

    good: int
    bad: dict[str, int]
    on_time: int
    first_minute: str | None
    """The earliest minute of an on-time event, as text in the session's time zone (UTC)."""
    hours: tuple[tuple[str, int], ...]
    """The (UTC date, hour)s from the earliest to the latest on-time event: the live
    partitions the batch may touch."""

    @classmethod
    def of(cls, batch: DataFrame, watermark_s: int) -> BatchSummary:
        from pyspark.sql import functions as F

        counted = F.col("bad_reason").isNull() & is_on_time(watermark_s)
        counted_ts = F.when(counted, F.col("client_ts"))
        # Plain sums and bounds (no sets of values): generated code, one pass.
        rows = (
            batch.groupBy("bad_reason")
            .agg(
                F.count(F.lit(1)).alias("rows"),
                F.count_if(counted).alias("on_time"),
                F.date_format(F.min(counted_ts), SPARK_TS_TEXT).alias("first"),
                F.date_format(F.max(counted_ts), SPARK_TS_TEXT).alias("last"),
            )
            .collect()
        )
        good = next((row for row in rows if row["bad_reason"] is None), None)
        first, last = (good["first"], good["last"]) if good else (None, None)
        return cls(
            good=int(good["rows"]) if good else 0,
            bad={row["bad_reason"]: int(row["rows"]) for row in rows if row is not good},
            on_time=int(good["on_time"]) if good else 0,
            first_minute=f"{first[:16]}:00" if first else None,
            hours=hours_between(first, last) if first and last else (),
        )


SPARK_TS_TEXT = "yyyy-MM-dd HH:mm:ss"


def hours_between(first: str, last: str) -> tuple[tuple[str, int], ...]:
    """Every (date, hour) from the hour of ``first`` to that of ``last`` (timestamps as
    text, ``SPARK_TS_TEXT``)."""
    hour = datetime.fromisoformat(first[:13] + ":00:00")
    end = datetime.fromisoformat(last[:13] + ":00:00")
    hours = []
    while hour <= end:
        hours.append((hour.date().isoformat(), hour.hour))
        hour += timedelta(hours=1)
    return tuple(hours)


class StepTimer:
    """Wall time of the named steps of one micro-batch, in ms."""

    def __init__(self) -> None:
        self.ms: dict[str, int] = {}

    @contextmanager
    def __call__(self, step: str) -> Iterator[None]:
        started = time.monotonic()
        try:
            yield
        finally:
            self.ms[step] = round((time.monotonic() - started) * 1000)


def collected(rows: DataFrame) -> DataFrame:
    """``rows`` computed once and held by the driver, as a DataFrame of those values.

    For a micro-batch's live rows, a few per minute, site and dimension value: the MERGE
    copies its source before it reads it twice (Delta materializes any source that is not a
    Delta table, and does not reuse a persisted DataFrame), so a source that is a plan would
    aggregate the batch's events twice; a source of values is copied in no time."""
    from pyspark.sql import DataFrame as SparkDataFrame

    spark = rows.sparkSession
    jdf = spark._jsparkSession.createDataFrame(rows._jdf.collectAsList(), rows._jdf.schema())
    return SparkDataFrame(jdf, spark)


class BatchWriter:
    """foreachBatch: raw rows, then the live rows derived from them, from one cached batch.

    Exactly-once under kill -9: the batch's offsets are in the checkpoint before it runs and
    the dedupe state is that of the previous batch, so a re-run batch has the same rows; it
    skips each table that already has a commit with its marker (:func:`marked_commits`).
    The live MERGE adds the batch to the table, which is right exactly because a re-run
    never adds it twice.
    """

    def __init__(self, settings: Settings, stats: RunStats, recent: RecentSketches) -> None:
        self.raw = settings.table_location(RAW_EVENTS.relative_path)
        self.bad = settings.table_location(RAW_EVENTS_BAD.relative_path)
        self.minutes = settings.table_location(LIVE_MINUTE_METRICS.relative_path)
        self.watermark_s = settings.streaming.watermark_s
        self.stats = stats
        self.recent = recent
        self.query_id = threading.Event()
        self.app_id = ""
        self.previous_rows: int | None = None
        """Rows of the previous micro-batch of this run; None before the first."""

    def bind(self, query: StreamingQuery) -> None:
        self.app_id = f"beacon-stream-{query.id}"
        self.query_id.set()

    def __call__(self, batch: DataFrame, batch_id: int) -> None:
        from pyspark import StorageLevel

        self.query_id.wait(60)
        spark = batch.sparkSession
        for key, value in execution_mode(self.previous_rows).items():
            spark.conf.set(key, value)
        steps = StepTimer()
        marker = batch_marker(self.app_id, batch_id)
        # Only a start's first batch can be a re-run of a written one.
        written = self._written_before(spark, marker) if self.previous_rows is None else set()
        batch.persist(StorageLevel.MEMORY_AND_DISK)
        try:
            with steps("parse"):
                summary = BatchSummary.of(batch, self.watermark_s)
            # One after another, raw first: side by side, the writes compete for the same two
            # cores with Trino and the collector, and both freshness figures got worse.
            with marked_commits(spark, marker):
                if summary.good and self.raw not in written:
                    with steps("raw"):
                        self._append(raw_events(batch), self.raw)
                if summary.bad and self.bad not in written:
                    with steps("bad"):
                        self._append(bad_rows(batch), self.bad)
                if summary.on_time and self.minutes not in written:
                    with steps("live_merge"):
                        self._merge_live(raw_events(batch), summary)
        finally:
            batch.unpersist()
        rows = summary.good + sum(summary.bad.values())
        with self.stats.lock:
            self.stats.good += summary.good
            self.stats.bad.update(summary.bad)
            self.stats.late += summary.good - summary.on_time
            self.stats.batches += 1
            self.stats.on_time += summary.on_time
            self.stats.last_batch = {
                "batch_id": batch_id,
                "rows": rows,
                "steps_ms": steps.ms,
                **({"already_written": sorted(written)} if written else {}),
            }
        self.previous_rows = rows

    def _written_before(self, spark: SparkSession, marker: str) -> set[str]:
        """The tables that already have this batch: a re-run after a crash."""
        written = {
            loc for loc in (self.raw, self.bad, self.minutes) if has_commit(spark, loc, marker)
        }
        if written:
            log.info("streaming: re-run of a written batch (%s); skipping %s", marker, written)
        return written

    @staticmethod
    def _append(rows: DataFrame, location: str) -> None:
        rows.write.format("delta").mode("append").save(location)

    def _merge_live(self, events: DataFrame, summary: BatchSummary) -> None:
        """MERGE the batch's on-time events into live.minute_metrics; their site totals'
        sketches go to the active visitors' :class:`RecentSketches`."""
        from pyspark.sql import functions as F

        rows = collected(
            minute_metrics(on_time(events, self.watermark_s))
            .withColumn("updated_at", F.current_timestamp())
            .select(*LIVE_MINUTE_METRICS.column_names)
        )
        self._merge(rows, summary)
        self.recent.add(sketch_rows(site_sketches(rows).collect()))

    def _merge(self, rows: DataFrame, summary: BatchSummary) -> None:
        from delta.tables import DeltaTable

        partitions = " OR ".join(
            f"(t.event_date = DATE '{date}' AND t.event_hour = {hour})"
            for date, hour in summary.hours
        )
        keys = " AND ".join(f"t.{k} = s.{k}" for k in LIVE_KEY)
        # The partitions and the minute bound let Delta skip files the batch cannot touch.
        bounds = f"({partitions}) AND t.minute >= TIMESTAMP '{summary.first_minute}'"
        (
            DeltaTable.forPath(rows.sparkSession, self.minutes)
            .alias("t")
            .merge(rows.alias("s"), f"{bounds} AND {keys}")
            .whenMatchedUpdate(set=merged_minute_metrics("t", "s"))
            .whenNotMatchedInsertAll()
            .execute()
        )
