"""Daily metrics per site, overall and by dimension, and conversions per goal.

The overall row counts the day's events and visitors by the day they happened; the session
metrics (and every dimension row) count sessions by the day they started."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyspark.sql import functions as F

from lakehouse.dimensions import TOTAL_DIMENSION, TOTAL_VALUE
from lakehouse.tables.batch import BATCH_DAILY_GOALS, BATCH_DAILY_METRICS

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

SESSION_DIMENSIONS: tuple[str, ...] = (
    "entry_page",
    "exit_page",
    "source",
    "medium",
    "campaign",
    "referrer_host",
    "referrer_class",
    "country",
    "device_type",
    "browser",
    "os",
    "language",
    "visitor_type",
)
"""The dimensions of batch.daily_metrics besides the total; page paths are batch.daily_pages."""

NEW, RETURNING = "new", "returning"


def _ratio(numerator: Column, denominator: Column) -> Column:
    return F.when(denominator > 0, numerator / denominator)


def _by_dimension(sessions: DataFrame) -> DataFrame:
    """Each session once per dimension, as (dimension, value) beside its columns."""
    typed = sessions.withColumn(
        "visitor_type", F.when(F.col("is_new_visitor"), F.lit(NEW)).otherwise(F.lit(RETURNING))
    )
    pairs = F.array(
        F.struct(F.lit(TOTAL_DIMENSION).alias("dimension"), F.lit(TOTAL_VALUE).alias("value")),
        *[
            F.struct(F.lit(d).alias("dimension"), F.col(d).alias("value"))
            for d in SESSION_DIMENSIONS
        ],
    )
    return typed.select("*", F.inline(pairs))


def session_metrics(sessions: DataFrame) -> DataFrame:
    """Session-based metrics per (site_id, event_date, dimension, value)."""
    keys = ("site_id", "event_date", "dimension", "value")
    return (
        _by_dimension(sessions)
        .groupBy(*keys)
        .agg(
            F.countDistinct("person_id").alias("visitors"),
            # A person is new in one session only (their first): counted without a distinct.
            F.count(F.when(F.col("is_new_visitor"), 1)).alias("new_visitors"),
            F.count(F.lit(1)).alias("sessions"),
            F.sum("pageviews").alias("pageviews"),
            F.sum("events").alias("events"),
            F.sum(F.col("engaged").cast("long")).alias("engaged_sessions"),
            F.sum(F.col("single_page").cast("long")).alias("single_page_sessions"),
            F.sum("duration_s").alias("duration_s"),
            F.sum(F.col("converted").cast("long")).alias("conversions"),
            F.sum("goal_value").alias("goal_value"),
        )
    )


def event_totals(events: DataFrame) -> DataFrame:
    """Per (site_id, event_date): human visitors, pageviews and events by the day they
    happened, and bot events. ``events`` are deduplicated, with person_id."""
    bot = F.coalesce(F.col("is_bot"), F.lit(False))
    return events.groupBy("site_id", "event_date").agg(
        F.countDistinct(F.when(~bot, F.col("person_id"))).alias("day_visitors"),
        F.sum(F.when(~bot & (F.col("type") == "page"), 1).otherwise(0))
        .cast("long")
        .alias("day_pageviews"),
        F.sum(F.when(~bot, 1).otherwise(0)).cast("long").alias("day_events"),
        F.sum(F.when(bot, 1).otherwise(0)).cast("long").alias("bot_events"),
    )


def daily_metrics(sessions: DataFrame, events: DataFrame) -> DataFrame:
    """batch.daily_metrics rows: one per site, day, dimension and value."""
    totals = event_totals(events).withColumns(
        {"dimension": F.lit(TOTAL_DIMENSION), "value": F.lit(TOTAL_VALUE)}
    )
    keys = ["site_id", "event_date", "dimension", "value"]
    joined = session_metrics(sessions).join(totals, keys, "full_outer")
    is_total = F.col("dimension") == TOTAL_DIMENSION
    zero = F.lit(0).cast("long")
    sessions_count = F.coalesce(F.col("sessions"), zero)
    engaged = F.coalesce(F.col("engaged_sessions"), zero)
    engagement_rate = _ratio(engaged, sessions_count)
    return (
        joined.select(
            "site_id",
            "dimension",
            "value",
            F.when(is_total, F.col("day_visitors")).otherwise(F.col("visitors")).alias("visitors"),
            F.coalesce(F.col("new_visitors"), zero).alias("new_visitors"),
            sessions_count.alias("sessions"),
            F.when(is_total, F.col("day_pageviews"))
            .otherwise(F.col("pageviews"))
            .alias("pageviews"),
            F.when(is_total, F.col("day_events")).otherwise(F.col("events")).alias("events"),
            engaged.alias("engaged_sessions"),
            (sessions_count - engaged).alias("bounces"),
            engagement_rate.alias("engagement_rate"),
            (1 - engagement_rate).alias("bounce_rate"),
            F.coalesce(F.col("single_page_sessions"), zero).alias("single_page_sessions"),
            _ratio(F.col("duration_s"), sessions_count).alias("avg_session_duration_s"),
            _ratio(F.col("pageviews"), sessions_count).alias("pages_per_session"),
            F.coalesce(F.col("conversions"), zero).alias("conversions"),
            _ratio(F.coalesce(F.col("conversions"), zero), sessions_count).alias("conversion_rate"),
            F.coalesce(F.col("goal_value"), F.lit(0.0)).alias("goal_value"),
            F.when(is_total, F.coalesce(F.col("bot_events"), zero)).alias("bot_events"),
            "event_date",
        )
        .fillna(0, subset=["visitors", "pageviews", "events"])
        .select(*BATCH_DAILY_METRICS.column_names)
    )


def daily_goals(
    sessions: DataFrame, goal_names: dict[str, list[str]], value_goals: set[tuple[str, str]]
) -> DataFrame:
    """batch.daily_goals rows: per site, day, dimension value and each of the site's goals,
    the sessions that reached it (every goal listed, with 0 on a day none did). A session's
    goal value counts for the goals with a value property (``value_goals``: site, goal)."""
    per_session = _by_dimension(sessions)
    dimension_sessions = per_session.groupBy("site_id", "event_date", "dimension", "value").agg(
        F.count(F.lit(1)).alias("sessions")
    )
    listed = [(site, goal) for site, goals in goal_names.items() for goal in goals]
    spark = sessions.sparkSession
    goals = spark.createDataFrame(
        [(site, goal, (site, goal) in value_goals) for site, goal in listed],
        "site_id string, goal string, has_value boolean",
    )
    reached = (
        per_session.select(
            "site_id",
            "event_date",
            "dimension",
            "value",
            "goal_value",
            F.explode("goals").alias("goal"),
        )
        .groupBy("site_id", "event_date", "dimension", "value", "goal")
        .agg(F.count(F.lit(1)).alias("conversions"), F.sum("goal_value").alias("goal_value"))
    )
    keys = ["site_id", "event_date", "dimension", "value", "goal"]
    return (
        dimension_sessions.join(goals, "site_id")
        .join(reached, keys, "left")
        .select(
            "site_id",
            "dimension",
            "value",
            "goal",
            F.coalesce(F.col("conversions"), F.lit(0).cast("long")).alias("conversions"),
            (F.coalesce(F.col("conversions"), F.lit(0)) / F.col("sessions")).alias(
                "conversion_rate"
            ),
            F.when(F.col("has_value"), F.coalesce(F.col("goal_value"), F.lit(0.0)))
            .otherwise(F.lit(0.0))
            .alias("goal_value"),
            "event_date",
        )
        .select(*BATCH_DAILY_GOALS.column_names)
    )
