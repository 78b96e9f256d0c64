"""Erasing a request's subject, the first step of an erasure: mark it running, resolve the
subject to its ids, note the days its rows are on and when the last of them was received,
purge the collector's spool of its records, delete its rows from every table that has rows
per subject (one Delta MERGE each, its rows removed from the commit's metrics), then write
the audit row and mark the request erased, its identifier in clear dropped. A failure on the
way marks it failed with what was removed so far: it runs again, and is never erased with a
table left unerased. The recompute and the vacuum that make it done are
:mod:`spark_jobs.erasure_completion`'s."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from pyspark.sql import functions as F

from lakehouse.columns import Table
from lakehouse.erasure import ErasureRequest, RequestStatus, Subject, SubjectKind, redacted
from lakehouse.settings import Settings
from lakehouse.tables import ALL_TABLES
from lakehouse.tables.ops import OPS_GDPR_AUDIT, OPS_GDPR_REQUESTS
from lakehouse.tables.raw import RAW_EVENTS
from spark_jobs.transforms.erasure import (
    DAY_COLUMN,
    SOURCE_ID,
    SubjectIds,
    erasable_tables,
    linked_ids,
    subject_match,
    subject_rows,
)
from spark_jobs.writes import last_commit

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

T = TypeVar("T")
Clock = Callable[[], datetime]
CONFLICT_ATTEMPTS = 5
RECENT_COMMITS = 50
Delete = Callable[["SparkSession", str, "Column", "DataFrame"], int]
SPOOL = "collector.spool"

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
    """Every request not done yet (pending, failed, interrupted while running, or erased
    and waiting for its recompute and vacuum), oldest first."""
    rows = requests_frame(spark, settings).where(F.col("status") != "done").collect()
    return sorted((_request(row.asDict(recursive=True)) for row in rows), key=_age)


def audit_of(spark: SparkSession, settings: Settings, request_id: str) -> dict[str, object] | None:
    """The request's ops.gdpr_audit row, if it has one yet."""
    audit = spark.read.format("delta").load(_location(settings, OPS_GDPR_AUDIT))
    found = audit.where(F.col("request_id") == request_id).collect()
    if not found:
        return None
    return {name: _as_utc(value) for name, value in found[0].asDict(recursive=True).items()}


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


def upsert(spark: SparkSession, settings: Settings, table: Table, row: tuple[object, ...]) -> None:
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
    upsert(spark, settings, OPS_GDPR_REQUESTS, request.row())


def delete_rows(spark: SparkSession, location: str, condition: Column, ids: DataFrame) -> int:
    """Delete the rows that match one of ``ids`` on ``condition`` (a MERGE: the ids stay
    out of the Delta log) and return how many the commit removed."""
    from delta.tables import DeltaTable

    def delete() -> int:
        before, _ = last_commit(spark, location)
        (
            DeltaTable.forPath(spark, location)
            .alias("t")
            .merge(ids.alias("s"), condition)
            .whenMatchedDelete()
            .execute()
        )
        return deleted_rows(spark, location, before)

    return on_conflict_again(delete)


def deleted_rows(spark: SparkSession, location: str, version_before: int) -> int:
    """The rows of the first MERGE committed after ``version_before`` (ours: the streaming
    job may append meanwhile, but merges into none of these tables); 0 if none committed."""
    from delta.tables import DeltaTable

    recent = DeltaTable.forPath(spark, location).history(RECENT_COMMITS)
    ours = (
        recent.where((F.col("version") > version_before) & (F.col("operation") == "MERGE"))
        .orderBy("version")
        .select("operationMetrics")
        .first()
    )
    metrics = (ours["operationMetrics"] or {}) if ours is not None else {}
    return int(metrics.get("numTargetRowsDeleted", 0))


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
    """What an attempt removed (rows per table), the days the subject's rows were on and
    when the last of them was received (None if it had none)."""

    rows_removed: dict[str, int]
    affected_days: tuple[date, ...]
    last_received: datetime | None = None


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
    received: list[datetime] = []
    present = [t for t in tables if _exists(spark, _location(settings, t))]
    for table in present:
        rows = spark.read.format("delta").load(_location(settings, table))
        matched = rows.where(subject_rows(table, subject))
        found = matched.agg(*_facts(table)).first()
        if found is not None and found["last_received"] is not None:
            received.append(_as_utc(found["last_received"]))  # type: ignore[arg-type]
        if DAY_COLUMN in table.column_names and found is not None:
            days_of[table.qualified_name] = sorted(found["days"] or ())
    ids = spark.createDataFrame([(i,) for i in subject.sorted()], f"{SOURCE_ID} STRING")
    for table in present:
        name, condition = table.qualified_name, subject_match(table, subject.site_id)
        if name in days_of:
            if not days_of[name]:
                removed[name] = 0
                continue
            condition = condition & F.col(f"t.{DAY_COLUMN}").isin(days_of[name])
        removed[name] = delete(spark, _location(settings, table), condition, ids)
    days = {day for table_days in days_of.values() for day in table_days}
    return Erasure(dict(removed), tuple(sorted(days)), max(received, default=None))


