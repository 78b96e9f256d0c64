"""A delta-rs append of the streaming job reads in Spark as Spark's own: its rows, the batch's
marker and a blind append (which a concurrent DELETE or MERGE does not conflict with)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from streaming.commit_markers import has_commit
from streaming.small_appends import DeltaRsAppends

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def test_a_delta_rs_append_is_a_marked_blind_append(spark: SparkSession, tmp_path: Path) -> None:
    location = str(tmp_path / "table")
    spark.sql(
        f"CREATE TABLE delta.`{location}` (id BIGINT NOT NULL, name STRING, day DATE) "
        "USING DELTA PARTITIONED BY (day)"
    )
    DeltaRsAppends().append(
        location,
        ["day", "id", "name"],
        [(date(2026, 3, 1), 1, "a"), (date(2026, 3, 2), 2, None)],
        "app batch 7",
    )
    rows = spark.read.format("delta").load(location).orderBy("id").collect()
    assert [tuple(r) for r in rows] == [(1, "a", date(2026, 3, 1)), (2, None, date(2026, 3, 2))]
    latest = spark.sql(f"DESCRIBE HISTORY delta.`{location}` LIMIT 1").first()
    assert latest is not None
    assert latest["isBlindAppend"] is True
    assert has_commit(spark, location, "app batch 7")
    assert not has_commit(spark, location, "app batch 8")
