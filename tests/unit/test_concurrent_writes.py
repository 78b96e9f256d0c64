"""A micro-batch's writes side by side (streaming.concurrent_writes)."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import pytest

from streaming.concurrent_writes import ConcurrentWrites

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def test_writes_run_side_by_side_with_the_batch_s_local_properties(spark: SparkSession) -> None:
    writes = ConcurrentWrites()
    both_started = threading.Barrier(2, timeout=30)
    seen: dict[str, str | None] = {}
    spark.sparkContext.setLocalProperty("beacon.test.batch", "7")

    def write(step: str) -> None:
        both_started.wait()  # breaks (and fails the write) unless the other runs meanwhile
        seen[step] = spark.sparkContext.getLocalProperty("beacon.test.batch")

    try:
        writes.run(spark, {"minutes": lambda: write("minutes"), "days": lambda: write("days")})
    finally:
        spark.sparkContext.setLocalProperty("beacon.test.batch", None)  # type: ignore[arg-type]
    assert seen == {"minutes": "7", "days": "7"}
    assert set(writes.take_ms()) == {"minutes", "days"}
    assert writes.take_ms() == {}


def test_a_failed_write_is_raised_once_the_others_have_ended(spark: SparkSession) -> None:
    writes = ConcurrentWrites()
    ended = threading.Event()

    def slow() -> None:
        ended.wait(0.5)
        ended.set()

    def failing() -> None:
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        writes.run(spark, {"failing": failing, "slow": slow})
    assert ended.is_set()
    assert set(writes.take_ms()) == {"failing", "slow"}
