"""The serving schema: Trino views over the live tables (and, to come, the batch tables)."""

from __future__ import annotations

from lakehouse.tables.live import LIVE_ACTIVE_VISITORS, LIVE_MINUTE_METRICS
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
