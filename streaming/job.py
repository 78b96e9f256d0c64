"""The streaming application: wires the pure transforms of :mod:`streaming.parse` and
:mod:`streaming.metrics` to Kafka and Delta.

Two queries share one SparkSession:

``raw``   Kafka ``events.v1`` -> parse -> drop repeated event_ids -> foreachBatch: append good
          rows to raw.events and rejected ones to raw.events_bad. Kafka offsets live only in
          this query's checkpoint.
``live``  raw.events (Delta stream) -> watermark on client_ts -> 1-minute windows per site and
          dimension -> foreachBatch: MERGE into live.minute_metrics.

Reading the live query from raw.events instead of Kafka parses and deduplicates once, and
makes every live row a function of raw.events (so closed windows equal a recomputation).
The main loop refreshes live.active_visitors and the heartbeat file every trigger interval.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lakehouse.columns import Table
from lakehouse.settings import Settings
from lakehouse.spark import spark_session
from lakehouse.tables import (
    ACTIVE_VISITOR_WINDOWS,
    LIVE_ACTIVE_VISITORS,
    LIVE_MINUTE_METRICS,
    LIVE_TABLES,
    RAW_EVENTS,
    RAW_EVENTS_BAD,
    TOTAL_DIMENSION,
)
from streaming.metrics import active_visitors, minute_metrics
from streaming.parse import RECORD_COLUMNS, bad_rows, parse_records, raw_events
from streaming.progress import progress_path, write_progress

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.streaming.query import StreamingQuery

log = logging.getLogger("beacon.streaming")

APP_NAME = "beacon-streaming"
STREAM_TABLES: tuple[Table, ...] = (RAW_EVENTS, RAW_EVENTS_BAD, *LIVE_TABLES)
ROCKSDB = "org.apache.spark.sql.execution.streaming.state.RocksDBStateStoreProvider"


def checkpoint_root(settings: Settings) -> str:
    uri = settings.streaming.checkpoint_uri
    return uri.rstrip("/") if uri else str(settings.state_path / "streaming" / "checkpoints")


STREAMING_CONF = {
    "spark.sql.streaming.stateStore.providerClass": ROCKSDB,
    "spark.sql.streaming.stateStore.rocksdb.changelogCheckpointing.enabled": "true",
    "spark.sql.streaming.minBatchesToRetain": "20",
    "spark.sql.adaptive.enabled": "false",
    # The visitor sketches are object aggregates; past this many keys per task Spark
    # falls back to sort-based aggregation, 3-4x slower for the live metrics.
    "spark.sql.objectHashAggregate.sortBased.fallbackThreshold": "20000",
}


def start_spark(settings: Settings) -> SparkSession:
    """The job's SparkSession with the streaming driver memory, its JVM in a process group
    of its own: a SIGTERM to the service's group reaches only this Python driver, which
    then stops the queries between batches."""
    sized = settings.spark.model_copy(update={"driver_memory": settings.streaming.driver_memory})
    return spark_session(
        settings.model_copy(update={"spark": sized}),
        APP_NAME,
        extra_conf=STREAMING_CONF,
        own_process_group=True,
    )


def ensure_tables(spark: SparkSession, settings: Settings) -> None:
    from lakehouse.provision import create_delta_tables

    create_delta_tables(spark, settings, STREAM_TABLES, log.info)


def kafka_records(spark: SparkSession, settings: Settings) -> DataFrame:
    from pyspark.sql import functions as F

    return (
        spark.readStream.format("kafka")
        .option("kafka.bootstrap.servers", settings.kafka_bootstrap)
        .option("subscribe", settings.kafka.events_topic)
        .option("startingOffsets", "earliest")
        .option("maxOffsetsPerTrigger", settings.streaming.max_offsets_per_trigger)
        .load()
        .select(
            F.col("value").cast("string").alias("value"),
            "topic",
            "partition",
            "offset",
            F.col("timestamp").alias("kafka_ts"),
        )
        .select(*RECORD_COLUMNS)
    )


@dataclass
class RunStats:
    """What the queries did since start, for the heartbeat (written from foreachBatch)."""

    good: int = 0
    bad: Counter[str] = field(default_factory=Counter)
    raw_batches: int = 0
    live_batches: int = 0
    live_rows: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


class RawWriter:
    """foreachBatch of the raw query: append each half of the batch to its table.

    Exactly-once under kill -9: the batch's offsets are in the checkpoint before it runs and
    the dedupe state is that of the previous batch, so a re-run batch has the same rows; each
    append carries (txnAppId = query id, txnVersion = batch id), which Delta records in the
    same commit and uses to skip a batch it already has.
    """

    def __init__(self, settings: Settings, stats: RunStats) -> None:
        self.raw = settings.table_location(RAW_EVENTS.relative_path)
        self.bad = settings.table_location(RAW_EVENTS_BAD.relative_path)
        self.stats = stats
        self.query_id = threading.Event()
        self.app_id = ""

    def bind(self, query: StreamingQuery) -> None:
        self.app_id = f"beacon-raw-{query.id}"
        self.query_id.set()

    def __call__(self, batch: DataFrame, batch_id: int) -> None:
        self.query_id.wait(60)
        batch.persist()
        try:
            counts = {
                row["bad_reason"]: int(row["count"])
                for row in batch.groupBy("bad_reason").count().collect()
            }
            good = counts.pop(None, 0)
            if good:
                self._append(raw_events(batch), self.raw, batch_id)
            if counts:
                self._append(bad_rows(batch), self.bad, batch_id)
        finally:
            batch.unpersist()
        with self.stats.lock:
            self.stats.good += good
            self.stats.bad.update(counts)
            self.stats.raw_batches += 1

    def _append(self, rows: DataFrame, location: str, batch_id: int) -> None:
        (
            rows.write.format("delta")
            .mode("append")
            .option("txnAppId", self.app_id)
            .option("txnVersion", batch_id)
            .save(location)
        )


class MinuteMetricsWriter:
    """foreachBatch of the live query: upsert the windows the batch changed.

    The query runs in update mode, so each row carries the window's full current values;
    MERGE on the row's key then gives the same table whether a batch runs once or again
    after a crash.
    """

    def __init__(self, settings: Settings, stats: RunStats) -> None:
        self.location = settings.table_location(LIVE_MINUTE_METRICS.relative_path)
        self.stats = stats

    def __call__(self, batch: DataFrame, batch_id: int) -> None:
        from delta.tables import DeltaTable
        from pyspark.sql import functions as F

        rows = batch.withColumns(
            {
                "visitors_sketch": F.when(
                    F.col("dimension") == TOTAL_DIMENSION, F.col("visitors_sketch")
                ),
                "updated_at": F.current_timestamp(),
            }
        ).select(*LIVE_MINUTE_METRICS.column_names)
        rows.persist()
        try:
            dates = sorted(r[0] for r in rows.select("event_date").distinct().collect())
            if not dates:
                return
            listed = ", ".join(f"DATE '{d.isoformat()}'" for d in dates)
            keys = ("event_date", "site_id", "minute", "dimension", "value")
            condition = " AND ".join(f"t.{k} = s.{k}" for k in keys)
            (
                DeltaTable.forPath(batch.sparkSession, self.location)
                .alias("t")
                .merge(rows.alias("s"), f"t.event_date IN ({listed}) AND {condition}")
                .whenMatchedUpdateAll()
                .whenNotMatchedInsertAll()
                .execute()
            )
            count = rows.count()
        finally:
            rows.unpersist()
        with self.stats.lock:
            self.stats.live_batches += 1
            self.stats.live_rows += count


def start_raw_query(spark: SparkSession, settings: Settings, stats: RunStats) -> StreamingQuery:
    from pyspark.sql import functions as F

    stream = settings.streaming
    writer = RawWriter(settings, stats)
    parsed = parse_records(kafka_records(spark, settings))
    # The dedupe window runs on processing time (the micro-batch's timestamp), not on event
    # time: every record is newer than the watermark, so no late record is ever dropped from
    # raw; a repeat of an event_id is dropped while it arrives within the window.
    deduplicated = (
        parsed.withColumn("ingested_at", F.current_timestamp())
        .withWatermark("ingested_at", f"{stream.dedupe_window_s} seconds")
        .dropDuplicatesWithinWatermark(["dedupe_key"])
    )
    query = (
        deduplicated.writeStream.queryName("raw")
        .foreachBatch(writer)
        .option("checkpointLocation", f"{checkpoint_root(settings)}/raw")
        .trigger(processingTime=f"{stream.trigger_interval_s} seconds")
        .start()
    )
    writer.bind(query)
    return query


def start_live_query(spark: SparkSession, settings: Settings, stats: RunStats) -> StreamingQuery:
    stream = settings.streaming
    events = (
        spark.readStream.format("delta")
        # Erasure (DELETE) and compaction rewrite raw files; the live side takes only appends.
        .option("skipChangeCommits", "true")
        .load(settings.table_location(RAW_EVENTS.relative_path))
        .withWatermark("client_ts", f"{stream.watermark_s} seconds")
    )
    return (
        minute_metrics(events, stream.uniques_rsd)
        .writeStream.queryName("live")
        .outputMode("update")
        .foreachBatch(MinuteMetricsWriter(settings, stats))
        .option("checkpointLocation", f"{checkpoint_root(settings)}/live")
        .trigger(processingTime=f"{stream.trigger_interval_s} seconds")
        .start()
    )


def refresh_active_visitors(spark: SparkSession, settings: Settings, now: datetime) -> int:
    """Recompute live.active_visitors from the minute sketches; the number of rows."""
    from pyspark.sql import functions as F

    since = now - timedelta(minutes=max(ACTIVE_VISITOR_WINDOWS))
    minutes = (
        spark.read.format("delta")
        .load(settings.table_location(LIVE_MINUTE_METRICS.relative_path))
        .where(F.col("event_date") >= F.lit(since.date()))
        .where(F.col("dimension") == TOTAL_DIMENSION)
    )
    rows = active_visitors(minutes, now).collect()
    frame = spark.createDataFrame(rows, LIVE_ACTIVE_VISITORS.spark_schema())
    frame.write.format("delta").mode("overwrite").save(
        settings.table_location(LIVE_ACTIVE_VISITORS.relative_path)
    )
    return len(rows)


def query_progress(query: StreamingQuery) -> dict[str, Any]:
    last: dict[str, Any] = query.lastProgress or {}
    sources = last.get("sources") or [{}]
    metrics = sources[0].get("metrics") or {}
    return {
        "id": str(query.id),
        "active": query.isActive,
        "trigger_active": bool(query.status.get("isTriggerActive")),
        "batch_id": last.get("batchId"),
        "batch_timestamp": last.get("timestamp"),
        "input_rows": last.get("numInputRows"),
        "input_rows_per_second": last.get("inputRowsPerSecond"),
        "processed_rows_per_second": last.get("processedRowsPerSecond"),
        "batch_duration_ms": (last.get("durationMs") or {}).get("triggerExecution"),
        "durations_ms": last.get("durationMs"),
        "watermark": (last.get("eventTime") or {}).get("watermark"),
        "offsets_behind_latest": metrics.get("maxOffsetsBehindLatest"),
    }


def jvm_memory(spark: SparkSession) -> dict[str, int]:
    runtime = spark.sparkContext._jvm.java.lang.Runtime.getRuntime()  # type: ignore[union-attr]
    return {
        "heap_used_bytes": int(runtime.totalMemory() - runtime.freeMemory()),
        "heap_max_bytes": int(runtime.maxMemory()),
    }


def process_rss_bytes(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


class InputCounter:
    """Rows each query read since start, from its progress reports. An idle report carries
    the id of the batch that runs next, so a batch counts with the largest report of its
    id; batches older than the reports Spark keeps are folded into a settled total."""

    KEEP = 200

    def __init__(self) -> None:
        self.recent: dict[str, dict[int, int]] = {}
        self.settled: Counter[str] = Counter()

    def update(self, name: str, query: StreamingQuery) -> int:
        recent = self.recent.setdefault(name, {})
        for report in query.recentProgress:
            batch_id = int(report["batchId"])
            rows = int(report.get("numInputRows") or 0)
            recent[batch_id] = max(rows, recent.get(batch_id, 0))
        for batch_id in sorted(recent)[: -self.KEEP]:
            self.settled[name] += recent.pop(batch_id)
        return self.settled[name] + sum(recent.values())


def stop_between_batches(query: StreamingQuery, timeout_s: float) -> None:
    """Let the running batch finish, then stop. A trigger that starts in between is cut
    short by stop(); it is re-run from the checkpoint on the next start."""
    deadline = time.monotonic() + timeout_s
    while query.isActive and query.status.get("isTriggerActive") and time.monotonic() < deadline:
        time.sleep(0.1)
    query.stop()


def run(settings: Settings, stop: threading.Event) -> int:
    """Run until ``stop`` is set or a query fails; the process exit code."""
    spark = start_spark(settings)
    ensure_tables(spark, settings)
    stats = RunStats()
    queries = {
        "raw": start_raw_query(spark, settings, stats),
        "live": start_live_query(spark, settings, stats),
    }
    log.info("streaming: queries started; checkpoints in %s", checkpoint_root(settings))
    interval = settings.streaming.trigger_interval_s
    path = progress_path(settings)
    started = time.time()
    jvm_pid = int(spark.sparkContext._jvm.ProcessHandle.current().pid())  # type: ignore[union-attr]
    failed: str | None = None
    inputs = InputCounter()
    while not stop.is_set():
        tick = time.monotonic()
        failed = next((n for n, q in queries.items() if not q.isActive), None)
        if failed is not None:
            break
        active_as_of = None
        try:
            now = datetime.now(UTC)
            refresh_active_visitors(spark, settings, now)
            active_as_of = now.isoformat()
        except Exception as error:  # a concurrent schema change or a transient read error
            log.warning("active visitors not refreshed: %s", error)
        with stats.lock:
            totals = {
                "good_rows": stats.good,
                "bad_rows_by_reason": dict(stats.bad),
                "raw_batches": stats.raw_batches,
                "live_batches": stats.live_batches,
                "live_rows_merged": stats.live_rows,
            }
        write_progress(
            path,
            {
                "pid": os.getpid(),
                "jvm_pid": jvm_pid,
                "started_at": started,
                "written_at": time.time(),
                "trigger_interval_s": interval,
                "active_visitors_as_of": active_as_of,
                "queries": {
                    name: {**query_progress(q), "input_rows_since_start": inputs.update(name, q)}
                    for name, q in queries.items()
                },
                "since_start": totals,
                "memory": {
                    **jvm_memory(spark),
                    "jvm_rss_bytes": process_rss_bytes(jvm_pid),
                    "python_rss_bytes": process_rss_bytes(os.getpid()),
                },
            },
        )
        stop.wait(max(0.0, interval - (time.monotonic() - tick)))
    if failed is not None:
        log.error("streaming: query %s failed: %s", failed, queries[failed].exception())
    for name, query in queries.items():
        log.info("streaming: stopping %s after its current batch", name)
        stop_between_batches(query, timeout_s=120)
    spark.stop()
    log.info("streaming: stopped")
    return 1 if failed is not None else 0


def install_stop_signals(stop: threading.Event) -> None:
    def request_stop(signum: int, _frame: object) -> None:
        log.info("streaming: %s received; finishing the current batch", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
