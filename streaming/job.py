"""The streaming application: wires the pure transforms of :mod:`streaming.parse` and
:mod:`streaming.metrics` to Kafka and Delta.

One query reads Kafka ``events.v1`` -> parse -> drop repeated event_ids (processing-time
window) -> foreachBatch, which, for each micro-batch:

1. appends good rows to raw.events and rejected ones to raw.events_bad;
2. aggregates the batch's on-time events into per-minute partial rows and MERGEs them into
   live.minute_metrics, adding counts and uniting visitor sketches.

Every commit of batch N carries the marker "<query id> batch N" in its commitInfo
(:func:`marked_commits`); the one batch that can be a re-run after a crash (the first after a
start: same offsets from the checkpoint, same dedupe state) skips each table whose recent
commits already have its marker, so nothing is written twice. Parsing once per batch and
writing raw and live from the same cached rows is what keeps both fresh within seconds.
A thread appends live.active_visitors every few seconds from the site totals' sketches the
batches hand it (:class:`RecentSketches`); the main loop rewrites the heartbeat file.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lakehouse.columns import Table
from lakehouse.delta_properties import (
    COMPACTED_IN_BACKGROUND,
    DEFERRED_LOG_CHECKPOINTS,
    STREAMED_FILE_RETENTION,
    STREAMED_LOG_RETENTION,
)
from lakehouse.dimensions import TOTAL_DIMENSION
from lakehouse.settings import Settings
from lakehouse.spark import spark_session
from lakehouse.tables.live import (
    ACTIVE_VISITOR_WINDOWS,
    LIVE_ACTIVE_VISITORS,
    LIVE_MINUTE_METRICS,
    LIVE_TABLES,
)
from lakehouse.tables.raw import RAW_EVENTS, RAW_EVENTS_BAD
from streaming.metrics import (
    active_visitors,
    is_on_time,
    merged_minute_metrics,
    minute_metrics,
    on_time,
)
from streaming.parse import RECORD_COLUMNS, bad_rows, parse_records, raw_events
from streaming.progress import progress_path, write_progress

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.streaming.query import StreamingQuery

log = logging.getLogger("beacon.streaming")

APP_NAME = "beacon-streaming"
STREAM_TABLES: tuple[Table, ...] = (RAW_EVENTS, RAW_EVENTS_BAD, *LIVE_TABLES)
CHECKPOINT_FILE_MANAGER = (
    "org.apache.spark.sql.execution.streaming.checkpointing.FileSystemBasedCheckpointFileManager"
)
ACTIVE_REFRESH_S = 5.0
"""How often live.active_visitors is rewritten (never more often than the trigger)."""
QUERY_NAME = "events"
LIVE_KEY = ("event_date", "site_id", "minute", "dimension", "value")
"""The key of a live.minute_metrics row."""
KAFKA_FETCH_MAX_WAIT_MS = 20
KAFKA_TASK_RECORDS = 10_000
"""A micro-batch reads at most this many records of a Kafka partition per task: a backlog's
batch is split into many even tasks rather than one per partition (three partitions on two
cores leave one core idle for a third of the read)."""
QUERY_STOP_TIMEOUT_S = 30
"""How long a stop waits for the query's thread once the running batch is given up (Spark
waits forever by default: a trigger stuck on a Kafka that is gone never ends)."""
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
    # Small micro-batches on few cores: fewer, larger tasks (and state store partitions).
    "spark.sql.shuffle.partitions": "2",
    "spark.sql.streaming.checkpointFileManagerClass": CHECKPOINT_FILE_MANAGER,
    # A micro-batch's rows are cached for the few seconds of its writes: compressing the
    # columns costs more CPU than the memory it saves for that long.
    "spark.sql.inMemoryColumnarStorage.compressed": "false",
    "spark.sql.streaming.stopTimeout": str(QUERY_STOP_TIMEOUT_S * 1000),
    # Delta writes its commits through Hadoop's FileContext; on a local disk the default one
    # adds a checksum sidecar (and a chmod process) to each: a quarter of the files the log
    # directory holds and lists on every snapshot update. (Not FileSystem-wide: RocksDB's
    # state store maintenance needs the checksummed local FileSystem.)
    "spark.hadoop.fs.AbstractFileSystem.file.impl": "org.apache.hadoop.fs.local.RawLocalFs",
    # A job that runs for days keeps the status of its last jobs and SQL executions only
    # (1,000 of each by default, MERGE plans included): less heap, less garbage collection.
    "spark.sql.ui.retainedExecutions": "50",
    "spark.ui.retainedJobs": "100",
    "spark.ui.retainedStages": "100",
    "spark.ui.retainedTasks": "2000",
}


STREAMING_JAVA_OPTIONS = ("-XX:+UseParallelGC",)
"""The throughput collector: on two cores, G1's concurrent work and write barriers cost the
micro-batches about a tenth of their time (``bench/stream_throughput``: about 20.7k -> 23.1k
events/s), and the freshness of small batches is the same under both."""


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
        java_options=STREAMING_JAVA_OPTIONS,
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
        # A task's consumer may have a fetch in flight past the batch's last offset; the
        # broker holds it until data arrives or this wait ends (500 ms by default), and the
        # task waits for it before it can seek: half a second on most micro-batches.
        .option("kafka.fetch.max.wait.ms", str(KAFKA_FETCH_MAX_WAIT_MS))
        .option("maxRecordsPerPartition", str(KAFKA_TASK_RECORDS))
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
    """What the query did since start, for the heartbeat (written from foreachBatch)."""

    good: int = 0
    bad: Counter[str] = field(default_factory=Counter)
    late: int = 0
    batches: int = 0
    on_time: int = 0
    last_batch: dict[str, Any] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


COMMIT_MARKER_CONF = "spark.databricks.delta.commitInfo.userMetadata"
MARKER_LOOKBACK_COMMITS = 1000
"""How far back a table's history is searched for a re-run batch's marker: the batch was
the job's last write, so only commits by other writers (compaction, erasure) while the job
was down can come after it."""


def batch_marker(app_id: str, batch_id: int) -> str:
    return f"{app_id} batch {batch_id}"


@contextmanager
def marked_commits(spark: SparkSession, marker: str) -> Iterator[None]:
    """Every Delta commit inside the block (appends and MERGE) carries ``marker`` as its
    commitInfo.userMetadata, in the same atomic commit as its rows.

    Delta's own idempotent pair (txnAppId/txnVersion) is not used: checking it reads the
    table's SetTransactions from a full state reconstruction of each new snapshot, a Spark
    job of about 200 ms per table and micro-batch, while only a start's first batch can be
    a re-run (Spark re-runs just the batch whose offsets were logged and not committed)."""
    spark.conf.set(COMMIT_MARKER_CONF, marker)
    try:
        yield
    finally:
        spark.conf.unset(COMMIT_MARKER_CONF)


def has_commit(
    spark: SparkSession, location: str, marker: str, lookback: int = MARKER_LOOKBACK_COMMITS
) -> bool:
    """Whether one of the table's last ``lookback`` commits carries ``marker``."""
    from delta.tables import DeltaTable
    from pyspark.sql import functions as F

    history = DeltaTable.forPath(spark, location).history(lookback)
    return bool(history.where(F.col("userMetadata") == marker).limit(1).collect())


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


