"""The datasets of the dashboards: the serving views over Trino, their columns taken from the
lakehouse's definitions (so a dataset lists what the view has), and their saved metrics.

Rates are ratios of sums over the rows a chart selects (never averages of daily rates), so a
range's bounce rate is its bounces over its sessions."""

from __future__ import annotations

from lakehouse.tables.live import LIVE_ACTIVE_VISITORS, LIVE_MINUTE_METRICS
from lakehouse.tables.serving import SERVING_DAILY_METRICS_COLUMNS
from stack.superset_bundle.model import Dataset, Metric

REALTIME_CACHE_S = 10
"""How long Superset keeps a realtime chart's data: the live tables change every few seconds."""


def _ratio(numerator: str, denominator: str = "sessions") -> str:
    return f"CAST(SUM({numerator}) AS DOUBLE) / NULLIF(SUM({denominator}), 0)"


DAILY_METRICS = Dataset(
    schema="serving",
    table="daily_metrics",
    columns=SERVING_DAILY_METRICS_COLUMNS,
    time_column="event_date",
    description="One daily series per site, dimension and value: batch for closed days, live"
    " for the open day (session metrics are batch-only)",
    metrics=(
        Metric("visitors", "SUM(visitors)", "Visitors (sum of daily)"),
        Metric("sessions", "SUM(sessions)", "Sessions"),
        Metric("pageviews", "SUM(pageviews)", "Pageviews"),
        Metric("events", "SUM(events)", "Events"),
        Metric("engagement_rate", _ratio("engaged_sessions"), "Engagement rate", ".1%"),
        Metric("bounce_rate", _ratio("bounces"), "Bounce rate", ".1%"),
        Metric(
            "avg_session_duration_s",
            _ratio("avg_session_duration_s * sessions"),
            "Average session duration (s)",
            ",.1f",
        ),
        Metric("pages_per_session", _ratio("pageviews"), "Pages per session", ",.2f"),
        Metric("conversions", "SUM(conversions)", "Conversions"),
        Metric("conversion_rate", _ratio("conversions"), "Conversion rate", ".2%"),
    ),
)

LIVE_MINUTES = Dataset(
    schema="serving",
    table="live_minute_metrics",
    columns=tuple(c for c in LIVE_MINUTE_METRICS.columns if c.name != "visitors_sketch"),
    time_column="minute",
    description="Today's live metrics per site, minute, dimension and value",
    metrics=(
        Metric("pageviews", "SUM(pageviews)", "Pageviews"),
        Metric("events", "SUM(events)", "Events"),
        Metric("new_sessions", "SUM(new_sessions)", "Sessions started"),
    ),
    cache_timeout=REALTIME_CACHE_S,
)

ACTIVE_VISITORS = Dataset(
    schema="serving",
    table="live_active_visitors",
    columns=LIVE_ACTIVE_VISITORS.columns,
    time_column="as_of",
    description="Visitors in the last 5 and 30 minutes per site, as of the latest refresh",
    metrics=(Metric("visitors", "SUM(visitors)", "Visitors"),),
    cache_timeout=REALTIME_CACHE_S,
)

DATASETS: tuple[Dataset, ...] = (DAILY_METRICS, LIVE_MINUTES, ACTIVE_VISITORS)
