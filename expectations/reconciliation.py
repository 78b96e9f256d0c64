"""The reconciliation suites: the layers of one closed day against each other.

``reconciliation.live_batch``: per site, the speed layer's day (the latest version of its
total row in live.daily_metrics) against the same count from the batch layer's input, the
day's raw.events deduplicated by the batch rule, taking only the events the live layer
counts (on time: received within the watermark of their client time). Pageviews must be
equal; visitors are a DataSketches HLL estimate in live, so the exact count's relative
difference may be a few of the sketch's standard errors.

``reconciliation.collector_raw``: per site, the events the collector accepted on the day
(ops.collector_accepted, by day of receipt) against the distinct events of raw.events
received that day: nothing lost between Kafka and the lake. A client's resend of an
accepted event counts twice at the collector and once in raw, so a small share may miss.

A suite whose source has no rows for the day (no stream, no collector counting: a lake fed
another way) is skipped, and says so.
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import TYPE_CHECKING

from expectations.checks import Check, Frames, Suite, critical, warning
from lakehouse.dimensions import TOTAL_DIMENSION
from lakehouse.settings import Settings
from lakehouse.tables.live import DAY_KEY, LIVE_DAILY_METRICS
from lakehouse.tables.ops import OPS_COLLECTOR_ACCEPTED
from lakehouse.tables.raw import RAW_EVENTS

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

LIVE_BATCH_SUITE = "reconciliation.live_batch"
COLLECTOR_RAW_SUITE = "reconciliation.collector_raw"


def live_day(live_daily: DataFrame, day: date) -> DataFrame:
    """The live layer's total row of each site for the day: its latest version."""
    from pyspark.sql import functions as F

    from streaming.metrics import latest_versions

    rows = live_daily.where(
        (F.col("event_date") == F.lit(day)) & (F.col("dimension") == F.lit(TOTAL_DIMENSION))
    )
    return latest_versions(rows, DAY_KEY).select(
        "site_id",
        F.col("pageviews").alias("live_pageviews"),
        F.col("unique_visitors").alias("live_visitors"),
    )


def live_batch_frame(
    raw: DataFrame, live_daily: DataFrame, day: date, watermark_s: int
) -> DataFrame:
    """Per site: live and batch pageviews and visitors of the day's on-time events, and
    the visitors' relative difference."""
    from pyspark.sql import functions as F

    from spark_jobs.transforms.events import deduplicated
    from streaming.metrics import on_time

    events = on_time(deduplicated(raw.where(F.col("event_date") == F.lit(day))), watermark_s)
    batch = events.groupBy("site_id").agg(
        F.count_if(F.col("type") == F.lit("page")).alias("batch_pageviews"),
        F.countDistinct("visitor_id").alias("batch_visitors"),
    )
    zero = F.lit(0).cast("long")
    joined = live_day(live_daily, day).join(batch, "site_id", "full_outer")
    counts = {
        name: F.coalesce(F.col(name), zero)
        for name in ("live_pageviews", "live_visitors", "batch_pageviews", "batch_visitors")
    }
    return joined.select(
        "site_id", *(value.alias(name) for name, value in counts.items())
    ).withColumn(
        "visitors_relative_error",
        F.abs(F.col("live_visitors") - F.col("batch_visitors"))
        / F.greatest(F.col("batch_visitors"), F.lit(1)),
    )


def live_batch_checks(settings: Settings) -> tuple[Check, ...]:
    from streaming.metrics import VISITORS_RELATIVE_ERROR

    tolerance = settings.dq.visitors_sigmas * VISITORS_RELATIVE_ERROR
    return (
        critical(
            "pageviews_equal",
            "ExpectColumnPairValuesToBeEqual",
            "live pageviews = batch pageviews of the on-time events, per site",
            column_A="live_pageviews",
            column_B="batch_pageviews",
        ),
        warning(
            "visitors_within_sketch_error",
            "ExpectColumnValuesToBeBetween",
            f"live visitors within {tolerance:.1%} of the exact count, per site",
            column="visitors_relative_error",
            min_value=0.0,
            max_value=tolerance,
        ),
    )