SiteMinute = tuple[str, int]
"""(site_id, minute as epoch seconds): the key of a site total's visitor sketch."""
SiteSketch = tuple[str, int, bytes]


def site_sketches(minute_rows: DataFrame) -> DataFrame:
    """live.minute_metrics rows (or a batch's partial ones) -> the site totals' sketches."""
    from pyspark.sql import functions as F

    return minute_rows.where(
        (F.col("dimension") == TOTAL_DIMENSION) & F.col("visitors_sketch").isNotNull()
    ).select("site_id", F.unix_seconds("minute").alias("minute_s"), "visitors_sketch")


def minute_start_s(now: datetime) -> int:
    """The start of ``now``'s minute, in epoch seconds (the keys of :class:`RecentSketches`)."""
    return int(now.timestamp()) // 60 * 60


def sketch_rows(rows: Iterable[Any]) -> list[SiteSketch]:
    return [(r["site_id"], int(r["minute_s"]), bytes(r["visitors_sketch"])) for r in rows]


class RecentSketches:
    """The visitor sketches of each site's total per minute, for the longest active-visitor
    window: what live.active_visitors is computed from, kept by the job (fed by each
    micro-batch's partial rows) rather than re-read from live.minute_metrics on every refresh.

    A key holds the partial sketches added since the last :meth:`fold`, which replaces the
    ones it saw by their union. A union is idempotent and order-free, so a partial added
    twice (a re-run batch after the start's read of the table) changes nothing."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.sketches: dict[SiteMinute, list[bytes]] = {}

    def add(self, rows: Iterable[SiteSketch]) -> None:
        with self.lock:
            for site_id, minute_s, sketch in rows:
                self.sketches.setdefault((site_id, minute_s), []).append(sketch)

    def recent(self, now: datetime) -> list[SiteSketch]:
        """Every sketch of the longest window up to ``now``; older keys are dropped."""
        oldest = minute_start_s(now) - (max(ACTIVE_VISITOR_WINDOWS) - 1) * 60
        with self.lock:
            for key in [key for key in self.sketches if key[1] < oldest]:
                del self.sketches[key]
            return [(*key, s) for key, kept in self.sketches.items() for s in kept]

    def fold(self, seen: list[SiteSketch], unions: dict[SiteMinute, bytes]) -> None:
        """Replace the sketches in ``seen`` (from :meth:`recent`) by their unions per key;
        the ones added since stay beside the union."""
        counts = Counter((site_id, minute_s) for site_id, minute_s, _ in seen)
        with self.lock:
            for key, union in unions.items():
                kept = self.sketches.get(key)
                if kept is not None:
                    self.sketches[key] = [union, *kept[counts[key] :]]


SITE_SKETCH_SCHEMA = "site_id STRING NOT NULL, minute_s BIGINT NOT NULL, visitors_sketch BINARY"
FOLD_EVERY_REFRESHES = 12
"""How often (about once a minute) the active visitors' sketches are united per key."""
ACTIVE_HISTORY = timedelta(minutes=10)
"""How long live.active_visitors keeps a refresh's rows (the serving view shows the latest)."""


