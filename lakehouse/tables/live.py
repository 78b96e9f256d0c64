"""The live schema: the speed layer's per-minute metrics and active visitors."""

from __future__ import annotations

from lakehouse.columns import Column, ColumnType, Table
from lakehouse.delta_properties import (
    COMPACTED_INLINE,
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

LIVE_MINUTE_METRICS = Table(
    "live",
    "minute_metrics",
    (
        Column("site_id", STR, False),
        Column("minute", TS, False, "start of the 1-minute tumbling window of client_ts (UTC)"),
        Column("dimension", STR, False, "all | path | referrer_class | country | ..."),
        Column("value", STR, False, "the dimension's value; (all) for the total, (none) if unset"),
        Column("pageviews", BIGINT, False, "events of type page"),
        Column("events", BIGINT, False, "events of every type"),
        Column("unique_visitors", BIGINT, False, "distinct visitor_id: the sketch's HLL estimate"),
        Column("new_sessions", BIGINT, False, "events that start a session"),
        Column("visitors_sketch", BINARY, True, "DataSketches HLL sketch of visitor_id (lgK 12)"),
        Column("updated_at", TS, False, "when the streaming job last wrote the row"),
        Column("event_date", DATE, False, "UTC date of minute, the partition"),
        Column("event_hour", INT, False, "UTC hour of minute (0-23), the second partition"),
    ),
    # A MERGE rewrites every file holding a row it updates; by hour, a micro-batch rewrites
    # the rows of its hour (or two), where by date alone it copied the whole day each time.
    partitioned_by=("event_date", "event_hour"),
    comment="Live metrics per site, minute and dimension value, from on-time events",
    properties=(
        COMPACTED_INLINE,
        DEFERRED_LOG_CHECKPOINTS,
        STREAMED_LOG_RETENTION,
        STREAMED_FILE_RETENTION,
    ),
)

LIVE_ACTIVE_VISITORS = Table(
    "live",
    "active_visitors",
    (
        Column("site_id", STR, False),
        Column("window_minutes", INT, False, "5 or 30: the minutes looked back, this one included"),
        Column("visitors", BIGINT, False, "distinct visitors (HLL estimate)"),
        Column("as_of", TS, False, "when it was computed: the refresh the row belongs to"),
    ),
    comment="Distinct visitors per site in the last 5 and 30 minutes: the rows of each refresh"
    " (every 5 s) of the last 10 minutes",
    properties=(STREAMED_LOG_RETENTION, STREAMED_FILE_RETENTION),
)

ACTIVE_VISITOR_WINDOWS: tuple[int, ...] = (5, 30)

LIVE_TABLES: tuple[Table, ...] = (LIVE_MINUTE_METRICS, LIVE_ACTIVE_VISITORS)
