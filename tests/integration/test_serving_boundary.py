"""The serving layer's daily series through a real Trino: batch values for the days the
batch layer has closed, live values after them, with no gap and no day counted twice."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from lakehouse.dimensions import TOTAL_DIMENSION, TOTAL_VALUE
from lakehouse.provision import create_delta_tables, create_views, register_in_trino
from lakehouse.settings import Settings
from lakehouse.tables import ALL_TABLES
from lakehouse.tables.live import LIVE_DAILY_METRICS, LIVE_MINUTE_METRICS
from lakehouse.tables.raw import RAW_EVENTS
from lakehouse.tables.serving import SERVING_VIEWS
from lakehouse.trino_sql import query
from spark_jobs.nightly import run_nightly
from tests.support.batch_rows import raw_event, raw_frame

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

SITE = "edge-site"
CLOSED, OPEN = date(2027, 1, 10), date(2027, 1, 11)


def day_events(day: date, visitors: int) -> list[dict[str, Any]]:
    start = datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=9)
    rows = []
    for n in range(visitors):
        at = start + timedelta(minutes=7 * n)
        rows.append(raw_event(site_id=SITE, visitor_id=f"v{n}", client_ts=at))
        rows.append(
            raw_event(site_id=SITE, visitor_id=f"v{n}", client_ts=at + timedelta(seconds=40))
        )
    return rows


def live_rows(spark: SparkSession, events: list[dict[str, Any]]) -> Any:
    """The live per-minute totals of ``events``, as the streaming job writes them."""
    from pyspark.sql import functions as F

    minute = F.date_trunc("minute", "client_ts")
    return (
        raw_frame(spark, events)
        .groupBy("site_id", minute.alias("minute"))
        .agg(
            F.sum(F.when(F.col("type") == "page", 1).otherwise(0)).cast("long").alias("pageviews"),
            F.count(F.lit(1)).alias("events"),
            F.countDistinct("visitor_id").alias("unique_visitors"),
        )
        .select(
            "site_id",
            "minute",
            F.lit(TOTAL_DIMENSION).alias("dimension"),
            F.lit(TOTAL_VALUE).alias("value"),
            "pageviews",
            "events",
            "unique_visitors",
            F.lit(0).cast("long").alias("new_sessions"),
            F.lit(None).cast("binary").alias("visitors_sketch"),
            F.col("minute").alias("updated_at"),
            F.to_date("minute").alias("event_date"),
            F.hour("minute").alias("event_hour"),
        )
    )


def live_day_rows(spark: SparkSession, events: list[dict[str, Any]]) -> Any:
    """The live per-day totals of ``events`` (live.daily_metrics), as the job writes them."""
    from pyspark.sql import functions as F

    day = F.to_date("client_ts")
    return (
        raw_frame(spark, events)
        .groupBy("site_id", day.alias("event_date"))
        .agg(
            F.sum(F.when(F.col("type") == "page", 1).otherwise(0)).cast("long").alias("pageviews"),
            F.count(F.lit(1)).alias("events"),
            F.countDistinct("visitor_id").alias("unique_visitors"),
            F.max("client_ts").alias("updated_at"),
        )
        .select(
            "site_id",
            "event_date",
            F.lit(TOTAL_DIMENSION).alias("dimension"),
            F.lit(TOTAL_VALUE).alias("value"),
            "pageviews",
            "events",
            "unique_visitors",
            F.lit(0).cast("long").alias("new_sessions"),
            F.lit(None).cast("binary").alias("visitors_sketch"),
            "updated_at",
        )
    )


def series(settings: Settings) -> list[tuple[Any, ...]]:
    return query(
        settings,
        "SELECT event_date, layer, pageviews, visitors, sessions"
        f" FROM {settings.trino.catalog}.serving.daily_metrics"
        f" WHERE site_id = '{SITE}' AND dimension = 'all' ORDER BY event_date, layer",
    )


def test_closed_days_come_from_batch_and_later_days_from_live(
    spark: SparkSession, trino: Settings
) -> None:
    settings = trino
    create_delta_tables(spark, settings, ALL_TABLES, lambda _: None)
    register_in_trino(settings, ALL_TABLES, lambda _: None)
    create_views(settings, SERVING_VIEWS, lambda _: None)
    events = day_events(CLOSED, 6) + day_events(OPEN, 4)
    raw_frame(spark, events).write.format("delta").mode("append").save(
        settings.table_location(RAW_EVENTS.relative_path)
    )
    live_rows(spark, events).write.format("delta").mode("append").save(
        settings.table_location(LIVE_MINUTE_METRICS.relative_path)
    )
    live_day_rows(spark, events).write.format("delta").mode("append").save(
        settings.table_location(LIVE_DAILY_METRICS.relative_path)
    )
    before = series(settings)
    assert [(day, layer) for day, layer, *_ in before] == [(CLOSED, "live"), (OPEN, "live")]

    run_nightly(spark, settings, CLOSED, lookback_days=0)

    after = series(settings)
    assert [(day, layer) for day, layer, *_ in after] == [(CLOSED, "batch"), (OPEN, "live")]
    closed_batch, open_live = after
    # the same on-time events: the batch day has the live day's pageviews, and sessions
    assert closed_batch[2] == before[0][2] == 12
    assert closed_batch[3] == 6
    assert closed_batch[4] == 6
    assert open_live[2:] == before[1][2:]
    assert open_live[4] is None  # sessions are batch-only
