"""What the heartbeat reports: each query's last progress (from a StreamingQueryListener),
the rows it read since start, the job's totals and its memory."""

from __future__ import annotations

import json
import os
import threading
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pyspark.sql.streaming.listener import StreamingQueryListener

if TYPE_CHECKING:
    from pyspark.sql import SparkSession
    from pyspark.sql.streaming.listener import (
        QueryIdleEvent,
        QueryProgressEvent,
        QueryStartedEvent,
        QueryTerminatedEvent,
    )
    from pyspark.sql.streaming.query import StreamingQuery


class ProgressListener(StreamingQueryListener):
    """Each query's last progress report and the rows it read since start, as Spark reports
    each finished trigger (no polling of the query's recent reports)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.last: dict[str, dict[str, Any]] = {}
        self.input_rows: Counter[str] = Counter()

    def onQueryStarted(self, event: QueryStartedEvent) -> None:
        return None

    def onQueryProgress(self, event: QueryProgressEvent) -> None:
        report: dict[str, Any] = json.loads(event.progress.json)
        name = str(report.get("name"))
        with self.lock:
            self.last[name] = report
            self.input_rows[name] += int(report.get("numInputRows") or 0)

    def onQueryIdle(self, event: QueryIdleEvent) -> None:
        return None

    def onQueryTerminated(self, event: QueryTerminatedEvent) -> None:
        return None

    def query_progress(self, name: str, query: StreamingQuery) -> dict[str, Any]:
        """The query's state and its last report, as the heartbeat shows them."""
        with self.lock:
            last = dict(self.last.get(name) or {})
            input_rows = self.input_rows[name]
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
            "input_rows_since_start": input_rows,
        }


def jvm_pid(spark: SparkSession) -> int:
    return int(spark.sparkContext._jvm.ProcessHandle.current().pid())  # type: ignore[union-attr]


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


def memory(spark: SparkSession, java_pid: int) -> dict[str, int]:
    return {
        **jvm_memory(spark),
        "jvm_rss_bytes": process_rss_bytes(java_pid),
        "python_rss_bytes": process_rss_bytes(os.getpid()),
    }