class ActiveVisitors(threading.Thread):
    """live.active_visitors, from the per-minute sketches of :class:`RecentSketches`, every
    few seconds by a thread of its own, beside the query rather than inside each micro-batch
    (so it never delays raw or live rows, nor the heartbeat), and also while no events
    arrive (so the windows move on when a site goes quiet).

    Each refresh appends its rows with their ``as_of`` (a blind append: no read of the
    table's state, where a rewrite costs a state reconstruction every time); a site that
    just left the 30-minute window gets zeros once; rows older than :data:`ACTIVE_HISTORY`
    are deleted every so often. ``serving.live_active_visitors`` shows the latest refresh."""

    def __init__(
        self,
        settings: Settings,
        spark: SparkSession,
        recent: RecentSketches,
        stop: threading.Event,
    ) -> None:
        super().__init__(name="active-visitors", daemon=True)
        self.minutes = settings.table_location(LIVE_MINUTE_METRICS.relative_path)
        self.location = settings.table_location(LIVE_ACTIVE_VISITORS.relative_path)
        self.every_s = max(ACTIVE_REFRESH_S, settings.streaming.trigger_interval_s)
        # A session of its own: the micro-batch's settings (commit marker, execution mode)
        # never apply to this thread's writes.
        self.spark = spark.newSession()
        for key, value in execution_mode(0).items():  # a few rows each time
            self.spark.conf.set(key, value)
        self.recent = recent
        self.stop = stop
        self.as_of: str | None = None
        self.refresh_ms: int | None = None
        self.sites: set[str] = set()
        self.refreshes = 0
        self.pruned_at = 0.0

    def run(self) -> None:
        try:
            self.recent.add(self.stored_sketches())
        except Exception as error:  # a transient read error: the batches still feed it
            log.warning("active visitors: live.minute_metrics not read: %s", error)
        while not self.stop.is_set():
            started = time.monotonic()
            try:
                self.refresh(datetime.now(UTC))
                self.refresh_ms = round((time.monotonic() - started) * 1000)
            except Exception as error:  # a concurrent schema change or a transient error
                log.warning("active visitors not refreshed: %s", error)
            self.stop.wait(max(0.0, self.every_s - (time.monotonic() - started)))

    def stored_sketches(self) -> list[SiteSketch]:
        """The sites' per-minute sketches of the longest window, as the table has them."""
        from pyspark.sql import functions as F

        since = datetime.now(UTC) - timedelta(minutes=max(ACTIVE_VISITOR_WINDOWS))
        minutes = (
            self.spark.read.format("delta")
            .load(self.minutes)
            .where(F.col("event_date") >= F.lit(since.date()))
            .where(F.col("minute") >= F.lit(since))
        )
        return sketch_rows(site_sketches(minutes).collect())

    def refresh(self, now: datetime) -> None:
        if self.refreshes % FOLD_EVERY_REFRESHES == 0:
            self.fold(now)
        self.refreshes += 1
        seen = self.recent.recent(now)
        sites = {site for site, minute_s, _ in seen if minute_s <= minute_start_s(now)}
        left = self.sites - sites
        if sites or left:
            rows = active_visitors(self.minute_rows(seen), now)
            if left:  # a site that just left the longest window: zeros once, then no rows
                zeros = [(site, w, 0, now) for site in left for w in ACTIVE_VISITOR_WINDOWS]
                rows = rows.unionByName(
                    self.spark.createDataFrame(zeros, LIVE_ACTIVE_VISITORS.spark_schema())
                )
            rows.write.format("delta").mode("append").save(self.location)
        self.sites = sites
        self.as_of = now.isoformat()
        if time.monotonic() - self.pruned_at > ACTIVE_HISTORY.total_seconds():
            self.prune(now - ACTIVE_HISTORY)
            self.pruned_at = time.monotonic()

    def minute_rows(self, sketches: list[SiteSketch]) -> DataFrame:
        """Site-total rows of live.minute_metrics (the columns :func:`active_visitors` reads)."""
        from pyspark.sql import functions as F

        return self.spark.createDataFrame(sketches, SITE_SKETCH_SCHEMA).select(
            "site_id",
            F.timestamp_seconds("minute_s").alias("minute"),
            F.lit(TOTAL_DIMENSION).alias("dimension"),
            "visitors_sketch",
        )

    def fold(self, now: datetime) -> None:
        """Unite each key's sketches (:meth:`RecentSketches.fold`)."""
        from pyspark.sql import functions as F

        seen = self.recent.recent(now)
        if not seen:
            return
        unions = (
            self.spark.createDataFrame(seen, SITE_SKETCH_SCHEMA)
            .groupBy("site_id", "minute_s")
            .agg(F.hll_union_agg("visitors_sketch").alias("visitors_sketch"))
            .collect()
        )
        self.recent.fold(seen, {(site, minute_s): s for site, minute_s, s in sketch_rows(unions)})

    def prune(self, before: datetime) -> None:
        from delta.tables import DeltaTable
        from pyspark.sql import functions as F

        DeltaTable.forPath(self.spark, self.location).delete(F.col("as_of") < F.lit(before))


