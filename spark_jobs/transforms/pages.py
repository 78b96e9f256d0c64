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
    # A visitor's views in time order hold each session's views together (session_index
    # counts up in that order), so the session's next view is the visitor's next one if it
    # has the same session_index; and the order is the one tag_sessions sorted by.
    by_visitor = Window.partitionBy("site_id", "visitor_id").orderBy("client_ts", "event_id")
    session = F.col("session_index")
    next_in_session = F.lead("session_index").over(by_visitor) == session
    next_view = F.when(next_in_session, F.lead(F.unix_micros("client_ts")).over(by_visitor))
    timed = views.withColumns(
        {
            "time_on_page_s": (next_view - F.unix_micros("client_ts")) / 1_000_000,
            "is_entrance": F.coalesce(
                F.lag("session_index").over(by_visitor) != session, F.lit(True)
            ),
            "is_exit": ~F.coalesce(next_in_session, F.lit(False)),
        }
    )
    # Each session's views of a page first: that grouping keeps the visitor's partitioning,
    # and one row per session and page makes unique views a count.
    page = ("site_id", "event_date", "path")
    per_session = timed.groupBy(*page, "visitor_id", "session_index", "person_id").agg(
        F.count(F.lit(1)).alias("views"),
        F.sum(F.col("is_entrance").cast("long")).alias("entrances"),
        F.sum(F.col("is_exit").cast("long")).alias("exits"),
        F.sum("time_on_page_s").alias("time_on_page_s"),
        F.count("time_on_page_s").alias("timed_views"),
    )
    return (
        per_session.groupBy(*page)
        .agg(
            F.sum("views").alias("views"),
            F.count(F.lit(1)).alias("unique_views"),
            F.countDistinct("person_id").alias("visitors"),
            F.sum("entrances").alias("entrances"),
            F.sum("exits").alias("exits"),
            F.when(F.sum("timed_views") > 0, F.sum("time_on_page_s") / F.sum("timed_views")).alias(
                "avg_time_on_page_s"
            ),
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
