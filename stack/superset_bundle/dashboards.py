"""The dashboards: which charts each shows, of which dataset, and how they are laid out."""

from __future__ import annotations

from lakehouse.dimensions import TOTAL_DIMENSION
from stack.superset_bundle.datasets import (
    ACTIVE_VISITORS,
    DAILY_METRICS,
    LIVE_MINUTES,
    REALTIME_CACHE_S,
)
from stack.superset_bundle.model import Chart, Dashboard, Filter, Row

TOTAL = Filter("dimension", "==", TOTAL_DIMENSION)
LAST_28_DAYS = 'DATEADD(DATETIME("today"), -27, day) : DATEADD(DATETIME("today"), 1, day)'
"""The last 28 UTC days, today's included (Superset's "Last month" stops before today)."""


def last_minutes(minutes: int) -> str:
    return f'DATEADD(DATETIME("now"), -{minutes}, minute) : now'


def _active(window: int) -> Chart:
    return Chart(
        key=f"realtime/active-visitors-{window}m",
        name=f"Active visitors ({window} min)",
        kind="big_number",
        dataset=ACTIVE_VISITORS,
        metrics=("visitors",),
        filters=(Filter("window_minutes", "==", window),),
        cache_timeout=REALTIME_CACHE_S,
        width=3,
        height=30,
    )


def _per_minute(minutes: int) -> Chart:
    return Chart(
        key=f"realtime/pageviews-per-minute-{minutes}m",
        name=f"Pageviews per minute, last {minutes} minutes",
        kind="time_series",
        dataset=LIVE_MINUTES,
        metrics=("pageviews",),
        filters=(TOTAL,),
        time_range=last_minutes(minutes),
        time_grain="PT1M",
        cache_timeout=REALTIME_CACHE_S,
        width=6,
    )


def _top_now(dimension: str, name: str) -> Chart:
    return Chart(
        key=f"realtime/top-{dimension}",
        name=f"{name} now (last 30 minutes)",
        kind="table",
        dataset=LIVE_MINUTES,
        metrics=("pageviews",),
        filters=(Filter("dimension", "==", dimension),),
        group_by="value",
        time_range=last_minutes(30),
        cache_timeout=REALTIME_CACHE_S,
    )


REALTIME = Dashboard(
    key="realtime",
    title="Realtime",
    description="Visitors now and the last hour's traffic, from the live tables",
    filter_dataset=LIVE_MINUTES,
    refresh_s=10,
    rows=(
        Row((_active(5), _active(30))),
        Row((_per_minute(30), _per_minute(60))),
        Row(
            (
                _top_now("path", "Top pages"),
                _top_now("referrer_class", "Top sources (referrer class)"),
                _top_now("country", "Top countries"),
            )
        ),
    ),
)


def _figure(metric: str, name: str, number_format: str = "SMART_NUMBER") -> Chart:
    return Chart(
        key=f"overview/{metric.replace('_', '-')}",
        name=name,
        kind="big_number",
        dataset=DAILY_METRICS,
        metrics=(metric,),
        filters=(TOTAL,),
        time_range=LAST_28_DAYS,
        number_format=number_format,
        width=3,
        height=30,
    )


def _over_time(key: str, name: str, *metrics: str, number_format: str = "SMART_NUMBER") -> Chart:
    return Chart(
        key=f"overview/{key}-per-day",
        name=name,
        kind="time_series",
        dataset=DAILY_METRICS,
        metrics=metrics,
        filters=(TOTAL,),
        time_range=LAST_28_DAYS,
        compare_previous=True,
        number_format=number_format,
        width=6,
    )


OVERVIEW_FIGURES = (
    _figure("visitors", "Visitors (sum of daily)"),
    _figure("sessions", "Sessions"),
    _figure("pageviews", "Pageviews"),
    _figure("engagement_rate", "Engagement rate", ".1%"),
    _figure("bounce_rate", "Bounce rate", ".1%"),
    _figure("avg_session_duration_s", "Average session duration (s)", ",.1f"),
    _figure("conversion_rate", "Conversion rate", ".2%"),
    _figure("conversions", "Conversions"),
)
"""The Overview's figures over its range, one big number each (what the test checks)."""

OVERVIEW = Dashboard(
    key="overview",
    title="Overview",
    description="Visitors, sessions, engagement and conversions per day, with the previous"
    " period beside them: batch for closed days, live for today",
    filter_dataset=DAILY_METRICS,
    rows=(
        Row(OVERVIEW_FIGURES[:4]),
        Row(OVERVIEW_FIGURES[4:]),
        Row(
            (
                _over_time("visitors", "Visitors per day", "visitors"),
                _over_time("sessions", "Sessions and pageviews per day", "sessions", "pageviews"),
            )
        ),
        Row(
            (
                _over_time(
                    "rates",
                    "Engagement and bounce rate per day",
                    "engagement_rate",
                    "bounce_rate",
                    number_format=".1%",
                ),
                _over_time(
                    "duration",
                    "Average session duration per day (s)",
                    "avg_session_duration_s",
                    number_format=",.1f",
                ),
            )
        ),
        Row(
            (
                _over_time(
                    "conversion-rate",
                    "Conversion rate per day",
                    "conversion_rate",
                    number_format=".2%",
                ),
            )
        ),
    ),
)

DASHBOARDS: tuple[Dashboard, ...] = (REALTIME, OVERVIEW)