def _facts(table: Table) -> list[Column]:
    received = (F.max("received_at") if "received_at" in table.column_names else F.lit(None)).alias(
        "last_received"
    )
    if DAY_COLUMN not in table.column_names:
        return [received]
    return [received, F.collect_set(DAY_COLUMN).alias("days")]


def kafka_expiry(
    settings: Settings, last_received: datetime | None, before: datetime | None
) -> datetime | None:
    """When the subject's last Kafka copy expires: its last receipt plus the topics'
    retention (and the segment roll and retention check it waits for), or the expiry an
    earlier attempt found, whichever is later."""
    from lakehouse.kafka_topics import record_expiry

    found = None if last_received is None else last_received + record_expiry(settings)
    known = [moment for moment in (found, before) if moment is not None]
    return max(known, default=None)


def run_request(
    spark: SparkSession,
    settings: Settings,
    request: ErasureRequest,
    clock: Clock = utc_now,
    tables: Iterable[Table] = ERASED_TABLES,
    delete: Delete = delete_rows,
) -> ErasureRequest:
    """One attempt at erasing a request's subject; the request as it ends (erased), or the
    error raised once the request is recorded failed."""
    from collector.spool_purge import purge_subject

    running = request.started(clock())
    save_request(spark, settings, running)
    removed: dict[str, int] = {}
    subject: SubjectIds | None = None
    try:
        subject = resolve(spark, settings, running)
        spooled = purge_subject(spool_root(settings), subject.site_id, subject.ids)
        if spooled:
            removed[SPOOL] = spooled
        erasure = erase_subject(spark, settings, subject, removed, tables, delete)
        erased = running.erased(clock(), erasure.rows_removed, erasure.affected_days)
        earlier = audit_of(spark, settings, request.request_id)
        expires = kafka_expiry(
            settings,
            erasure.last_received,
            earlier["kafka_expires_at"] if earlier else None,  # type: ignore[arg-type]
        )
        upsert(spark, settings, OPS_GDPR_AUDIT, erased.audit_row(clock(), expires))
        save_request(spark, settings, erased)
    except Exception as error:
        ids = subject.ids if subject is not None else frozenset({running.subject_id or ""})
        failed = running.failed(clock(), removed, redacted(error, ids))
        save_request(spark, settings, failed)
        raise
    return erased


def spool_root(settings: Settings) -> Path:
    from collector.worker import SPOOL_FOLDER

    return settings.state_path / "collector" / SPOOL_FOLDER


@dataclass(frozen=True)
class Outcome:
    request_id: str
    erased: bool
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
    return f"{head}, {sum(removed.values())} rows removed ({tables}); days affected: {days}"


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
    """Erase the subject of the request of that id (UnknownRequest if none), or of every
    request still to erase, each to its end; one line reported per request."""
    from py4j.protocol import Py4JError
    from pyspark.errors import PySparkException

    prepare_tables(spark, settings)
    if request_id is None:
        requests = open_requests(spark, settings)
    else:
        requests = [load_request(spark, settings, request_id)]
    outcomes = []
    for request in requests:
        if not request.to_erase:
            outcomes.append(Outcome(request.request_id, True, summary(request)))
            report(outcomes[-1].line)
            continue
        try:
            ended = run_request(spark, settings, request, clock)
        except (PySparkException, Py4JError, OSError, ValueError):
            ended = load_request(spark, settings, request.request_id)
        erased = ended.status in (RequestStatus.ERASED, RequestStatus.DONE)
        outcomes.append(Outcome(ended.request_id, erased, summary(ended)))
        report(outcomes[-1].line)
    return outcomes
