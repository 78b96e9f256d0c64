"""The ``batch.sessions`` and ``batch.daily_metrics`` suites: the batch layer's counts of
the day are possible ones.

Relations that hold on every row are pair expectations on the table's own columns. Two
hold on the dimension rows only (the total row counts visitors by the day they were active,
sessions by the day they started, so a session across midnight makes it differ): visitors
<= sessions and new visitors <= visitors are checked on ``dimension_*`` copies of the
columns that are null on the total row, which pair expectations then skip.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from expectations.checks import Check, Frames, Suite, critical
from lakehouse.dimensions import TOTAL_DIMENSION
from lakehouse.tables.batch import BATCH_DAILY_METRICS, BATCH_SESSIONS

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

SESSIONS_SUITE = "batch.sessions"
DAILY_METRICS_SUITE = "batch.daily_metrics"

SESSION_COUNTS = ("pageviews", "screenviews", "events", "duration_s", "goal_value")
DAILY_COUNTS = (
    "visitors",
    "new_visitors",
    "sessions",
    "pageviews",
    "events",
    "engaged_sessions",
    "bounces",
    "single_page_sessions",
    "conversions",
    "goal_value",
    "bot_events",
)
RATES = ("engagement_rate", "bounce_rate", "conversion_rate")


def _day(frame: DataFrame, day: date) -> DataFrame:
    from pyspark.sql import functions as F

    return frame.where(F.col("event_date") == F.lit(day))


def sessions_frame(sessions: DataFrame, day: date) -> DataFrame:
    """The day's sessions, with their page and screen views summed."""
    from pyspark.sql import functions as F

    return _day(sessions, day).withColumn("views", F.col("pageviews") + F.col("screenviews"))


def daily_metrics_frame(metrics: DataFrame, day: date) -> DataFrame:
    """The day's metric rows, with the dimension rows' visitors, new visitors and sessions
    beside them (null on the total row)."""
    from pyspark.sql import functions as F

    on_dimension = F.col("dimension") != F.lit(TOTAL_DIMENSION)
    return _day(metrics, day).withColumns(
        {
            f"dimension_{name}": F.when(on_dimension, F.col(name))
            for name in ("visitors", "new_visitors", "sessions")
        }
    )


def _non_negative(columns: tuple[str, ...]) -> tuple[Check, ...]:
    return tuple(
        critical(
            f"{column}_non_negative",
            "ExpectColumnValuesToBeBetween",
            f"{column} is not negative",
            column=column,
            min_value=0,
        )
        for column in columns
    )


def _at_most(name: str, smaller: str, larger: str, description: str) -> Check:
    return critical(
        name,
        "ExpectColumnPairValuesAToBeGreaterThanB",
        description,
        column_A=larger,
        column_B=smaller,
        or_equal=True,
        ignore_row_if="either_value_is_missing",
    )


def session_checks() -> tuple[Check, ...]:
    return (
        critical(
            "one_row_per_session",
            "ExpectCompoundColumnsToBeUnique",
            "one row per (site, session_key)",
            column_list=["site_id", "session_key"],
        ),
        *_non_negative(SESSION_COUNTS),
        critical(
            "at_least_one_event",
            "ExpectColumnValuesToBeBetween",
            "a session has at least one event",
            column="events",
            min_value=1,
        ),
        _at_most("views_at_most_events", "views", "events", "page + screen views <= events"),
        _at_most(
            "ends_after_start", "session_start", "session_end", "session_end >= session_start"
        ),
    )


def daily_metrics_checks() -> tuple[Check, ...]:
    return (
        critical(
            "one_row_per_key",
            "ExpectCompoundColumnsToBeUnique",
            "one row per (site, dimension, value) of the day",
            column_list=["site_id", "dimension", "value"],
        ),
        *_non_negative(DAILY_COUNTS),
        _at_most(
            "visitors_at_most_sessions",
            "dimension_visitors",
            "dimension_sessions",
            "visitors <= sessions (dimension rows)",
        ),
        _at_most(
            "new_visitors_at_most_visitors",
            "dimension_new_visitors",
            "dimension_visitors",
            "new visitors <= visitors (dimension rows)",
        ),
        _at_most(
            "sessions_at_most_events",
            "sessions",
            "events",
            "sessions <= events: a session has at least one event (so <= pageviews + events)",
        ),
        _at_most("engaged_at_most_sessions", "engaged_sessions", "sessions", "engaged <= sessions"),
        _at_most("bounces_at_most_sessions", "bounces", "sessions", "bounces <= sessions"),
        _at_most(
            "conversions_at_most_sessions", "conversions", "sessions", "conversions <= sessions"
        ),
        *(
            critical(
                f"{rate}_within_0_1",
                "ExpectColumnValuesToBeBetween",
                f"{rate} within [0, 1]",
                column=rate,
                min_value=0.0,
                max_value=1.0,
            )
            for rate in RATES
        ),
    )


def sessions_suite() -> Suite:
    def frame(frames: Frames, day: date) -> DataFrame:
        return sessions_frame(frames[BATCH_SESSIONS.qualified_name], day)

    return Suite(
        SESSIONS_SUITE,
        "the day's sessions are whole and their counts possible",
        (BATCH_SESSIONS.qualified_name,),
        frame,
        session_checks(),
    )


def daily_metrics_suite() -> Suite:
    def frame(frames: Frames, day: date) -> DataFrame:
        return daily_metrics_frame(frames[BATCH_DAILY_METRICS.qualified_name], day)

    return Suite(
        DAILY_METRICS_SUITE,
        "the day's metrics are one row per key and their counts consistent",
        (BATCH_DAILY_METRICS.qualified_name,),
        frame,
        daily_metrics_checks(),
    )
