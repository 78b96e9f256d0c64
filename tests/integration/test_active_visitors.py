"""live.active_visitors on real Delta: each refresh appends the sites' 5- and 30-minute
visitors from the job's in-memory sketches, a site that leaves the 30-minute window gets
zeros once, and a refresh with nothing to say writes nothing."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from lakehouse.tables.live import LIVE_ACTIVE_VISITORS
from stack.state import isolated_settings
from streaming.active_visitors import ActiveVisitors
from streaming.job import ensure_tables
from streaming.metrics import SKETCH_LG_K
from streaming.recent_sketches import RecentSketches

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

SEEN_AT = datetime(2026, 11, 26, 12, 0, 10, tzinfo=UTC)
SITE = "active-site"


def visitors_sketch(spark: SparkSession, *visitors: str) -> bytes:
    from pyspark.sql import functions as F

    frame = spark.createDataFrame([(v,) for v in visitors], "visitor_id string")
    row = frame.select(F.hll_sketch_agg("visitor_id", SKETCH_LG_K)).first()
    assert row is not None
    return bytes(row[0])


def test_a_site_that_leaves_the_window_gets_zeros_once(spark: SparkSession, tmp_path: Path) -> None:
    from pyspark.sql import functions as F

    settings = isolated_settings(tmp_path / "state")
    ensure_tables(spark, settings)
    recent = RecentSketches()
    minute_s = int(SEEN_AT.timestamp()) // 60 * 60
    recent.add([(SITE, minute_s, visitors_sketch(spark, "a", "b"))])
    active = ActiveVisitors(settings, spark, recent, threading.Event())
    table = spark.read.format("delta").load(
        settings.table_location(LIVE_ACTIVE_VISITORS.relative_path)
    )

    def refresh(after: timedelta) -> tuple[datetime | None, dict[int, int]]:
        """Refresh at SEEN_AT + after; the latest as_of and its rows for the site."""
        active.refresh(SEEN_AT + after)
        latest = table.agg(F.max("as_of")).first()
        as_of = latest[0] if latest else None
        rows = table.where((F.col("as_of") == as_of) & (F.col("site_id") == SITE)).collect()
        return as_of, {r["window_minutes"]: r["visitors"] for r in rows}

    assert refresh(timedelta(minutes=1))[1] == {5: 2, 30: 2}
    assert refresh(timedelta(minutes=10))[1] == {5: 0, 30: 2}
    left_at, zeros = refresh(timedelta(minutes=31))
    assert zeros == {5: 0, 30: 0}
    assert refresh(timedelta(minutes=32)) == (left_at, zeros)  # nothing more was written
    assert table.count() == 3 * 2  # three refreshes wrote, two windows each
