"""The streaming job's Kafka source: the records of the event topics, as the parse reads them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lakehouse.settings import Settings
from streaming.parse import RECORD_COLUMNS

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

KAFKA_FETCH_MAX_WAIT_MS = 20
KAFKA_TASK_RECORDS = 10_000
"""A micro-batch reads at most this many records of a Kafka partition per task: a backlog's
batch is split into many even tasks rather than one per partition (when partitions do not
divide evenly among the cores, a core idles for part of the read)."""


def kafka_records(spark: SparkSession, settings: Settings) -> DataFrame:
    """The records of ``events.v1`` and of the bad-row topic, in one source: one checkpoint
    and one commit marker per batch keep both exactly once in their tables."""
    from pyspark.sql import functions as F

    topics = f"{settings.kafka.events_topic},{settings.kafka.bad_topic}"
    return (
        spark.readStream.format("kafka")
        .option("kafka.bootstrap.servers", settings.kafka_bootstrap)
        .option("subscribe", topics)
        .option("startingOffsets", "earliest")
        .option("maxOffsetsPerTrigger", settings.streaming.max_offsets_per_trigger)
        # A task's consumer may have a fetch in flight past the batch's last offset; the
        # broker holds it until data arrives or this wait ends (500 ms by default), and the
        # task waits for it before it can seek.
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
