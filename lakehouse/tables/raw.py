"""The raw schema: every accepted event, and every rejection with where and why."""

from __future__ import annotations

from lakehouse.bad_rows import BAD_ROW_COLUMNS
from lakehouse.columns import Column, ColumnType, Table
from lakehouse.delta_properties import (
    BAD_ROW_STATS,
    COMPACTED_IN_BACKGROUND,
    DEFERRED_LOG_CHECKPOINTS,
    RAW_EVENT_STATS,
    STREAMED_FILE_RETENTION,
    STREAMED_LOG_RETENTION,
)
from lakehouse.schema import EVENT_COLUMNS, SCHEMA_ID

DATE = ColumnType.DATE

RAW_EVENTS = Table(
    "raw",
    "events",
    (*EVENT_COLUMNS, Column("event_date", DATE, False, "UTC date of client_ts, the partition")),
    partitioned_by=("event_date",),
    comment=f"Every accepted event ({SCHEMA_ID}), exactly once by event_id",
    properties=(
        COMPACTED_IN_BACKGROUND,
        DEFERRED_LOG_CHECKPOINTS,
        STREAMED_LOG_RETENTION,
        STREAMED_FILE_RETENTION,
        RAW_EVENT_STATS,
    ),
)

RAW_EVENTS_BAD = Table(
    "raw",
    "events_bad",
    (*BAD_ROW_COLUMNS, Column("bad_date", DATE, False, "UTC date of received_at, the partition")),
    partitioned_by=("bad_date",),
    comment="Rejected input of every stage with where and why; every rejection is data",
    properties=(
        COMPACTED_IN_BACKGROUND,
        DEFERRED_LOG_CHECKPOINTS,
        STREAMED_LOG_RETENTION,
        STREAMED_FILE_RETENTION,
        BAD_ROW_STATS,
    ),
)
