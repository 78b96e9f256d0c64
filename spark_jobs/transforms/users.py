"""batch.users: one row per person and site over all their sessions."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyspark.sql import functions as F

from lakehouse.tables.batch import BATCH_USERS

if TYPE_CHECKING:
    from pyspark.sql import DataFrame


def users(sessions: DataFrame) -> DataFrame:
    """Every session of batch.sessions, folded per (site_id, person_id)."""
    order = F.struct("session_start", "session_key")
    return (
        sessions.groupBy("site_id", "person_id")
        .agg(
            F.max(F.col("person_id") != F.col("visitor_id")).alias("identified"),
            F.min("session_start").alias("first_seen"),
            F.max("session_end").alias("last_seen"),
            F.count(F.lit(1)).alias("sessions"),
            F.sum("pageviews").alias("pageviews"),
            F.sum("events").alias("events"),
            F.sum(F.col("converted").cast("long")).alias("conversions"),
            F.sum("goal_value").alias("goal_value"),
            F.min_by(F.struct("source", "medium", "campaign"), order).alias("first"),
            F.max_by(F.struct("device_type", "country"), order).alias("last"),
        )
        .select(
            "site_id",
            "person_id",
            "identified",
            "first_seen",
            "last_seen",
            "sessions",
            "pageviews",
            "events",
            "conversions",
            "goal_value",
            F.col("first.source").alias("first_source"),
            F.col("first.medium").alias("first_medium"),
            F.col("first.campaign").alias("first_campaign"),
            F.col("last.device_type").alias("last_device_type"),
            F.col("last.country").alias("last_country"),
        )
        .select(*BATCH_USERS.column_names)
    )
