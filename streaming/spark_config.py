"""The streaming job's Spark: its session configuration, JVM options, checkpoint root and
the execution mode of each micro-batch."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lakehouse.settings import Settings
from lakehouse.spark import spark_session

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

APP_NAME = "beacon-streaming"
CHECKPOINT_FILE_MANAGER = (
    "org.apache.spark.sql.execution.streaming.checkpointing.FileSystemBasedCheckpointFileManager"
)
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
    # falls back to sort-based aggregation, several times slower for the live metrics.
    "spark.sql.objectHashAggregate.sortBased.fallbackThreshold": "20000",
    # Small micro-batches on few cores: fewer, larger tasks (and state store partitions).
    "spark.sql.shuffle.partitions": "2",
    "spark.sql.streaming.checkpointFileManagerClass": CHECKPOINT_FILE_MANAGER,
    # A micro-batch's rows are cached for the few seconds of its writes: compressing the
    # columns costs more CPU than the memory it saves for that long.
    "spark.sql.inMemoryColumnarStorage.compressed": "false",
    "spark.sql.streaming.stopTimeout": str(QUERY_STOP_TIMEOUT_S * 1000),
    # Delta writes its commits through Hadoop's FileContext; on a local disk the default one
    # adds a checksum sidecar (and a chmod process) to each: files the log directory holds
    # and lists on every snapshot update. (Not FileSystem-wide: RocksDB's state store
    # maintenance needs the checksummed local FileSystem.)
    "spark.hadoop.fs.AbstractFileSystem.file.impl": "org.apache.hadoop.fs.local.RawLocalFs",
    # A job that runs for days keeps the status of its last jobs and SQL executions only
    # (1,000 of each by default, MERGE plans included): less heap, less garbage collection.
    "spark.sql.ui.retainedExecutions": "50",
    "spark.ui.retainedJobs": "100",
    "spark.ui.retainedStages": "100",
    "spark.ui.retainedTasks": "2000",
}


STREAMING_JAVA_OPTIONS = ("-XX:+UseParallelGC",)
"""The throughput collector: on few cores, G1's concurrent work and write barriers take time
from the micro-batches (``bench/stream_throughput``), and the freshness of small batches is
the same under both (docs/tuning.md)."""


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


COMPILED_BATCH_ROWS = 5_000
"""From this many rows in the previous micro-batch on, the next one runs with generated code."""


def execution_mode(previous_rows: int | None) -> dict[str, str]:
    """How Spark evaluates the next micro-batch. Generating and compiling code costs a fixed
    time per batch whatever its size, which dominates a batch of a few hundred events; a
    batch after a small one (the steady state of a live site) is interpreted, one after a
    large one (a backlog, a spike) or the first after a start is compiled."""
    compiled = previous_rows is None or previous_rows >= COMPILED_BATCH_ROWS
    return {
        "spark.sql.codegen.wholeStage": str(compiled).lower(),
        "spark.sql.codegen.factoryMode": "FALLBACK" if compiled else "NO_CODEGEN",
    }
