"""Pages and custom events per site and day."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from pyspark.sql import Window
from pyspark.sql import functions as F

from lakehouse.dimensions import MISSING_VALUE, TOTAL_VALUE
from lakehouse.tables.batch import BATCH_DAILY_EVENTS, BATCH_DAILY_PAGES
from spark_jobs.transforms.events import is_view

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

ALL_PROPERTIES = TOTAL_VALUE


def daily_pages(tagged: DataFrame) -> DataFrame:
    """batch.daily_pages rows from human events with session_index and person_id, each
    view counted on the day it happened. An entrance is a session's first view, an exit its
    last; time on page runs to the session's next view (the last view has none)."""
    views = tagged.where(is_view()).withColumn(
        "path", F.coalesce(F.when(F.col("path") != "", F.col("path")), F.lit(MISSING_VALUE))
    )
    in_session = Window.partitionBy("site_id", "visitor_id", "session_index").orderBy(
        "client_ts", "event_id"
    )
    next_view = F.lead(F.unix_micros("client_ts")).over(in_session)
    timed = views.withColumns(
        {
            "time_on_page_s": (next_view - F.unix_micros("client_ts")) / 1_000_000,
            "is_entrance": F.lag("event_id").over(in_session).isNull(),
            "is_exit": next_view.isNull(),
        }
    )
    return (
        timed.groupBy("site_id", "event_date", "path")
        .agg(
            F.count(F.lit(1)).alias("views"),
            F.countDistinct("visitor_id", "session_index").alias("unique_views"),
            F.countDistinct("person_id").alias("visitors"),
            F.sum(F.col("is_entrance").cast("long")).alias("entrances"),
            F.sum(F.col("is_exit").cast("long")).alias("exits"),
            F.avg("time_on_page_s").alias("avg_time_on_page_s"),
        )
        .withColumn("exit_rate", F.col("exits") / F.col("views"))
        .select(*BATCH_DAILY_PAGES.column_names)
    )


def daily_events(
    events: DataFrame, properties: Mapping[str, Mapping[str, Sequence[str]]]
) -> DataFrame:
    """batch.daily_events rows: human track events per site, day and name, and per value of
    each property the site lists for that name (``properties``: site -> name -> keys)."""
    tracks = events.where(F.col("type") == "track").withColumn(
        "name", F.coalesce(F.col("name"), F.lit(MISSING_VALUE))
    )
    listed = [
        (site, name, key)
        for site, by_name in properties.items()
        for name, keys in by_name.items()
        for key in keys
    ]
    wanted = tracks.sparkSession.createDataFrame(
        listed, "site_id string, name string, property string"
    )
    keys = ["site_id", "event_date", "event_name", "property", "property_value"]
    overall = tracks.select(
        "site_id",
        "event_date",
        F.col("name").alias("event_name"),
        F.lit(ALL_PROPERTIES).alias("property"),
        F.lit(ALL_PROPERTIES).alias("property_value"),
        "person_id",
    )
    by_property = tracks.join(F.broadcast(wanted), ["site_id", "name"]).select(
        "site_id",
        "event_date",
        F.col("name").alias("event_name"),
        "property",
        F.coalesce(F.col("properties")[F.col("property")], F.lit(MISSING_VALUE)).alias(
            "property_value"
        ),
        "person_id",
    )
    return (
        overall.unionByName(by_property)
        .groupBy(*keys)
        .agg(F.count(F.lit(1)).alias("events"), F.countDistinct("person_id").alias("visitors"))
        .select(*BATCH_DAILY_EVENTS.column_names)
    )