LOG_CHECKPOINT_COMMITS = 10
"""A streamed table's Delta log is checkpointed once it has this many commits past the last
checkpoint (Delta's default interval; every 100 made freshness worse: readers replay longer
JSON tails)."""
COMPACT_COMMITS = 25
"""An append-only streamed table is compacted once it has this many commits past the last
compaction (about 50 new files, Delta's auto compaction threshold)."""
MAINTENANCE_CONF = {
    # Files under 8 MiB are compacted (Delta's OPTIMIZE takes every file under 1 GiB, its auto
    # compaction every file under 64 MiB): each compaction rewrites at most a few MiB besides
    # the new small files, not the day's events so far.
    "spark.databricks.delta.optimize.minFileSize": str(8 * 1024 * 1024),
    "spark.databricks.delta.optimize.maxFileSize": str(128 * 1024 * 1024),
    # VACUUM lists a table's directories in this many tasks (10,000 by default: minutes of
    # task overhead on two cores for a table of a few hundred files).
    "spark.sql.sources.parallelPartitionDiscovery.parallelism": "2",
}
MAINTENANCE_POLL_S = 2.0
VACUUM_EVERY_S = 3600.0
"""How often the streamed tables' removed files are deleted (those past their retention)."""
LOG_CLEANUP_EVERY_S = 300.0
"""How often the Delta log files past a table's log retention are deleted."""
FIRST_CLEANUP_AFTER_S = 600.0
"""The first log cleanup and VACUUM after a start wait this long: past the start's first
batch, which may look for its own commit in the log (a re-run), and not beside it."""


