"""The streaming application: wires the pure transforms of :mod:`streaming.parse` and
:mod:`streaming.metrics` to Kafka and Delta.

One query reads the Kafka topics ``events.v1`` and ``events.bad`` -> parse (the whole
events.v1 contract; a collector's bad row as it is) -> drop repeated event_ids
(processing-time window) -> foreachBatch (:class:`~streaming.batch_writer.BatchWriter`),
which, for each micro-batch:

1. appends good rows to raw.events and every bad row to raw.events_bad;
2. aggregates the batch's on-time events into per-minute partial rows, adds them to the keys'
   totals the job keeps (counts, visitor sketches united) and appends the keys' new versions
   to live.minute_metrics and live.daily_metrics (:mod:`streaming.live_writer`): appends
   only, no MERGE on the batches' path.

Each table gets a batch exactly once (:mod:`streaming.commit_markers`). Parsing once per
batch and writing raw and live from the same cached rows is what keeps both fresh within
seconds. Beside the query, a thread appends live.active_visitors every few seconds
(:mod:`streaming.active_visitors`), another keeps the tables in shape and deletes the live
tables' superseded versions (:mod:`streaming.maintenance_thread`), and the main loop rewrites
the heartbeat file.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from typing import TYPE_CHECKING

from lakehouse.columns import Table
from lakehouse.settings import Settings
from lakehouse.tables.live import LIVE_TABLES
from lakehouse.tables.raw import RAW_EVENTS, RAW_EVENTS_BAD
from streaming.active_visitors import ActiveVisitors
from streaming.batch_writer import BatchWriter, RunStats
from streaming.heartbeat import ProgressListener, jvm_pid, memory
from streaming.kafka_source import kafka_records
from streaming.maintenance_thread import TableMaintenance
from streaming.parse import parse_records
from streaming.progress import progress_path, write_progress
from streaming.recent_sketches import RecentSketches
from streaming.spark_config import QUERY_STOP_TIMEOUT_S, checkpoint_root, start_spark

if TYPE_CHECKING:
    from pyspark.sql import SparkSession
    from pyspark.sql.streaming.query import StreamingQuery

log = logging.getLogger("beacon.streaming")

STREAM_TABLES: tuple[Table, ...] = (RAW_EVENTS, RAW_EVENTS_BAD, *LIVE_TABLES)
QUERY_NAME = "events"


def ensure_tables(spark: SparkSession, settings: Settings) -> None:
    from lakehouse.provision import create_delta_tables

    create_delta_tables(spark, settings, STREAM_TABLES, log.info)


def start_query(
    spark: SparkSession, settings: Settings, stats: RunStats, recent: RecentSketches
) -> StreamingQuery:
    from pyspark.sql import functions as F

    stream = settings.streaming
    writer = BatchWriter(settings, stats, recent)
    parsed = parse_records(kafka_records(spark, settings), settings.kafka.bad_topic)
    # The dedupe window runs on processing time (the micro-batch's timestamp, the same when
    # a batch is re-run), not on event time: every record is newer than the watermark, so
    # no late record is ever dropped from raw; a repeat of an event_id is dropped while it
    # arrives within the window.
    deduplicated = (
        parsed.withColumn("ingested_at", F.current_timestamp())
        .withWatermark("ingested_at", f"{stream.dedupe_window_s} seconds")
        .dropDuplicatesWithinWatermark(["dedupe_key"])
    )
    query = (
        deduplicated.writeStream.queryName(QUERY_NAME)
        .foreachBatch(writer)
        .option("checkpointLocation", f"{checkpoint_root(settings)}/{QUERY_NAME}")
        .trigger(processingTime=f"{stream.trigger_interval_s} seconds")
        .start()
    )
    writer.bind(query)
    return query


def stop_between_batches(query: StreamingQuery, timeout_s: float) -> None:
    """Let the running batch finish, then stop. A trigger that starts in between is cut
    short by stop(); it is re-run from the checkpoint on the next start."""
    deadline = time.monotonic() + timeout_s
    while query.isActive and query.status.get("isTriggerActive") and time.monotonic() < deadline:
        time.sleep(0.1)
    try:
        query.stop()
    except Exception as error:  # noqa: BLE001 - the query's thread did not end (Kafka gone?)
        log.warning(
            "streaming: %s did not stop within %d s; stopping Spark: %s",
            query.name,
            QUERY_STOP_TIMEOUT_S,
            str(error).splitlines()[0] if str(error) else type(error).__name__,
        )


def run(settings: Settings, stop: threading.Event) -> int:
    """Run until ``stop`` is set or a query fails; the process exit code."""
    from lakehouse.provision import TableLayoutMismatch

    spark = start_spark(settings)
    try:
        ensure_tables(spark, settings)
    except TableLayoutMismatch as error:
        log.error("streaming: %s", error)
        spark.stop()
        return 2
    stats = RunStats()
    recent = RecentSketches()
    listener = ProgressListener()
    spark.streams.addListener(listener)
    queries = {QUERY_NAME: start_query(spark, settings, stats, recent)}
    active = ActiveVisitors(settings, spark, recent, stop)
    active.start()
    maintenance = TableMaintenance(settings, spark, stop, STREAM_TABLES)
    maintenance.start()
    log.info("streaming: query started; checkpoint in %s", checkpoint_root(settings))
    interval = settings.streaming.trigger_interval_s
    path = progress_path(settings)
    started = time.time()
    java_pid = jvm_pid(spark)
    failed: str | None = None
    while not stop.is_set():
        tick = time.monotonic()
        failed = next((n for n, q in queries.items() if not q.isActive), None)
        if failed is not None:
            break
        totals, last_batch = stats.snapshot()
        write_progress(
            path,
            {
                "pid": os.getpid(),
                "jvm_pid": java_pid,
                "started_at": started,
                "written_at": time.time(),
                "trigger_interval_s": interval,
                "active_visitors": {"as_of": active.as_of, "refresh_ms": active.refresh_ms},
                "queries": {name: listener.query_progress(name, q) for name, q in queries.items()},
                "since_start": totals,
                "last_batch": last_batch,
                "memory": memory(spark, java_pid),
            },
        )
        stop.wait(max(0.0, interval - (time.monotonic() - tick)))
    if failed is not None:
        log.error("streaming: query %s failed: %s", failed, queries[failed].exception())
    for name, query in queries.items():
        log.info("streaming: stopping %s after its current batch", name)
        stop_between_batches(query, timeout_s=120)
    stop.set()  # also when a query failed: the active visitors thread ends its round
    active.join(timeout=60)
    maintenance.join(timeout=60)
    spark.stop()
    log.info("streaming: stopped")
    return 1 if failed is not None else 0


def install_stop_signals(stop: threading.Event) -> None:
    def request_stop(signum: int, _frame: object) -> None:
        log.info("streaming: %s received; finishing the current batch", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
