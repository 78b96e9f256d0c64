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
from functools import partial
from typing import TYPE_CHECKING, Any

from lakehouse.settings import Settings
from lakehouse.tables.raw import RAW_EVENTS, RAW_EVENTS_BAD
from streaming.commit_markers import batch_marker, current_marker, has_commit, marked_commits
from streaming.concurrent_writes import ConcurrentWrites, wait_all
from streaming.live_writer import LiveWriter
from streaming.metrics import is_on_time
from streaming.parse import bad_rows, raw_events
from streaming.recent_sketches import RecentSketches
from streaming.small_appends import DRIVER_APPEND_ROWS, DeltaRsAppends, appends_through_delta_rs
from streaming.spark_config import execution_mode

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.streaming.query import StreamingQuery

log = logging.getLogger("beacon.streaming")


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

    @classmethod
    def of(cls, batch: DataFrame, watermark_s: int) -> BatchSummary:
        from pyspark.sql import functions as F

        counted = F.col("bad_reason").isNull() & is_on_time(watermark_s)
        # Plain counts (no sets of values): generated code, one pass.
        rows = (
            batch.groupBy("bad_reason")
            .agg(F.count(F.lit(1)).alias("rows"), F.count_if(counted).alias("on_time"))
            .collect()
        )
        good = next((row for row in rows if row["bad_reason"] is None), None)
        return cls(
            good=int(good["rows"]) if good else 0,
            bad={row["bad_reason"]: int(row["rows"]) for row in rows if row is not good},
            on_time=int(good["on_time"]) if good else 0,
        )


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


class BatchWriter:
    """foreachBatch: raw rows, then the live rows derived from them, from one cached batch.

    Exactly-once under kill -9: the batch's offsets are in the checkpoint before it runs and
    the dedupe state is that of the previous batch, so a re-run batch has the same rows; it
    skips each table that already has a commit with its marker (:func:`marked_commits`).
    The live rows are new versions of the keys' totals (:class:`LiveWriter`), right exactly
    because a re-run never adds a batch twice.
    """

    def __init__(self, settings: Settings, stats: RunStats, recent: RecentSketches) -> None:
        self.raw = settings.table_location(RAW_EVENTS.relative_path)
        self.bad = settings.table_location(RAW_EVENTS_BAD.relative_path)
        self.live = LiveWriter(settings, recent)
        self.writes = ConcurrentWrites()
        self.delta_rs = DeltaRsAppends()
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
            # The raw append runs beside the live rows' aggregation and their appends
            # (ConcurrentWrites); every write of the batch has ended before its marker is
            # unset and the batch counts as done.
            with marked_commits(spark, marker):
                pending = []
                if summary.good and self.raw not in written:
                    pending.append(
                        self.writes.submit(
                            spark,
                            "raw",
                            lambda: self._append(raw_events(batch), self.raw, summary.good),
                        )
                    )
                if summary.bad and self.bad not in written:
                    pending.append(
                        self.writes.submit(
                            spark,
                            "bad",
                            lambda: self._append(
                                bad_rows(batch), self.bad, sum(summary.bad.values())
                            ),
                        )
                    )
                try:
                    if summary.on_time and not written.issuperset(self.live.locations):
                        with steps("live_rows"):
                            rows = self.live.partial_rows(raw_events(batch))
                        with steps("live_append"):
                            self.live.write(spark, rows, written, partial(self.writes.run, spark))
                finally:
                    wait_all(pending)
                    steps.ms.update(self.writes.take_ms())
        finally:
            batch.unpersist()
        count = summary.good + sum(summary.bad.values())
        with self.stats.lock:
            self.stats.good += summary.good
            self.stats.bad.update(summary.bad)
            self.stats.late += summary.good - summary.on_time
            self.stats.batches += 1
            self.stats.on_time += summary.on_time
            self.stats.last_batch = {
                "batch_id": batch_id,
                "rows": count,
                "steps_ms": steps.ms,
                **({"already_written": sorted(written)} if written else {}),
            }
        self.previous_rows = count

    def _written_before(self, spark: SparkSession, marker: str) -> set[str]:
        """The tables that already have this batch: a re-run after a crash."""
        written = {
            loc
            for loc in (self.raw, self.bad, *self.live.locations)
            if has_commit(spark, loc, marker)
        }
        if written:
            log.info("streaming: re-run of a written batch (%s); skipping %s", marker, written)
        return written

    def _append(self, rows: DataFrame, location: str, count: int) -> None:
        """A few rows are collected and appended by delta-rs, many written by Spark's tasks."""
        if count < DRIVER_APPEND_ROWS and appends_through_delta_rs(location):
            marker = current_marker(rows.sparkSession)
            self.delta_rs.append_arrow(location, rows.toArrow(), marker)
        else:
            rows.write.format("delta").mode("append").save(location)
