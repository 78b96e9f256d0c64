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
from lakehouse.tables.batch import BATCH_FUNNELS
from spark_jobs.transforms.goals import step_matches

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

SESSION = ("site_id", "visitor_id", "session_index")


def _funnel_steps(tagged: DataFrame, site: SiteSettings, funnel_index: int) -> DataFrame:
    """(site_id, event_date, person_id, funnel, step, step_name) for each step reached."""
    funnel = site.analytics.funnels[funnel_index]
    window_us = int(funnel.window_minutes * 60 * 1_000_000)
    events = tagged.where(F.col("site_id") == site.site_id)
    at = F.struct("client_ts", "event_id")
    reached: list[DataFrame] = []
    previous: DataFrame | None = None
    for number, step in enumerate(funnel.steps, start=1):
        matching = events.where(step_matches(step, site.analytics))
        if previous is None:
            current = (
                matching.groupBy(*SESSION, "person_id", "session_start")
                .agg(F.min(at).alias("at"))
                .withColumn("entered_us", F.unix_micros(F.col("at.client_ts")))
            )
        else:
            current = (
                matching.select(*SESSION, at.alias("event_at"))
                .join(previous, list(SESSION))
                .where(
                    (F.col("event_at") > F.col("at"))
                    & (
                        F.unix_micros(F.col("event_at.client_ts"))
                        <= F.col("entered_us") + F.lit(window_us)
                    )
                )
                .groupBy(*SESSION, "person_id", "session_start", "entered_us")
                .agg(F.min("event_at").alias("at"))
            )
        reached.append(
            current.select(
                "site_id",
                F.to_date("session_start").alias("event_date"),
                "person_id",
                F.lit(funnel.name).alias("funnel"),
                F.lit(number).alias("step"),
                F.lit(step.name).alias("step_name"),
            )
        )
        previous = current.select(*SESSION, "person_id", "session_start", "entered_us", "at")
    combined = reached[0]
    for frame in reached[1:]:
        combined = combined.unionByName(frame)
    return combined


def funnels(tagged: DataFrame, sites: Sequence[SiteSettings]) -> DataFrame | None:
    """batch.funnels rows from human events with session_index, session_start and
    person_id; None if no site has a funnel."""
    parts = [
        _funnel_steps(tagged, site, index)
        for site in sites
        for index in range(len(site.analytics.funnels))
    ]
    if not parts:
        return None
    steps = parts[0]
    for part in parts[1:]:
        steps = steps.unionByName(part)
    counted = steps.groupBy("site_id", "event_date", "funnel", "step", "step_name").agg(
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
        .join(counted, [*keys, "step", "step_name"], "left")
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
