"""The ceiling `bench.stream_throughput` compares the streaming job with: a bare Spark
Structured Streaming job on the same machine, Spark settings, Kafka source and trigger, that
appends each record's value to a Delta table (no parse, no dedupe, no live rows).

    BEACON_* settings in the environment; .venv/bin/python -m bench.bare_stream <delta dir>

Runs until SIGTERM; its checkpoint is ``<checkpoint root>/bare`` (the same layout as the
job's, which the benchmark reads its batches from).
"""

from __future__ import annotations

import signal
import sys
import threading

from lakehouse.settings import load_settings
from streaming.kafka_source import kafka_records
from streaming.spark_config import checkpoint_root, start_spark

QUERY_NAME = "bare"


def main() -> int:
    if len(sys.argv) != 2:
        print("usage: python -m bench.bare_stream <delta dir>", file=sys.stderr)
        return 2
    settings = load_settings()
    spark = start_spark(settings)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda _signum, _frame: stop.set())
    query = (
        kafka_records(spark, settings)
        .select("value")
        .writeStream.queryName(QUERY_NAME)
        .format("delta")
        .option("checkpointLocation", f"{checkpoint_root(settings)}/{QUERY_NAME}")
        .trigger(processingTime=f"{settings.streaming.trigger_interval_s} seconds")
        .start(sys.argv[1])
    )
    while not stop.wait(0.5) and query.isActive:
        pass
    failed = not query.isActive
    query.stop()
    spark.stop()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
