"""Every Delta table of the lakehouse, by schema (raw, live, batch, serving, ops)."""

from __future__ import annotations

from lakehouse.columns import Column, ColumnType, Table
from lakehouse.schema import EVENT_COLUMNS, SCHEMA_ID

STR, TS, BIGINT, BOOL, DATE = (
    ColumnType.STRING,
    ColumnType.TIMESTAMP,
    ColumnType.BIGINT,
    ColumnType.BOOLEAN,
    ColumnType.DATE,
)

SCHEMAS: tuple[str, ...] = ("raw", "live", "batch", "serving", "ops")

RAW_EVENTS = Table(
    "raw",
    "events",
    (*EVENT_COLUMNS, Column("event_date", DATE, False, "UTC date of client_ts, the partition")),
    partitioned_by=("event_date",),
    comment=f"Every accepted event ({SCHEMA_ID}), exactly once by event_id",
)

RAW_EVENTS_BAD = Table(
    "raw",
    "events_bad",
    (
        Column("bad_id", STR, False, "UUID of this bad row"),
        Column("stage", STR, False, "where it was rejected: collector step or streaming"),
        Column("reason", STR, False, "typed reason, e.g. schema_violation, too_old"),
        Column("detail", STR, True, "human-readable explanation"),
        Column("payload", STR, False, "the original input, as received"),
        Column("protocol", STR, True, "wire format it arrived in"),
        Column("site_id", STR, True),
        Column("received_at", TS, False),
        Column("bad_date", DATE, False, "UTC date of received_at, the partition"),
    ),
    partitioned_by=("bad_date",),
    comment="Rejected input with where and why; every rejection is data",
)

OPS_GDPR_REQUESTS = Table(
    "ops",
    "gdpr_requests",
    (
        Column("request_id", STR, False),
        Column("site_id", STR, False),
        Column("subject_kind", STR, False, "user_id | visitor_id"),
        Column("subject_id", STR, False),
        Column("requested_at", TS, False),
        Column("status", STR, False, "pending | done | failed"),
        Column("completed_at", TS, True),
    ),
    comment="Erasure requests (right to be forgotten)",
)

OPS_GDPR_AUDIT = Table(
    "ops",
    "gdpr_audit",
    (
        Column("request_id", STR, False),
        Column("table_name", STR, False),
        Column("action", STR, False, "delete | vacuum"),
        Column("rows_removed", BIGINT, True),
        Column("at", TS, False),
    ),
    comment="What each erasure removed, table by table",
)

OPS_DQ_RESULTS = Table(
    "ops",
    "dq_results",
    (
        Column("run_id", STR, False),
        Column("suite", STR, False),
        Column("table_name", STR, False),
        Column("logical_date", DATE, False),
        Column("success", BOOL, False),
        Column("expectations_evaluated", BIGINT, False),
        Column("expectations_failed", BIGINT, False),
        Column("details", STR, True, "JSON of the failed expectations"),
        Column("run_at", TS, False),
    ),
    partitioned_by=("logical_date",),
    comment="Great Expectations results per suite and logical date",
)

OPS_PIPELINE_RUNS = Table(
    "ops",
    "pipeline_runs",
    (
        Column("run_id", STR, False),
        Column("job", STR, False),
        Column("logical_date", DATE, False),
        Column("status", STR, False, "running | success | failed"),
        Column("started_at", TS, False),
        Column("finished_at", TS, True),
        Column("rows_written", BIGINT, True),
        Column("message", STR, True),
    ),
    comment="One row per batch job run and logical date",
)

FOUNDATION_TABLES: tuple[Table, ...] = (
    RAW_EVENTS,
    RAW_EVENTS_BAD,
    OPS_GDPR_REQUESTS,
    OPS_GDPR_AUDIT,
    OPS_DQ_RESULTS,
    OPS_PIPELINE_RUNS,
)
"""The tables `beacon tables init` creates; later layers add theirs to this registry."""
