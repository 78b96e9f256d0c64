"""Carrying out an erasure request: mark it running, resolve the subject to its ids, note the
days its rows are on, delete its rows from every table that has rows per subject (one Delta
commit each, its rows removed from the commit's metrics), then write the audit row and mark
the request done, its identifier in clear dropped. A failure on the way marks it failed with
what was removed so far: it runs again, and is never done with a table left unerased."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, TypeVar

from pyspark.sql import functions as F

from lakehouse.columns import Table
from lakehouse.erasure import ErasureRequest, Subject, SubjectKind, redacted
from lakehouse.settings import Settings
from lakehouse.tables import ALL_TABLES
from lakehouse.tables.ops import OPS_GDPR_AUDIT, OPS_GDPR_REQUESTS
from lakehouse.tables.raw import RAW_EVENTS
from spark_jobs.transforms.erasure import (
    DAY_COLUMN,
    SubjectIds,
    affected_days,
    erasable_tables,
    linked_ids,
    subject_rows,
)
from spark_jobs.writes import last_commit

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

T = TypeVar("T")
Clock = Callable[[], datetime]
CONFLICT_ATTEMPTS = 5
RECENT_COMMITS = 50
Delete = Callable[["SparkSession", str, "Column"], int]

ERASED_TABLES: tuple[Table, ...] = erasable_tables(
    table for table in ALL_TABLES if table.schema != "ops"
)
"""raw.events, raw.events_bad, batch.sessions, batch.users: the live tables hold aggregates
only (counts and hashed sketches), recomputed from the batch layer once a day closes."""


class UnknownRequest(Exception):
    """No erasure request has that id."""


def utc_now() -> datetime:
    return datetime.now(UTC)


def _location(settings: Settings, table: Table) -> str:
    return settings.table_location(table.relative_path)


def _exists(spark: SparkSession, location: str) -> bool:
    from delta.tables import DeltaTable

    return bool(DeltaTable.isDeltaTable(spark, location))


def requests_frame(spark: SparkSession, settings: Settings) -> DataFrame:
    return spark.read.format("delta").load(_location(settings, OPS_GDPR_REQUESTS))


def _as_utc(moment: object) -> object:
    """Spark hands back timestamps naive, in this process's local time."""
    if isinstance(moment, datetime):
        return moment.astimezone(UTC)
    return moment


def _request(row: dict[str, object]) -> ErasureRequest:
    return ErasureRequest.from_row({name: _as_utc(value) for name, value in row.items()})


def load_request(spark: SparkSession, settings: Settings, request_id: str) -> ErasureRequest:
    found = requests_frame(spark, settings).where(F.col("request_id") == request_id).collect()
    if not found:
        raise UnknownRequest(f"no erasure request {request_id!r}")
    return _request(found[0].asDict(recursive=True))


def open_requests(spark: SparkSession, settings: Settings) -> list[ErasureRequest]:
    """Every request not done yet (pending, failed, or interrupted while running), oldest
    first."""
    rows = requests_frame(spark, settings).where(F.col("status") != "done").collect()
    return sorted((_request(row.asDict(recursive=True)) for row in rows), key=_age)


def _age(request: ErasureRequest) -> datetime:
    return request.requested_at


def on_conflict_again(action: Callable[[], T], attempts: int = CONFLICT_ATTEMPTS) -> T:
    """Run ``action`` again when another writer's commit conflicts with it: a request the
    API appends meanwhile (delta-rs marks no append blind), a compaction of raw.events."""
    from delta.exceptions import DeltaConcurrentModificationException

    for attempt in range(1, attempts + 1):
        try:
            return action()
        except DeltaConcurrentModificationException:
            if attempt == attempts:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _upsert(spark: SparkSession, settings: Settings, table: Table, row: tuple[object, ...]) -> None:
    """Insert the row, or replace the one of its request_id: a rerun writes it again."""
    from delta.tables import DeltaTable

    frame = spark.createDataFrame([row], table.spark_schema())
    location = _location(settings, table)
    on_conflict_again(
        lambda: (
            DeltaTable.forPath(spark, location)
            .alias("stored")
            .merge(frame.alias("new"), "stored.request_id = new.request_id")
            .whenMatchedUpdateAll()
            .whenNotMatchedInsertAll()
            .execute()
        )
    )


def save_request(spark: SparkSession, settings: Settings, request: ErasureRequest) -> None:
    _upsert(spark, settings, OPS_GDPR_REQUESTS, request.row())


def delete_rows(spark: SparkSession, location: str, condition: Column) -> int:
    """Delete the rows and return how many the commit removed."""
    from delta.tables import DeltaTable

    def delete() -> int:
        before, _ = last_commit(spark, location)
        DeltaTable.forPath(spark, location).delete(condition)
        return deleted_rows(spark, location, before)

    return on_conflict_again(delete)


def deleted_rows(spark: SparkSession, location: str, version_before: int) -> int:
    """The rows of the first delete committed after ``version_before`` (ours: the streaming
    job may append meanwhile, but deletes nothing from these tables); 0 if none committed (a
    delete that matches no file commits nothing)."""
    from delta.tables import DeltaTable

    recent = DeltaTable.forPath(spark, location).history(RECENT_COMMITS)
    ours = (
        recent.where((F.col("version") > version_before) & (F.col("operation") == "DELETE"))
        .orderBy("version")
        .select("operationMetrics")
        .first()
    )
    return 0 if ours is None else int((ours["operationMetrics"] or {}).get("numDeletedRows", 0))


