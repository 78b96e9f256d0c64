"""batch.funnels: people reaching each step of a site's funnels, in order, in one session.

A session enters a funnel at its first step-1 event; each next step is the first matching
event after the step before, and no later than the funnel's window after step 1. A session
belongs to the day it started; a person counts once per step and day."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from pyspark.sql import Window
from pyspark.sql import functions as F

from lakehouse.settings import SiteSettings
from lakehouse.sites import Funnel
from lakehouse.tables.batch import BATCH_FUNNELS
from spark_jobs.transforms.goals import step_matches

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

SESSION = ("site_id", "visitor_id", "session_index")


def _steps_matched(tagged: DataFrame, site: SiteSettings, funnel: Funnel) -> DataFrame:
    """The site's events that match a step of ``funnel``: with the funnel, its window and
    the numbers of the steps each matches (an event may match several)."""
    numbers = [
        F.when(step_matches(step, site.analytics), F.lit(number))
        for number, step in enumerate(funnel.steps, start=1)
    ]
    return (
        tagged.where(F.col("site_id") == site.site_id)
        .withColumn("steps", F.array_compact(F.array(*numbers)))
        .where(F.size("steps") > 0)
        .select(
            *SESSION,
            "person_id",
            "session_start",
            F.lit(funnel.name).alias("funnel"),
            F.lit(int(funnel.window_minutes * 60 * 1_000_000)).alias("window_us"),
            F.struct("client_ts", "event_id", "steps").alias("event"),
        )
    )


def _steps_reached(trail: Column, window_us: Column) -> Column:
    """How many steps a session reached, walking its matching events in order: the next
    step is reached by the first event after the step before that matches it, no later
    than the window after step 1's event."""
    start = F.struct(F.lit(0).alias("reached"), F.lit(None).cast("long").alias("entered_us"))

    def walk(state: Column, event: Column) -> Column:
        at_us = F.unix_micros(event["client_ts"])
        entered = state["reached"] > 0
        advances = F.array_contains(event["steps"], state["reached"] + 1) & (
            ~entered | (at_us <= state["entered_us"] + window_us)
        )
        return F.when(
            advances,
            F.struct(
                (state["reached"] + 1).alias("reached"),
                F.when(entered, state["entered_us"]).otherwise(at_us).alias("entered_us"),
            ),
        ).otherwise(state)

    return F.aggregate(trail, start, walk)["reached"]


def funnels(tagged: DataFrame, sites: Sequence[SiteSettings]) -> DataFrame | None:
    """batch.funnels rows from human events with session_index, session_start and
    person_id; None if no site has a funnel. One pass: only the events that match a step
    are grouped per session and funnel, and walked in order."""
    matched = [
        _steps_matched(tagged, site, funnel) for site in sites for funnel in site.analytics.funnels
    ]
    if not matched:
        return None
    events = matched[0]
    for frame in matched[1:]:
        events = events.unionByName(frame)
    sessions = events.groupBy(*SESSION, "person_id", "session_start", "funnel", "window_us").agg(
        F.array_sort(F.collect_list("event")).alias("trail")
    )
    reached = (
        sessions.withColumn("reached", _steps_reached(F.col("trail"), F.col("window_us")))
        .where(F.col("reached") > 0)
        .select(
            "site_id",
            F.to_date("session_start").alias("event_date"),
            "person_id",
            "funnel",
            F.explode(F.sequence(F.lit(1), F.col("reached"))).alias("step"),
        )
    )
    counted = reached.groupBy("site_id", "event_date", "funnel", "step").agg(
        F.countDistinct("person_id").alias("visitors")
    )
    listed = [
        (site.site_id, funnel.name, number, step.name)
        for site in sites
        for funnel in site.analytics.funnels
        for number, step in enumerate(funnel.steps, start=1)
    ]
    names = tagged.sparkSession.createDataFrame(
        listed, "site_id string, funnel string, step int, step_name string"
    )
    return steps_with_rates(counted, names).select(*BATCH_FUNNELS.column_names)


def steps_with_rates(counted: DataFrame, names: DataFrame) -> DataFrame:
    """Conversion from step 1 and from the step before, and the drop-off, per step; a step
    nobody reached on a day when the funnel was entered has a row of 0. ``names`` lists
    every step: (site_id, funnel, step, step_name)."""
    keys = ["site_id", "event_date", "funnel"]
    days = counted.select(*keys).distinct()
    full = (
        days.join(names, ["site_id", "funnel"])
        .join(counted, [*keys, "step"], "left")
        .withColumn("visitors", F.coalesce(F.col("visitors"), F.lit(0).cast("long")))
    )
    in_order = Window.partitionBy(*keys).orderBy("step")
    first = F.first("visitors").over(in_order.rowsBetween(Window.unboundedPreceding, 0))
    before = F.lag("visitors").over(in_order)
    return full.select(
        *keys,
        "step",
        "step_name",
        "visitors",
        F.when(first > 0, F.col("visitors") / first).alias("conversion_rate"),
        F.when(before > 0, F.col("visitors") / before).alias("step_conversion_rate"),
        F.coalesce(before - F.col("visitors"), F.lit(0).cast("long")).alias("drop_off"),
    )
