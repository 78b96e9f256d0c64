"""The ops schema: erasure requests and their audit, data-quality results, pipeline runs."""

from __future__ import annotations

from lakehouse.columns import Column, ColumnType, Table
from lakehouse.delta_properties import REQUEST_STATS

STR, TS, BIGINT, INT, BOOL, DATE, STRINGS, DATES, COUNTS = (
    ColumnType.STRING,
    ColumnType.TIMESTAMP,
    ColumnType.BIGINT,
    ColumnType.INT,
    ColumnType.BOOLEAN,
    ColumnType.DATE,
    ColumnType.STRING_ARRAY,
    ColumnType.DATE_ARRAY,
    ColumnType.COUNT_MAP,
)

_REQUEST_ID = Column("request_id", STR, False)
_SITE_ID = Column("site_id", STR, False)
_SUBJECT_KIND = Column("subject_kind", STR, False, "user_id | anonymous_id | visitor_id")
_SUBJECT_HASH = Column("subject_hash", STR, False, "HMAC-SHA256 of site, kind and identifier (hex)")
_REQUESTED_AT = Column("requested_at", TS, False)

OPS_GDPR_REQUESTS = Table(
    "ops",
    "gdpr_requests",
    (
        _REQUEST_ID,
        _SITE_ID,
        _SUBJECT_KIND,
        Column("subject_id", STR, True, "the identifier, in clear only until the erasure is done"),
        _SUBJECT_HASH,
        Column("status", STR, False, "pending | running | erased | done | failed"),
        Column("requested_by", STR, False, "api | cli"),
        _REQUESTED_AT,
        Column("started_at", TS, True, "when the last attempt started"),
        Column("finished_at", TS, True, "when the last attempt ended (done or failed)"),
        Column("attempts", INT, False, "attempts started"),
        Column("rows_removed", COUNTS, True, "rows deleted per table, over every attempt"),
        Column("affected_days", DATES, True, "days whose aggregates are to be recomputed"),
        Column("error", STR, True, "why the last attempt failed"),
    ),
    comment="Erasure requests (right to be forgotten): one row per request, its latest state",
    properties=(REQUEST_STATS,),
)

OPS_GDPR_AUDIT = Table(
    "ops",
    "gdpr_audit",
    (
        _REQUEST_ID,
        _SITE_ID,
        _SUBJECT_KIND,
        _SUBJECT_HASH,
        _REQUESTED_AT,
        Column("erased_at", TS, False, "when the last delete committed"),
        Column("tables", STRINGS, False, "the tables the subject was deleted from"),
        Column("rows_removed", COUNTS, False, "rows deleted per table"),
        Column("rows_removed_total", BIGINT, False),
        Column("affected_days", DATES, False, "days whose aggregates are to be recomputed"),
        Column("files_removed", BIGINT, True, "files VACUUM deleted; null until vacuumed"),
        Column("vacuumed_at", TS, True, "when the touched tables were vacuumed"),
        Column("kafka_expires_at", TS, True, "when the subject's last Kafka copy expires"),
    ),
    comment="One row per completed erasure; the identifier only as a keyed hash",
)

OPS_DQ_RESULTS = Table(
    "ops",
    "dq_results",
    (
        Column("run_id", STR, False, "one `beacon dq run` or nightly dq task"),
        Column("logical_date", DATE, False, "the day checked"),
        Column("suite", STR, False, "raw.events | batch.sessions | ... (expectations/)"),
        Column("expectation", STR, False, "the expectation's name in its suite"),
        Column("expectation_type", STR, False, "the Great Expectations type"),
        Column("severity", STR, False, "critical (blocks publishing) | warning (recorded)"),
        Column("success", BOOL, False),
        Column(
            "observed_value",
            STR,
            True,
            "JSON: the observed value or the unexpected count and share, never sample values",
        ),
        Column("run_at", TS, False, "when the suite ran"),
    ),
    partitioned_by=("logical_date",),
    comment="Data-quality results: one row per expectation run",
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

OPS_COLLECTOR_ACCEPTED = Table(
    "ops",
    "collector_accepted",
    (
        Column("site_id", STR, False),
        Column("received_date", DATE, False, "UTC date of received_at"),
        Column("accepted", BIGINT, False, "events accepted since the collector's last row"),
        Column("collector", STR, False, "host and process that accepted them"),
        Column("flushed_at", TS, False),
    ),
    partitioned_by=("received_date",),
    comment="Events the collector accepted (sent to Kafka or spooled), per site and day of"
    " receipt: each collector process appends its counts every few seconds; a day's count is"
    " the sum of its rows",
)
