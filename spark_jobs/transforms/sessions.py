"""Sessions: a visitor's run of human events with gaps under the session gap, placed on the
UTC day it starts, with GA4's engaged rule and the goals it reached."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

from pyspark.sql import Window
from pyspark.sql import functions as F

from lakehouse.dimensions import MISSING_VALUE
from lakehouse.tables.batch import BATCH_SESSIONS
from spark_jobs.transforms.attribution import referrer_host, source_medium_campaign
from spark_jobs.transforms.events import is_view
from spark_jobs.transforms.goals import SiteGoal

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

MIN_VIEWS_ENGAGED = 2
LANDING_FIELDS = (
    "path",
    "referrer",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "referrer_class",
    "device_type",
    "browser",
    "os",
    "country",
    "language",
)
"""The fields a session takes from its landing event."""


def tag_sessions(events: DataFrame, gap_s: float) -> DataFrame:
    """Human events with ``session_index`` (the visitor's session number, counting from its
    first event read) and ``session_start``. A gap of ``gap_s`` or more starts a session."""
    by_visitor = Window.partitionBy("site_id", "visitor_id").orderBy("client_ts", "event_id")
    gap = F.unix_micros("client_ts") - F.lag(F.unix_micros("client_ts")).over(by_visitor)
    starts = F.when(gap.isNull() | (gap >= F.lit(int(gap_s * 1_000_000))), 1).otherwise(0)
    so_far = by_visitor.rowsBetween(Window.unboundedPreceding, 0)
    return events.withColumn("starts_session", starts).withColumns(
        {
            "session_index": F.sum("starts_session").over(so_far),
            # Session starts only grow: the latest so far is this event's session's.
            "session_start": F.max(F.when(F.col("starts_session") == 1, F.col("client_ts"))).over(
                so_far
            ),
        }
    )


def _or_missing(column: Column) -> Column:
    return F.coalesce(F.when(column != "", column), F.lit(MISSING_VALUE))


def sessions_of(
    tagged: DataFrame,
    goals: Sequence[SiteGoal],
    engaged_after_s: float,
) -> DataFrame:
    """One row per session of ``tagged`` (see :func:`tag_sessions`), before identity:
    every column of batch.sessions but person_id and is_new_visitor.

    A window over each session, ordered by time then event id (the same first and last on
    every run), keeps its first row with the session's totals: a grouped aggregate of the
    landing fields (strings) would sort twice and compare structs row by row."""
    session = Window.partitionBy("site_id", "visitor_id", "session_index")
    in_order = session.orderBy("client_ts", "event_id")
    whole = in_order.rowsBetween(Window.unboundedPreceding, Window.unboundedFollowing)
    view = is_view()
    totals = {
        "session_end": F.max("client_ts").over(whole),
        "pageviews": F.count(F.when(F.col("type") == "page", 1)).over(whole),
        "screenviews": F.count(F.when(F.col("type") == "screen", 1)).over(whole),
        "events": F.count(F.lit(1)).over(whole),
        "entry": F.first(F.when(view, F.struct(*LANDING_FIELDS)), ignorenulls=True).over(whole),
        "exit": F.last(F.when(view, F.struct("path")), ignorenulls=True).over(whole),
        "has_anonymous_id": F.max(F.col("anonymous_id").isNotNull()).over(whole),
        "position": F.row_number().over(in_order),
    }
    # Goal hits and values are computed per event before the session window, which then only
    # takes the max and sum of plain columns.
    per_event = {}
    for goal in goals:
        per_event[goal.hit_column] = goal.hit()
        per_event[goal.value_column] = goal.value()
        totals[goal.hit_column] = F.max(goal.hit_column).over(whole)
        totals[goal.value_column] = F.sum(goal.value_column).over(whole)
    grouped = (
        tagged.withColumns(per_event)
        .withColumns(totals)
        .where(F.col("position") == 1)
        .withColumns(
            {
                "first": F.struct(*LANDING_FIELDS),
                "first_event_id": F.col("event_id"),
                "session_start": F.col("client_ts"),
            }
        )
    )

    landing = F.coalesce(F.col("entry"), F.col("first"))
    host = referrer_host(landing["referrer"])
    source, medium, campaign = source_medium_campaign(
        landing["utm_source"],
        landing["utm_medium"],
        landing["utm_campaign"],
        host,
        landing["referrer_class"],
    )
    reached = [F.when(F.col(g.hit_column), F.lit(g.goal.name)) for g in goals]
    goal_names = (
        F.array_sort(F.array_distinct(F.array_compact(F.array(*reached))))
        if goals
        else F.array().cast("array<string>")
    )
    goal_value = sum((F.col(g.value_column) for g in goals), F.lit(0.0)) if goals else F.lit(0.0)
    duration = (F.unix_micros("session_end") - F.unix_micros("session_start")) / 1_000_000
    views = F.col("pageviews") + F.col("screenviews")
    converted = F.size("goals") > 0
    return (
        grouped.select(
            "site_id",
            F.concat_ws(":", "visitor_id", "first_event_id").alias("session_key"),
            "visitor_id",
            "has_anonymous_id",
            "session_start",
            "session_end",
            duration.cast("double").alias("duration_s"),
            "pageviews",
            "screenviews",
            "events",
            _or_missing(F.col("entry.path")).alias("entry_page"),
            _or_missing(F.col("exit.path")).alias("exit_page"),
            landing["referrer"].alias("landing_referrer"),
            _or_missing(host).alias("referrer_host"),
            _or_missing(landing["referrer_class"]).alias("referrer_class"),
            source.alias("source"),
            medium.alias("medium"),
            campaign.alias("campaign"),
            *[
                _or_missing(landing[f]).alias(f)
                for f in ("device_type", "browser", "os", "country", "language")
            ],
            goal_names.alias("goals"),
            goal_value.cast("double").alias("goal_value"),
        )
        .withColumn("converted", converted)
        .withColumn(
            "engaged",
            (F.col("duration_s") > F.lit(float(engaged_after_s)))
            | (views >= MIN_VIEWS_ENGAGED)
            | F.col("converted"),
        )
        .withColumn("bounced", ~F.col("engaged"))
        .withColumn("single_page", views == 1)
        .withColumn("event_date", F.to_date("session_start"))
    )


def with_identity(
    sessions: DataFrame,
    identities: DataFrame,
    earlier_people: DataFrame,
    first_day: date,
    last_day: date,
) -> DataFrame:
    """The sessions that start in [first_day, last_day] as batch.sessions rows: each with its
    person (the identity rule) and whether it is the person's first session ever.

    ``earlier_people`` holds (site_id, person_id) of everyone with a session before the
    sessions given; a person is new in their earliest session given, if not among them."""
    with_people = sessions.join(identities, ["site_id", "visitor_id"], "left").withColumns(
        {
            "identified": F.col("person_id").isNotNull(),
            "person_id": F.coalesce(F.col("person_id"), F.col("visitor_id")),
        }
    )
    in_order = Window.partitionBy("site_id", "person_id").orderBy("session_start", "session_key")
    seen = (
        earlier_people.select("site_id", "person_id")
        .distinct()
        .withColumn("seen_before", F.lit(True))
    )
    return (
        with_people.withColumn("first_of_person", F.row_number().over(in_order) == 1)
        .join(seen, ["site_id", "person_id"], "left")
        .withColumns(
            {
                "is_new_visitor": F.col("seen_before").isNull() & F.col("first_of_person"),
                "persistent_id": F.col("identified") | F.col("has_anonymous_id"),
            }
        )
        .where(F.col("event_date").between(F.lit(first_day), F.lit(last_day)))
        .select(*BATCH_SESSIONS.column_names)
    )
