"""The ops schema: erasure requests and their audit, data-quality results, pipeline runs."""

from __future__ import annotations

from lakehouse.columns import Column, ColumnType, Table

STR, TS, BIGINT, BOOL, DATE = (
    ColumnType.STRING,
    ColumnType.TIMESTAMP,
    ColumnType.BIGINT,
    ColumnType.BOOLEAN,
    ColumnType.DATE,
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
