"""The live schema: the speed layer's per-minute and per-day metrics and active visitors.

The metric tables hold versions: each micro-batch appends, for every key it counted
events of, the key's totals so far (counts and the visitors' sketch), and the maintenance
thread deletes the versions a newer one supersedes. A key's value is its latest version,
the one with the most events (each version counts at least one event more than the one
before), which every reader takes (:data:`LATEST_VERSION_ORDER`; the serving views)."""

from __future__ import annotations

from lakehouse.columns import Column, ColumnType, Table
from lakehouse.delta_properties import (
    COMPACTED_IN_BACKGROUND,
    DEFERRED_LOG_CHECKPOINTS,
    STREAMED_FILE_RETENTION,
    STREAMED_LOG_RETENTION,
)

STR, TS, BIGINT, INT, BINARY, DATE = (
    ColumnType.STRING,
    ColumnType.TIMESTAMP,
    ColumnType.BIGINT,
    ColumnType.INT,
    ColumnType.BINARY,
    ColumnType.DATE,
)

_SITE_ID = Column("site_id", STR, False)
_DIMENSION_VALUE: tuple[Column, ...] = (
    Column("dimension", STR, False, "all | path | referrer_class | country | ..."),
    Column("value", STR, False, "the dimension's value; (all) for the total, (none) if unset"),
)
"""A metric row's dimension and value, after its site and period (minute or day)."""
_MEASURE_COLUMNS: tuple[Column, ...] = (
    Column("pageviews", BIGINT, False, "events of type page"),
    Column("events", BIGINT, False, "events of every type"),
    Column("unique_visitors", BIGINT, False, "distinct visitor_id: the sketch's HLL estimate"),
    Column("new_sessions", BIGINT, False, "events that start a session"),
    Column("visitors_sketch", BINARY, True, "DataSketches HLL sketch of visitor_id (lgK 12)"),
)
"""The measures of a per-minute and a per-day metric row, in their column order."""

LIVE_MINUTE_METRICS = Table(
    "live",
    "minute_metrics",
    (
        _SITE_ID,
        Column("minute", TS, False, "start of the 1-minute tumbling window of client_ts (UTC)"),
        *_DIMENSION_VALUE,
        *_MEASURE_COLUMNS,
        Column("updated_at", TS, False, "when the streaming job last wrote the row"),
        Column("event_date", DATE, False, "UTC date of minute, the partition"),
        Column("event_hour", INT, False, "UTC hour of minute (0-23), the second partition"),
    ),
    # By hour: the maintenance thread's deletion of superseded versions rewrites the files of
    # the hours that got new versions, not the day's.
    partitioned_by=("event_date", "event_hour"),
    comment="Live metrics per site, minute and dimension value, from on-time events: versions"
    " of each key's totals, the one with the most events the latest",
    properties=(
        COMPACTED_IN_BACKGROUND,
        DEFERRED_LOG_CHECKPOINTS,
        STREAMED_LOG_RETENTION,
        STREAMED_FILE_RETENTION,
    ),
)

LIVE_DAILY_METRICS = Table(
    "live",
    "daily_metrics",
    (
        _SITE_ID,
        Column("event_date", DATE, False, "UTC date of client_ts, the partition"),
        *_DIMENSION_VALUE,
        *_MEASURE_COLUMNS,
        Column("updated_at", TS, False, "when the streaming job wrote the version"),
    ),
    partitioned_by=("event_date",),
    comment="Live metrics per site, day and dimension value, from on-time events: versions of"
    " each key's totals, the one with the most events the latest",
    properties=(
        COMPACTED_IN_BACKGROUND,
        DEFERRED_LOG_CHECKPOINTS,
        STREAMED_LOG_RETENTION,
        STREAMED_FILE_RETENTION,
    ),
)

MINUTE_KEY: tuple[str, ...] = ("site_id", "minute", "dimension", "value")
DAY_KEY: tuple[str, ...] = ("site_id", "event_date", "dimension", "value")
LATEST_VERSION_ORDER = "events"
"""The column that orders a key's versions: the latest has the most events."""
MEASURES: tuple[str, ...] = ("pageviews", "events", "new_sessions")
"""The counts of a metric row (besides the visitors' sketch and its estimate)."""

LIVE_ACTIVE_VISITORS = Table(
    "live",
    "active_visitors",
    (
        _SITE_ID,
        Column("window_minutes", INT, False, "5 or 30: the minutes looked back, this one included"),
        Column("visitors", BIGINT, False, "distinct visitors (HLL estimate)"),
        Column("as_of", TS, False, "when it was computed: the refresh the row belongs to"),
    ),
    comment="Distinct visitors per site in the last 5 and 30 minutes: the rows of each refresh"
    " (every 5 s) of the last 10 minutes",
    properties=(STREAMED_LOG_RETENTION, STREAMED_FILE_RETENTION),
)

ACTIVE_VISITOR_WINDOWS: tuple[int, ...] = (5, 30)

VERSIONED_TABLES: tuple[tuple[Table, tuple[str, ...]], ...] = (
    (LIVE_MINUTE_METRICS, MINUTE_KEY),
    (LIVE_DAILY_METRICS, DAY_KEY),
)
"""The live tables of versioned rows, with the key their versions share."""

LIVE_TABLES: tuple[Table, ...] = (LIVE_MINUTE_METRICS, LIVE_DAILY_METRICS, LIVE_ACTIVE_VISITORS)
