"""Every Delta table of the lakehouse, by schema (raw, live, batch, serving, ops)."""

from __future__ import annotations

from dataclasses import dataclass

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

DEFERRED_LOG_CHECKPOINTS = ("delta.checkpointInterval", "1000")
"""Log checkpoints are the streaming job's background work (streaming.job.TableMaintenance),
not a step of the committing micro-batch; this interval is only the writers' fallback."""

COMPACTED_INLINE = ("delta.autoOptimize.autoCompact", "true")
"""A table a micro-batch MERGEs into compacts a partition's small files in the committing
thread once there are 50 of them (Delta's auto compaction): compacting it beside the MERGE
would make one of the two fail on the files both remove."""

COMPACTED_IN_BACKGROUND = ("delta.autoOptimize.autoCompact", "false")
"""An append-only table's small files are compacted by the streaming job's maintenance thread
(streaming.job.TableMaintenance), which no blind append conflicts with. Inline, Delta's auto
compaction held up every 25th micro-batch, and rewrote files up to 64 MB each time: a
partition's whole day of events, every 50 seconds."""

STREAMED_LOG_RETENTION = ("delta.logRetentionDuration", "interval 1 hours")
"""A table the streaming job commits to every few seconds keeps an hour of its Delta log.
On a local disk Delta lists the whole ``_delta_log`` folder before every write, three files
per commit here: an hour of log (about 5,400 files) costs a write 80 ms more, a day's
(130,000) 3.2 s more (``bench/delta_log_listing``). Delta itself deletes expired log files
only at day granularity; the streaming job's maintenance thread does so every five minutes.
Time travel, and any Delta streaming reader of these tables, reach back that far."""

RAW_EVENT_STATS = ("delta.dataSkippingStatsColumns", "event_id,site_id,client_ts,received_at")
"""raw.events keeps min/max/null-count statistics of the columns its readers filter on (an
event, a site, a time range; the date is the partition), not of the first 32 columns: a write
computes them for every row, and 32 columns cost a micro-batch about a third of its raw
append's CPU (``bench/stream_throughput``). Files are still counted by their rows."""

STREAMED_FILE_RETENTION = ("delta.deletedFileRetentionDuration", "interval 1 hours")
"""The files a streamed table no longer uses (rewritten by a MERGE, a compaction, a pruning,
an erasure) are deleted by the streaming job's hourly VACUUM once an hour old: about one a
second while the job runs. Delta requires it to be no longer than the log retention, and a
version older than the log cannot be read anyway."""

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

# The speed layer (streaming/): per-minute metrics by dimension and active visitors.

INT, BINARY = ColumnType.INT, ColumnType.BINARY

TOTAL_DIMENSION = "all"
"""The dimension whose one value, ``TOTAL_VALUE``, stands for all of a site's traffic."""
TOTAL_VALUE = "(all)"
MISSING_VALUE = "(none)"
"""The value of a dimension the event does not carry (no country, no utm_source ...)."""
METRIC_DIMENSIONS: tuple[str, ...] = (
    TOTAL_DIMENSION,
    "path",
    "referrer_class",
    "country",
    "device_type",
    "browser",
    "utm_source",
    "utm_medium",
    "utm_campaign",
)
"""Metrics are broken down by each of these (event fields, except the total)."""

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


@dataclass(frozen=True)
class View:
    """A Trino view; ``query`` names tables as ``{catalog}.<schema>.<table>``."""

    schema: str
    name: str
    query: str
    comment: str = ""

    @property
    def qualified_name(self) -> str:
        return f"{self.schema}.{self.name}"

    def trino_ddl(self, catalog: str) -> str:
        comment = f" COMMENT '{self.comment}'" if self.comment else ""
        return (
            f"CREATE OR REPLACE VIEW {catalog}.{self.schema}.{self.name}{comment} AS\n"
            + self.query.format(catalog=catalog)
        )


def _select(table: Table, exclude: tuple[str, ...] = ()) -> str:
    columns = ", ".join(c for c in table.column_names if c not in exclude)
    return f"SELECT {columns} FROM {{catalog}}.{table.qualified_name}"


UTC_TODAY = "CAST(current_timestamp AT TIME ZONE 'UTC' AS date)"

SERVING_LIVE_VIEWS: tuple[View, ...] = (
    View(
        "serving",
        "live_minute_metrics",
        _select(LIVE_MINUTE_METRICS, exclude=("visitors_sketch",))
        + f" WHERE event_date = {UTC_TODAY}",
        "live per-minute metrics of the current UTC day",
    ),
    View(
        "serving",
        "live_active_visitors",
        _select(LIVE_ACTIVE_VISITORS)
        + " WHERE as_of = (SELECT max(as_of)"
        + f" FROM {{catalog}}.{LIVE_ACTIVE_VISITORS.qualified_name})",
        "visitors in the last 5 and 30 minutes per site, as of the latest refresh",
    ),
    View(
        "serving",
        "bad_rows_by_reason",
        "SELECT bad_date, stage, reason, count(*) AS bad_rows"
        f" FROM {{catalog}}.{RAW_EVENTS_BAD.qualified_name} GROUP BY bad_date, stage, reason",
        "rejected input counted per day, stage and reason",
    ),
)
"""The live side of the serving layer; the batch layer's views merge these with batch tables."""
