"""The serving schema: Trino views over the live tables, and the daily series that serves
batch values for closed days and live values after them."""

from __future__ import annotations

from lakehouse.columns import Column, ColumnType, Table
from lakehouse.tables.batch import BATCH_DAILY_METRICS
from lakehouse.tables.live import (
    DAY_KEY,
    LATEST_VERSION_ORDER,
    LIVE_ACTIVE_VISITORS,
    LIVE_DAILY_METRICS,
    LIVE_MINUTE_METRICS,
    MEASURES,
    MINUTE_KEY,
)
from lakehouse.tables.ops import OPS_PIPELINE_RUNS
from lakehouse.tables.raw import RAW_EVENTS_BAD
from lakehouse.views import UTC_TODAY, View, in_catalog, select_from


def latest_versions_query(
    table: Table,
    key: tuple[str, ...],
    where: str = "",
    renamed: dict[str, str] | None = None,
    exclude: tuple[str, ...] = ("visitors_sketch",),
) -> str:
    """A Trino query of the latest version of each key of a versioned live table
    (:mod:`lakehouse.tables.live`), its columns in the table's order but the sketch.

    The counts of a key only grow from one version to the next, so the latest count is the
    largest; the visitors' estimate is the latest version's."""
    names = renamed or {}
    grouped = [c for c in table.column_names if c in key or c in table.partitioned_by]
    columns = []
    for column in table.column_names:
        if column in exclude:
            continue
        if column in grouped:
            expression = column
        elif column in (*MEASURES, "updated_at"):
            expression = f"max({column})"
        else:
            expression = f"max_by({column}, {LATEST_VERSION_ORDER})"
        alias = names.get(column, column)
        columns.append(expression if expression == alias else f"{expression} AS {alias}")
    condition = f" WHERE {where}" if where else ""
    return (
        f"SELECT {', '.join(columns)} FROM {in_catalog(table)}{condition}"
        f" GROUP BY {', '.join(grouped)}"
    )


LIVE_DAILY_COLUMNS = {"unique_visitors": "visitors"}
"""serving.live_daily_metrics' names for live.daily_metrics' columns."""

SERVING_LIVE_VIEWS: tuple[View, ...] = (
    View(
        "serving",
        "live_minute_metrics",
        latest_versions_query(LIVE_MINUTE_METRICS, MINUTE_KEY, f"event_date = {UTC_TODAY}"),
        "live per-minute metrics of the current UTC day",
    ),
    View(
        "serving",
        "live_daily_metrics",
        latest_versions_query(
            LIVE_DAILY_METRICS,
            DAY_KEY,
            renamed=LIVE_DAILY_COLUMNS,
            exclude=("visitors_sketch", "updated_at"),
        ),
        "live metrics per site, day, dimension and value over every day the live tables hold;"
        " visitors is the day's distinct visitors, an HLL estimate (lgK 12: about 1.6 % relative"
        " standard error, exact in practice below a few hundred)",
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
"""The live side of the serving layer; the batch layer's views merge these with batch tables.
They read the live side through ``serving.live_daily_metrics`` (closed and open days) and
``serving.live_minute_metrics`` (today's minutes), so a change of the live layout changes
these views alone."""

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


def _batch_column(name: str) -> Column:
    (column,) = (c for c in BATCH_DAILY_METRICS.columns if c.name == name)
    return column


def _trino_type(name: str) -> str:
    return _batch_column(name).type.trino_sql


SERVING_DAILY_METRICS_COLUMNS: tuple[Column, ...] = (
    *(_batch_column(name) for name in ("site_id", "event_date", "dimension", "value")),
    Column(
        "layer",
        ColumnType.STRING,
        False,
        "batch for the days the batch layer has closed, else live",
    ),
    *(_batch_column(name) for name in ("visitors", "pageviews", "events", *_BATCH_ONLY)),
)
"""The columns of serving.daily_metrics, in its order (what a dashboard's dataset lists)."""


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