class TableMaintenance(threading.Thread):
    """The streamed tables' housekeeping, by a thread of its own beside the query.

    - Delta log checkpoints. Delta writes one in the committing thread, every 10th commit by
      default: a state reconstruction and a Parquet write of half a second or more, which
      every tenth micro-batch would wait for before its next table. The tables whose
      checkpoint interval defers to this thread (:data:`DEFERRED_LOG_CHECKPOINTS`) are
      checkpointed here as often, from the snapshot the job's own commits keep up to date,
      so readers still replay a short JSON tail.
    - Compaction of the append-only tables (:data:`COMPACTED_IN_BACKGROUND`) every 25
      commits, of files under 8 MiB (:data:`MAINTENANCE_CONF`); appends never conflict with it.
    - Deletion of Delta log files past the log retention (:data:`STREAMED_LOG_RETENTION`)
      every five minutes, the first ten minutes after the start; Delta's own cleanup keeps
      everything since the day's start.
    - VACUUM of the streamed tables (:data:`STREAMED_FILE_RETENTION`) every hour, the first
      ten minutes after the start: each micro-batch's MERGE, each compaction and each pruning
      of active visitors leaves removed files behind, about one a second while the job runs."""

    def __init__(self, settings: Settings, spark: SparkSession, stop: threading.Event) -> None:
        super().__init__(name="table-maintenance", daemon=True)

        def tables_with(setting: tuple[str, str]) -> list[str]:
            """The locations of the streamed tables created with this Delta property."""
            return [
                settings.table_location(table.relative_path)
                for table in STREAM_TABLES
                if setting in table.properties
            ]

        self.checkpointed_tables = tables_with(DEFERRED_LOG_CHECKPOINTS)
        self.compacted_tables = tables_with(COMPACTED_IN_BACKGROUND)
        self.log_cleaned_tables = tables_with(STREAMED_LOG_RETENTION)
        self.vacuumed_tables = tables_with(STREAMED_FILE_RETENTION)
        self.spark = spark.newSession()
        for key, value in MAINTENANCE_CONF.items():
            self.spark.conf.set(key, value)
        self.stop = stop
        self.checkpointed: dict[str, int] = {}
        """The version each table was last checkpointed at by this thread."""
        self.compacted: dict[str, int] = {}
        """The version each table was last compacted at by this thread."""
        self.vacuum_due = time.monotonic() + FIRST_CLEANUP_AFTER_S
        self.log_cleanup_due = time.monotonic() + FIRST_CLEANUP_AFTER_S

    def run(self) -> None:
        while not self.stop.wait(MAINTENANCE_POLL_S):
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
        except Exception as error:  # the next round tries again
            log.warning("%s of %s failed: %s", work, location, error)

    def delta_log(self, location: str) -> Any:
        """The table's DeltaLog (JVM): its snapshot is the one the job's commits keep current."""
        jvm = self.spark.sparkContext._jvm
        assert jvm is not None
        return jvm.org.apache.spark.sql.delta.DeltaLog.forTable(self.spark._jsparkSession, location)

    def version(self, location: str) -> int:
        """The table's latest version, as the job's own commits keep it (no listing)."""
        return int(self.delta_log(location).unsafeVolatileSnapshot().version())

    def checkpoint_if_due(self, location: str) -> None:
        version = self.version(location)
        if version - self.checkpointed.get(location, -1) >= LOG_CHECKPOINT_COMMITS:
            self.delta_log(location).checkpoint()
            self.checkpointed[location] = version

    def compact_if_due(self, location: str) -> None:
        from delta.tables import DeltaTable

        version = self.version(location)
        # Counted from the start: small files a previous run left are compacted with the next.
        since = self.compacted.setdefault(location, version)
        if version - since >= COMPACT_COMMITS:
            DeltaTable.forPath(self.spark, location).optimize().executeCompaction()
            self.compacted[location] = version

    def clean_up_log(self, location: str) -> None:
        """Delete the log files older than the table's log retention (and than the checkpoint
        that replaces them), with a cutoff to the minute: Delta's own cleanup, after each
        checkpoint, rounds the cutoff down to the day's start."""
        jvm = self.spark.sparkContext._jvm
        assert jvm is not None
        delta_log = self.delta_log(location)
        granularity = getattr(jvm.org.apache.spark.sql.delta, "TruncationGranularity$")
        delta_log.cleanUpExpiredLogs(
            delta_log.unsafeVolatileSnapshot(),
            getattr(delta_log, "cleanUpExpiredLogs$default$2")(),  # no catalog table
            getattr(delta_log, "cleanUpExpiredLogs$default$3")(),  # the table's retention
            getattr(granularity, "MODULE$").MINUTE(),
        )

    def vacuum(self, location: str) -> None:
        """Delete the files the table no longer uses, once older than its retention."""
        from delta.tables import DeltaTable

        started = time.monotonic()
        DeltaTable.forPath(self.spark, location).vacuum()
        log.info("vacuum of %s took %.1f s", location, time.monotonic() - started)