def resolve(spark: SparkSession, settings: Settings, request: ErasureRequest) -> SubjectIds:
    """The request's subject and every id linked to it in raw.events."""
    if request.subject_id is None:
        raise ValueError(f"request {request.request_id} has no identifier left to erase")
    subject = Subject.model_validate(
        {"site": request.site_id, request.subject_kind.value: request.subject_id}
    )
    location = _location(settings, RAW_EVENTS)
    if subject.kind is SubjectKind.USER_ID and _exists(spark, location):
        raw = spark.read.format("delta").load(location)
        ids = {str(row["id"]) for row in linked_ids(raw, subject).collect()}
    else:
        ids = {subject.identifier}
    return SubjectIds(request.site_id, frozenset(ids))


@dataclass(frozen=True)
class Erasure:
    """What an attempt removed (rows per table) and the days the subject's rows were on."""

    rows_removed: dict[str, int]
    affected_days: tuple[date, ...]


def erase_subject(
    spark: SparkSession,
    settings: Settings,
    subject: SubjectIds,
    removed: dict[str, int],
    tables: Iterable[Table] = ERASED_TABLES,
    delete: Delete = delete_rows,
) -> Erasure:
    """Delete the subject's rows from each existing table, counting into ``removed`` as each
    delete commits (so a failure midway still tells what went). A day-partitioned table's
    delete reads only the days its rows are on."""
    days_of: dict[str, list[date]] = {}
    present = [t for t in tables if _exists(spark, _location(settings, t))]
    for table in present:
        if DAY_COLUMN in table.column_names:
            rows = spark.read.format("delta").load(_location(settings, table))
            matched = rows.where(subject_rows(table, subject))
            days_of[table.qualified_name] = [
                row[DAY_COLUMN] for row in affected_days(matched).collect()
            ]
    for table in present:
        name, condition = table.qualified_name, subject_rows(table, subject)
        if name in days_of:
            if not days_of[name]:
                removed[name] = 0
                continue
            condition = condition & F.col(DAY_COLUMN).isin(days_of[name])
        removed[name] = delete(spark, _location(settings, table), condition)
    days = {day for table_days in days_of.values() for day in table_days}
    return Erasure(dict(removed), tuple(sorted(days)))


def run_request(
    spark: SparkSession,
    settings: Settings,
    request: ErasureRequest,
    clock: Clock = utc_now,
    tables: Iterable[Table] = ERASED_TABLES,
    delete: Delete = delete_rows,
) -> ErasureRequest:
    """One attempt at a request; the request as it ends (done), or the error raised once
    the request is recorded failed."""
    running = request.started(clock())
    save_request(spark, settings, running)
    removed: dict[str, int] = {}
    subject: SubjectIds | None = None
    try:
        subject = resolve(spark, settings, running)
        erasure = erase_subject(spark, settings, subject, removed, tables, delete)
        done = running.done(clock(), erasure.rows_removed, erasure.affected_days)
        _upsert(spark, settings, OPS_GDPR_AUDIT, done.audit_row(erased_at=clock()))
        save_request(spark, settings, done)
    except Exception as error:
        ids = subject.ids if subject is not None else frozenset({running.subject_id or ""})
        failed = running.failed(clock(), removed, redacted(error, ids))
        save_request(spark, settings, failed)
        raise
    return done


@dataclass(frozen=True)
class Outcome:
    request_id: str
    done: bool
    line: str


def summary(request: ErasureRequest) -> str:
    """One line about a request as an attempt left it: the hash, never the identifier."""
    head = f"erasure {request.request_id} ({request.site_id}, {request.subject_kind.value} "
    head += f"{request.subject_hash[:12]}): {request.status.value}"
    if request.error:
        return f"{head}: {request.error}"
    removed = request.rows_removed or {}
    tables = ", ".join(f"{table} {rows}" for table, rows in sorted(removed.items()))
    days = ", ".join(day.isoformat() for day in request.affected_days or ()) or "none"
    return f"{head}, {sum(removed.values())} rows removed ({tables}); days to recompute: {days}"


def prepare_tables(spark: SparkSession, settings: Settings) -> None:
    from lakehouse.provision import create_delta_tables

    create_delta_tables(spark, settings, (OPS_GDPR_REQUESTS, OPS_GDPR_AUDIT), lambda _: None)


def run_requests(
    spark: SparkSession,
    settings: Settings,
    request_id: str | None,
    report: Callable[[str], None],
    clock: Clock = utc_now,
) -> list[Outcome]:
    """Run the request of that id (UnknownRequest if none), or every open one, each to its
    end; one line reported per request."""
    from py4j.protocol import Py4JError
    from pyspark.errors import PySparkException

    prepare_tables(spark, settings)
    if request_id is None:
        requests = open_requests(spark, settings)
    else:
        requests = [load_request(spark, settings, request_id)]
    outcomes = []
    for request in requests:
        try:
            ended = run_request(spark, settings, request, clock)
        except (PySparkException, Py4JError, OSError, ValueError):
            ended = load_request(spark, settings, request.request_id)
        outcomes.append(Outcome(ended.request_id, not ended.retryable, summary(ended)))
        report(outcomes[-1].line)
    return outcomes
