"""batch.retention: weekly cohorts by the week of the first visit, and the share of each
cohort active in each following week, up to :data:`MAX_WEEKS`. Only people whose id
persists count: a cookieless visitor gets a new hash every day and can never return."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyspark.sql import functions as F

from lakehouse.tables.batch import BATCH_RETENTION

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

MAX_WEEKS = 12


def retention(sessions: DataFrame) -> DataFrame:
    """From every session of batch.sessions. A cohort gets a row for each week up to the
    site's latest week with sessions (a week still to come is not a week of 0%)."""
    persistent = sessions.where(F.col("persistent_id")).select(
        "site_id", "person_id", F.to_date(F.date_trunc("week", "session_start")).alias("week_of")
    )
    cohorts = persistent.groupBy("site_id", "person_id").agg(F.min("week_of").alias("cohort_week"))
    latest = persistent.groupBy("site_id").agg(F.max("week_of").alias("latest_week"))
    sizes = cohorts.groupBy("site_id", "cohort_week").agg(
        F.count(F.lit(1)).alias("cohort_visitors")
    )
    active = (
        persistent.distinct()
        .join(cohorts, ["site_id", "person_id"])
        .withColumn("week", (F.datediff("week_of", "cohort_week") / 7).cast("int"))
        .where(F.col("week") <= MAX_WEEKS)
        .groupBy("site_id", "cohort_week", "week")
        .agg(F.count(F.lit(1)).alias("active_visitors"))
    )
    weeks = (
        sizes.join(latest, "site_id")
        .withColumn(
            "last_week",
            F.least(F.lit(MAX_WEEKS), (F.datediff("latest_week", "cohort_week") / 7).cast("int")),
        )
        .withColumn("week", F.explode(F.sequence(F.lit(0), F.col("last_week"))))
    )
    return (
        weeks.join(active, ["site_id", "cohort_week", "week"], "left")
        .withColumn("active_visitors", F.coalesce(F.col("active_visitors"), F.lit(0).cast("long")))
        .withColumn("retention_rate", F.col("active_visitors") / F.col("cohort_visitors"))
        .select(*BATCH_RETENTION.column_names)
    )
