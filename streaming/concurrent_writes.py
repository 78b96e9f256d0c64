"""A micro-batch's Delta writes side by side: each table's append is a few hundred ms of
mostly fixed cost (a Spark job for a small file, then the commit: the log listing, the
commit file, the new snapshot), most of it waiting rather than computing, so the writes of
different tables overlap well even on two cores (docs/tuning.md)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

WRITER_THREADS = 3
"""raw.events, live.minute_metrics and live.daily_metrics at once (raw.events_bad's rare
append queues behind them)."""


class ConcurrentWrites:
    """A pool of writer threads for the micro-batches; each write runs with the submitting
    thread's Spark local properties and job tags (the micro-batch's), and its wall time is
    kept by name."""

    def __init__(self, threads: int = WRITER_THREADS) -> None:
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="beacon-write")
        self.ms: dict[str, int] = {}
        self.lock = threading.Lock()

    def submit(self, spark: SparkSession, step: str, write: Callable[[], None]) -> Future[None]:
        from pyspark.util import inheritable_thread_target

        def timed() -> None:
            started = time.monotonic()
            try:
                write()
            finally:
                with self.lock:
                    self.ms[step] = round((time.monotonic() - started) * 1000)

        # Captures the local properties and tags here, in the micro-batch's thread.
        return self.pool.submit(inheritable_thread_target(spark)(timed))

    def run(self, spark: SparkSession, writes: dict[str, Callable[[], None]]) -> None:
        """Run ``writes`` (step name -> write) side by side and wait for all of them; the
        first failure is raised once every write has ended."""
        wait_all([self.submit(spark, step, write) for step, write in writes.items()])

    def take_ms(self) -> dict[str, int]:
        """The wall times of the writes since the last call, by step."""
        with self.lock:
            ms, self.ms = self.ms, {}
        return ms


def wait_all(futures: list[Future[None]]) -> None:
    """Wait for every future; raise the first one's error, if any, after all have ended."""
    errors = [error for error in (f.exception() for f in futures) if error is not None]
    if errors:
        raise errors[0]
