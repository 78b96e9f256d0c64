"""The serving schema: Trino views over the live tables, and the daily series that serves
batch values for closed days and live values after them."""

from __future__ import annotations

from lakehouse.tables.batch import BATCH_DAILY_METRICS
from lakehouse.tables.live import LIVE_ACTIVE_VISITORS, LIVE_MINUTE_METRICS
from lakehouse.tables.ops import OPS_PIPELINE_RUNS
from lakehouse.tables.raw import RAW_EVENTS_BAD
from lakehouse.views import UTC_TODAY, View, in_catalog, select_from

SERVING_LIVE_VIEWS: tuple[View, ...] = (
    View(
        "serving",
        "live_minute_metrics",
        select_from(LIVE_MINUTE_METRICS, exclude=("visitors_sketch",))
        + f" WHERE event_date = {UTC_TODAY}",
        "live per-minute metrics of the current UTC day",
    ),
    View(
        "serving",
        "live_daily_metrics",
        "SELECT site_id, event_date, dimension, value, sum(pageviews) AS pageviews,"
        " sum(events) AS events, max(unique_visitors) AS visitors,"
        " sum(new_sessions) AS new_sessions"
        f" FROM {in_catalog(LIVE_MINUTE_METRICS)}"
        " GROUP BY site_id, event_date, dimension, value",
        "live metrics per site, day, dimension and value over every day the live tables hold;"
        " visitors is the busiest minute's distinct visitors (a lower bound of the day's)",
    ),
    View(
        "serving",
        "live_active_visitors",
        select_from(LIVE_ACTIVE_VISITORS)
        + " WHERE as_of = (SELECT max(as_of)"
        + f" FROM {in_catalog(LIVE_ACTIVE_VISITORS)})",
        "visitors in the last 5 and 30 minutes per site, as of the latest refresh",
    ),
    View(
        "serving",
        "bad_rows_by_reason",
        "SELECT bad_date, stage, reason, count(*) AS bad_rows"
        f" FROM {in_catalog(RAW_EVENTS_BAD)} GROUP BY bad_date, stage, reason",
        "rejected input counted per day, stage and reason",
    ),
)
"""The live side of the serving layer; the batch layer's views merge these with batch tables."""

CLOSED_THROUGH = (
    "SELECT max(logical_date) AS closed_through"
    f" FROM {in_catalog(OPS_PIPELINE_RUNS)}"
    " WHERE job = 'publish' AND status = 'success'"
)
"""The last day the batch layer has closed: every day up to it is served from batch tables."""

_BATCH_ONLY = (
    "sessions",
    "engaged_sessions",
    "bounces",
    "bounce_rate",
    "engagement_rate",
    "single_page_sessions",
    "avg_session_duration_s",
    "pages_per_session",
    "conversions",
    "conversion_rate",
)


def _trino_type(name: str) -> str:
    (column,) = (c for c in BATCH_DAILY_METRICS.columns if c.name == name)
    return column.type.trino_sql


SERVING_DAILY_VIEWS: tuple[View, ...] = (
    View(
        "serving",
        "closed_days",
        CLOSED_THROUGH,
        "the last day the batch layer has closed (a successful publish in ops.pipeline_runs)",
    ),
    View(
        "serving",
        "daily_metrics",
        f"WITH closed AS ({CLOSED_THROUGH})"
        " SELECT b.site_id, b.event_date, b.dimension, b.value, 'batch' AS layer,"
        " b.visitors, b.pageviews, b.events, "
        + ", ".join(f"b.{name}" for name in _BATCH_ONLY)
        + f" FROM {in_catalog(BATCH_DAILY_METRICS)} b CROSS JOIN closed"
        " WHERE b.event_date <= closed.closed_through"
        " UNION ALL"
        " SELECT l.site_id, l.event_date, l.dimension, l.value, 'live' AS layer,"
        " l.visitors, l.pageviews, l.events, "
        + ", ".join(f"CAST(NULL AS {_trino_type(name)}) AS {name}" for name in _BATCH_ONLY)
        + " FROM {catalog}.serving.live_daily_metrics l CROSS JOIN closed"
        " WHERE closed.closed_through IS NULL OR l.event_date > closed.closed_through",
        "one daily series per site, dimension and value: batch values for the days the batch"
        " layer has closed, live values after them; the session metrics are batch-only",
    ),
)
"""The serving layer's merged daily series (after the live views, which it reads)."""

SERVING_VIEWS: tuple[View, ...] = (*SERVING_LIVE_VIEWS, *SERVING_DAILY_VIEWS)
"""Every serving view, in the order they are created (a view before those reading it)."""
