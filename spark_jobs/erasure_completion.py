"""The steps that make an erased request done (:mod:`spark_jobs.erasure` erases it):

- **recompute**: the nightly chain's jobs that write tables (sessionize, daily_metrics,
  users, funnels, retention: the days stay closed, and passed their data-quality gate when
  they were closed) rerun for the closed days the erased subjects' rows were on, so the
  aggregates no longer count them; a day still open is left to the nightly run that will
  close it;
- **vacuum**: every table the erasure and the recompute rewrote, and ops.gdpr_requests (whose
  older files held the identifier in clear), vacuumed with ``gdpr.vacuum_retention_hours``
  so the files that held the subject's rows are physically gone; then each request is done
  and its audit row completed with the files removed, when, and when its last Kafka copy
  expires.

A step that fails leaves its requests erased, with the error: the next run does it again.
Every step is idempotent."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING

from pyspark.sql import functions as F

from lakehouse import maintenance
from lakehouse.columns import Table
from lakehouse.erasure import ErasureRequest, RequestStatus, redacted
from lakehouse.settings import Settings
from lakehouse.tables.batch import BATCH_TABLES
from lakehouse.tables.ops import OPS_GDPR_AUDIT, OPS_GDPR_REQUESTS, OPS_PIPELINE_RUNS
from spark_jobs.erasure import (
    ERASED_TABLES,
    Clock,
    audit_of,
    open_requests,
    save_request,
    upsert,
    utc_now,
)

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

Report = Callable[[str], None]

VACUUMED_TABLES: tuple[Table, ...] = tuple(
    dict.fromkeys((*ERASED_TABLES, *BATCH_TABLES, OPS_GDPR_REQUESTS))
)
"""The tables whose removed files an erasure deletes: those it deletes rows from, those the
recompute rewrites, and the requests (the identifier in clear until a request is erased)."""


def erased_requests(spark: SparkSession, settings: Settings) -> list[ErasureRequest]:
    return [r for r in open_requests(spark, settings) if r.status is RequestStatus.ERASED]


def day_runs(days: Iterable[date]) -> list[tuple[date, int]]:
    """The days as runs of consecutive days, each (its last day, the days before it): one
    nightly window (logical date and lookback) per run."""
    ordered = sorted(set(days))
    runs: list[tuple[date, int]] = []
    for day in ordered:
        if runs and runs[-1][0] + timedelta(days=1) == day:
            runs[-1] = (day, runs[-1][1] + 1)
        else:
            runs.append((day, 0))
    return runs


def closed_days(spark: SparkSession, settings: Settings, days: Iterable[date]) -> list[date]:
    """Which of the days are closed: on or before the latest day a publish closed (each
    nightly run closes its logical date, having recomputed the days before it too). Only
    those are recomputed now; a later day is still open, and its nightly run counts it."""
    from delta.tables import DeltaTable

    wanted = sorted(set(days))
    location = settings.table_location(OPS_PIPELINE_RUNS.relative_path)
    if not wanted or not DeltaTable.isDeltaTable(spark, location):
        return []
    runs = spark.read.format("delta").load(location)
    latest = (
        runs.where((F.col("job") == "publish") & (F.col("status") == "success"))
        .agg(F.max("logical_date").alias("day"))
        .first()
    )
    if latest is None or latest["day"] is None:
        return []
    return [day for day in wanted if day <= latest["day"]]


def recompute(
    spark: SparkSession,
    settings: Settings,
    days: Sequence[date],
    report: Report,
) -> list[date]:
    """Rerun the nightly chain for the closed ones of ``days``; the days recomputed."""
    from spark_jobs.nightly import RECOMPUTE, run_jobs

    closed = closed_days(spark, settings, days)
    for last_day, lookback in day_runs(closed):
        results = run_jobs(spark, settings, last_day, RECOMPUTE, lookback)
        took = sum(result.seconds for result in results)
        report(f"recompute {last_day - timedelta(days=lookback)}..{last_day}: {took:.1f}s")
    return closed


def _stall(
    spark: SparkSession,
    settings: Settings,
    requests: Iterable[ErasureRequest],
    error: BaseException,
    clock: Clock,
) -> None:
    for request in requests:
        save_request(spark, settings, request.stalled(clock(), redacted(error, ())))


def recompute_requests(
    spark: SparkSession, settings: Settings, report: Report, clock: Clock = utc_now
) -> list[ErasureRequest]:
    """The recompute step over every erased request; the requests it covered."""
    requests = erased_requests(spark, settings)
    days = sorted({day for request in requests for day in request.affected_days or ()})
    try:
        closed = recompute(spark, settings, days, report)
    except Exception as error:
        _stall(spark, settings, requests, error, clock)
        raise
    left = sorted(set(days) - set(closed))
    if left:
        listed = ", ".join(day.isoformat() for day in left)
        report(f"recompute: {listed} not closed yet; the nightly run computes them")
    report(f"recompute: {len(requests)} erased requests, {len(closed)} days recomputed")
    return requests


def vacuum_tables(
    spark: SparkSession, settings: Settings, tables: Iterable[Table], report: Report
) -> int:
    """Vacuum each existing table with the erasure's retention; the files deleted."""
    from delta.tables import DeltaTable

    session = maintenance.erasure_session(spark)
    hours = settings.gdpr.vacuum_retention_hours
    removed = 0
    for table in tables:
        location = settings.table_location(table.relative_path)
        if not DeltaTable.isDeltaTable(session, location):
            continue
        files = maintenance.vacuum_removed_files(session, location, hours)
        report(f"vacuum {table.qualified_name}: {files} files deleted")
        removed += files
    return removed


def vacuum_requests(
    spark: SparkSession, settings: Settings, report: Report, clock: Clock = utc_now
) -> list[ErasureRequest]:
    """The vacuum step over every erased request: vacuum, then each request done with its
    audit row complete; the requests done."""
    requests = erased_requests(spark, settings)
    if not requests:
        report("vacuum: no erased request")
        return []
    try:
        files = vacuum_tables(spark, settings, VACUUMED_TABLES, report)
    except Exception as error:
        _stall(spark, settings, requests, error, clock)
        raise
    vacuumed_at = clock()
    done = []
    for request in requests:
        audit = audit_of(spark, settings, request.request_id)
        finished = request.done(clock())
        erased_at = audit["erased_at"] if audit else finished.finished_at
        expires = audit["kafka_expires_at"] if audit else None
        row = finished.audit_row(erased_at, expires, files, vacuumed_at)  # type: ignore[arg-type]
        upsert(spark, settings, OPS_GDPR_AUDIT, row)
        save_request(spark, settings, finished)
        report(f"erasure {request.request_id}: done, {files} files deleted")
        done.append(finished)
    return done