COMPILED_BATCH_ROWS = 5_000
"""From this many rows in the previous micro-batch on, the next one runs with generated code."""


def execution_mode(previous_rows: int | None) -> dict[str, str]:
    """How Spark evaluates the next micro-batch. Generating and compiling code costs about a
    second per batch whatever its size, which dominates a batch of a few hundred events; a
    batch after a small one (the steady state of a live site) is interpreted, one after a
    large one (a backlog, a spike) or the first after a start is compiled."""
    compiled = previous_rows is None or previous_rows >= COMPILED_BATCH_ROWS
    return {
        "spark.sql.codegen.wholeStage": str(compiled).lower(),
        "spark.sql.codegen.factoryMode": "FALLBACK" if compiled else "NO_CODEGEN",
    }


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


def start_query(
    spark: SparkSession, settings: Settings, stats: RunStats, recent: RecentSketches
) -> StreamingQuery:
    from pyspark.sql import functions as F

    stream = settings.streaming
    writer = BatchWriter(settings, stats, recent)
    parsed = parse_records(kafka_records(spark, settings))
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
    try:
        query.stop()
    except Exception as error:  # the query's thread did not end (e.g. Kafka is gone)
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
    queries = {QUERY_NAME: start_query(spark, settings, stats, recent)}
    active = ActiveVisitors(settings, spark, recent, stop)
    active.start()
    maintenance = TableMaintenance(settings, spark, stop)
    maintenance.start()
    log.info("streaming: query started; checkpoint in %s", checkpoint_root(settings))
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
        with stats.lock:
            totals = {
                "good_rows": stats.good,
                "bad_rows_by_reason": dict(stats.bad),
                "late_rows": stats.late,
                "batches": stats.batches,
                "on_time_rows": stats.on_time,
            }
            last_batch = dict(stats.last_batch)
        write_progress(
            path,
            {
                "pid": os.getpid(),
                "jvm_pid": jvm_pid,
                "started_at": started,
                "written_at": time.time(),
                "trigger_interval_s": interval,
                "active_visitors": {"as_of": active.as_of, "refresh_ms": active.refresh_ms},
                "queries": {
                    name: {**query_progress(q), "input_rows_since_start": inputs.update(name, q)}
                    for name, q in queries.items()
                },
                "since_start": totals,
                "last_batch": last_batch,
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