def received_on(raw: DataFrame, day: date, max_age_hours: float) -> DataFrame:
    """raw.events received on ``day``: from the partitions an event received that day can
    be in (its client time at most the maximum age earlier, and clamped to its receipt)."""
    from pyspark.sql import functions as F

    first = day - timedelta(days=math.ceil(max_age_hours / 24))
    return raw.where(
        F.col("event_date").between(F.lit(first), F.lit(day + timedelta(days=1)))
        & (F.to_date("received_at") == F.lit(day))
    )


def collector_raw_frame(
    raw: DataFrame, accepted: DataFrame, day: date, max_age_hours: float
) -> DataFrame:
    """Per site the collector counted for: accepted events, distinct raw events received
    that day, and the share of the accepted missing from raw."""
    from pyspark.sql import functions as F

    counted = (
        accepted.where(F.col("received_date") == F.lit(day))
        .groupBy("site_id")
        .agg(F.sum("accepted").alias("accepted"))
    )
    landed = (
        received_on(raw, day, max_age_hours)
        .select("site_id", "event_id")
        .distinct()
        .groupBy("site_id")
        .agg(F.count(F.lit(1)).alias("raw_events"))
    )
    return (
        counted.join(landed, "site_id", "left")
        .fillna(0, subset=["raw_events"])
        .withColumn(
            "lost_share",
            (F.col("accepted") - F.col("raw_events")) / F.greatest(F.col("accepted"), F.lit(1)),
        )
    )


def collector_raw_checks(settings: Settings) -> tuple[Check, ...]:
    share = settings.dq.max_lost_share
    return (
        critical(
            "raw_has_the_accepted_events",
            "ExpectColumnValuesToBeBetween",
            f"at most {share:.2%} of the events the collector accepted are missing from raw",
            column="lost_share",
            max_value=share,
        ),
    )


def live_batch_suite(settings: Settings) -> Suite:
    watermark = settings.streaming.watermark_s

    def frame(frames: Frames, day: date) -> DataFrame:
        raw, live = frames[RAW_EVENTS.qualified_name], frames[LIVE_DAILY_METRICS.qualified_name]
        return live_batch_frame(raw, live, day, watermark)

    def presence(frames: Frames, day: date) -> DataFrame:
        from pyspark.sql import functions as F

        live = frames[LIVE_DAILY_METRICS.qualified_name]
        return live.where(F.col("event_date") == F.lit(day))

    return Suite(
        LIVE_BATCH_SUITE,
        "the live layer's day agrees with the batch layer's",
        (RAW_EVENTS.qualified_name, LIVE_DAILY_METRICS.qualified_name),
        frame,
        live_batch_checks(settings),
        presence=presence,
        skipped_because="live.daily_metrics has no rows for the day (no stream ran)",
    )


def collector_raw_suite(settings: Settings) -> Suite:
    max_age = settings.collector.max_event_age_hours

    def frame(frames: Frames, day: date) -> DataFrame:
        raw = frames[RAW_EVENTS.qualified_name]
        return collector_raw_frame(raw, frames[OPS_COLLECTOR_ACCEPTED.qualified_name], day, max_age)

    def presence(frames: Frames, day: date) -> DataFrame:
        from pyspark.sql import functions as F

        accepted = frames[OPS_COLLECTOR_ACCEPTED.qualified_name]
        return accepted.where(F.col("received_date") == F.lit(day))

    return Suite(
        COLLECTOR_RAW_SUITE,
        "raw.events holds every event the collector accepted on the day",
        (RAW_EVENTS.qualified_name, OPS_COLLECTOR_ACCEPTED.qualified_name),
        frame,
        collector_raw_checks(settings),
        presence=presence,
        skipped_because="ops.collector_accepted has no counts for the day (no collector counted)",
    )
