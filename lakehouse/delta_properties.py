"""Delta table properties that tune the streamed tables, each with the rule it keeps.

A :class:`~lakehouse.columns.Table` lists the ones it is created with; the streaming job's
maintenance thread finds the tables it looks after by these same properties. The
measurements behind each choice are in docs/tuning.md.
"""

from __future__ import annotations

DeltaProperty = tuple[str, str]

DEFERRED_LOG_CHECKPOINTS: DeltaProperty = ("delta.checkpointInterval", "1000")
"""Log checkpoints are the table maintenance's background work (lakehouse.maintenance), not a
step of the committing micro-batch; this interval is only the writers' fallback."""

COMPACTED_INLINE: DeltaProperty = ("delta.autoOptimize.autoCompact", "true")
"""A table whose writer compacts a partition's small files in the committing thread once
there are 50 of them (Delta's auto compaction); no streamed table is created with it now
(the live tables were, while each micro-batch MERGEd into them), but a table made by an
older version may still carry it."""

COMPACTED_IN_BACKGROUND: DeltaProperty = ("delta.autoOptimize.autoCompact", "false")
"""An append-only table's small files are compacted by the table maintenance thread, which
no blind append conflicts with (the live tables of versioned rows are appended to as well;
the same thread also deletes their superseded versions). Inline, Delta's auto compaction
holds up a micro-batch every so often and rewrites files up to 64 MB each time: a
partition's whole day of events."""

STREAMED_LOG_RETENTION: DeltaProperty = ("delta.logRetentionDuration", "interval 1 hours")
"""A table the streaming job commits to every few seconds keeps an hour of its Delta log.
On a local disk Delta lists the whole ``_delta_log`` folder before every write, so a long log
makes every write slower (``bench/delta_log_listing``). Delta itself deletes expired log
files only at day granularity; the table maintenance does so to the minute. Time travel, and
any Delta streaming reader of these tables, reach back that far."""

RAW_EVENT_STATS: DeltaProperty = (
    "delta.dataSkippingStatsColumns",
    "event_id,site_id,client_ts,received_at",
)
"""raw.events keeps min/max/null-count statistics of the columns its readers filter on (an
event, a site, a time range; the date is the partition), not of the first 32 columns: a write
computes them for every row, which for 32 columns is a large share of the raw append's CPU
(``bench/stream_throughput``). Files are still counted by their rows."""

REQUEST_STATS: DeltaProperty = ("delta.dataSkippingStatsColumns", "request_id,status,requested_at")
"""ops.gdpr_requests keeps statistics of what its readers filter on, not of ``subject_id``: a
file's min and max would copy an identifier in clear into the Delta log, which outlives the
erasure that drops it from the row (the log is kept 30 days)."""

STREAMED_FILE_RETENTION: DeltaProperty = ("delta.deletedFileRetentionDuration", "interval 1 hours")
"""The files a streamed table no longer uses (rewritten by a MERGE, a compaction, a pruning,
an erasure) are deleted by the hourly VACUUM of the table maintenance once an hour old. Delta
requires it to be no longer than the log retention, and a version older than the log cannot
be read anyway."""

SESSION_STATS: DeltaProperty = ("delta.dataSkippingStatsColumns", "site_id,session_start")
"""batch.sessions keeps statistics of its site and start only: a file's min and max of
``visitor_id``, ``person_id`` or ``session_key`` would copy an identifier in clear into the
Delta log and its checksum files, where an erasure's delete cannot reach it."""

USER_STATS: DeltaProperty = ("delta.dataSkippingStatsColumns", "site_id,first_seen,last_seen")
"""batch.users keeps statistics of its site and dates only, not of ``person_id``."""

BAD_ROW_STATS: DeltaProperty = (
    "delta.dataSkippingStatsColumns",
    "bad_id,stage,reason,site_id,received_at",
)
"""raw.events_bad keeps statistics of its typed columns only: the first characters of a
``payload`` or ``detail`` can hold an identifier."""
