"""Erasure requests, defined once: who is to be erased (a :class:`Subject`: a site and exactly
one of user_id, anonymous_id, visitor_id), the keyed hash the audit keeps instead of the
identifier, and a request's states, each a row of ops.gdpr_requests (:class:`ErasureRequest`):

pending -> running -> erased -> done, or running -> failed -> running (a retry). A request is
erased once its rows are deleted from every table (its identifier in clear dropped then), and
done only once the aggregates of its days are recomputed and the files that held its rows
are vacuumed; an erased request whose recompute or vacuum failed stays erased, with the
error, and the next run takes it on from there."""

from __future__ import annotations

import enum
import hashlib
import hmac
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from lakehouse.tables.ops import OPS_GDPR_AUDIT, OPS_GDPR_REQUESTS


class SubjectKind(enum.StrEnum):
    USER_ID = "user_id"
    ANONYMOUS_ID = "anonymous_id"
    VISITOR_ID = "visitor_id"


class RequestStatus(enum.StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    ERASED = "erased"
    DONE = "done"
    FAILED = "failed"


IDENTIFIER_COLUMNS: frozenset[str] = frozenset(
    {"user_id", "anonymous_id", "visitor_id", "person_id"}
)
"""Columns that hold a person's or a device's identifier: a table with one of them has rows
per subject, which an erasure deletes."""

MAX_IDENTIFIER = 128  # the longest user_id / anonymous_id / visitor_id events.v1 allows
MAX_ERROR = 1000

Identifier = Field(default=None, min_length=1, max_length=MAX_IDENTIFIER)


class Subject(BaseModel):
    """Whom a request is about: the body of ``POST /api/v1/gdpr/erasures``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    site: str = Field(min_length=1, max_length=64)
    user_id: str | None = Identifier
    anonymous_id: str | None = Identifier
    visitor_id: str | None = Identifier

    @model_validator(mode="after")
    def _exactly_one_identifier(self) -> Subject:
        given = [kind.value for kind in SubjectKind if getattr(self, kind.value) is not None]
        if len(given) != 1:
            listed = ", ".join(given) if given else "none"
            raise ValueError(
                f"give exactly one of user_id, anonymous_id, visitor_id (given: {listed})"
            )
        return self

    @property
    def kind(self) -> SubjectKind:
        return next(kind for kind in SubjectKind if getattr(self, kind.value) is not None)

    @property
    def identifier(self) -> str:
        value: str = getattr(self, self.kind.value)
        return value


def subject_hash(secret: bytes, site_id: str, kind: SubjectKind, identifier: str) -> str:
    """HMAC-SHA256 (hex) of the site, kind and identifier: the same subject always has the
    same hash, and without the secret no one can test a guessed identifier against it."""
    message = "\x1f".join((site_id, kind.value, identifier)).encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class ErasureRequest:
    """One row of ops.gdpr_requests: a request in its latest state."""

    request_id: str
    site_id: str
    subject_kind: SubjectKind
    subject_id: str | None
    subject_hash: str
    status: RequestStatus
    requested_by: str
    requested_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    attempts: int = 0
    rows_removed: dict[str, int] | None = None
    affected_days: tuple[date, ...] | None = None
    error: str | None = None

    @classmethod
    def new(
        cls, subject: Subject, secret: bytes, requested_by: str, now: datetime
    ) -> ErasureRequest:
        return cls(
            request_id=str(uuid.uuid4()),
            site_id=subject.site,
            subject_kind=subject.kind,
            subject_id=subject.identifier,
            subject_hash=subject_hash(secret, subject.site, subject.kind, subject.identifier),
            status=RequestStatus.PENDING,
            requested_by=requested_by,
            requested_at=to_milliseconds(now),
        )

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> ErasureRequest:
        days = row.get("affected_days")
        return cls(
            **{
                **row,
                "subject_kind": SubjectKind(row["subject_kind"]),
                "status": RequestStatus(row["status"]),
                "rows_removed": dict(row["rows_removed"]) if row.get("rows_removed") else None,
                "affected_days": None if days is None else tuple(days),
            }
        )

    @property
    def retryable(self) -> bool:
        """Not done: a pending, a failed, an interrupted (running) or an erased request runs
        again."""
        return self.status is not RequestStatus.DONE

    @property
    def to_erase(self) -> bool:
        """Its rows are still to be deleted: pending, failed or interrupted while running."""
        return self.retryable and self.status is not RequestStatus.ERASED

    def started(self, now: datetime) -> ErasureRequest:
        if not self.to_erase or self.subject_id is None:
            raise ValueError(f"request {self.request_id} is {self.status}; it cannot be erased")
        return replace(
            self,
            status=RequestStatus.RUNNING,
            started_at=to_milliseconds(now),
            attempts=self.attempts + 1,
        )

    def erased(
        self, now: datetime, rows_removed: dict[str, int], affected_days: tuple[date, ...]
    ) -> ErasureRequest:
        """Every delete committed: the identifier in clear is dropped from the row; the
        recompute and the vacuum are still to come."""
        return replace(
            self,
            status=RequestStatus.ERASED,
            subject_id=None,
            finished_at=to_milliseconds(now),
            rows_removed=added_counts(self.rows_removed, rows_removed),
            affected_days=tuple(sorted(set(self.affected_days or ()) | set(affected_days))),
            error=None,
        )

    def done(self, now: datetime) -> ErasureRequest:
        """The aggregates recomputed and the files vacuumed: nothing of the subject is left."""
        if self.status is not RequestStatus.ERASED:
            raise ValueError(f"request {self.request_id} is {self.status}, not erased")
        return replace(
            self, status=RequestStatus.DONE, finished_at=to_milliseconds(now), error=None
        )

    def stalled(self, now: datetime, error: str) -> ErasureRequest:
        """Erased, but the recompute or the vacuum failed: the next run does them again."""
        return replace(self, finished_at=to_milliseconds(now), error=error[:MAX_ERROR])

    def failed(self, now: datetime, rows_removed: dict[str, int], error: str) -> ErasureRequest:
        """An attempt ended before every delete committed: retryable, with what it removed."""
        return replace(
            self,
            status=RequestStatus.FAILED,
            finished_at=to_milliseconds(now),
            rows_removed=added_counts(self.rows_removed, rows_removed),
            error=error[:MAX_ERROR],
        )

    def row(self) -> tuple[object, ...]:
        values = {
            **self.__dict__,
            "subject_kind": self.subject_kind.value,
            "status": self.status.value,
            "affected_days": None if self.affected_days is None else list(self.affected_days),
        }
        return tuple(values[name] for name in OPS_GDPR_REQUESTS.column_names)

    def audit_row(
        self,
        erased_at: datetime,
        kafka_expires_at: datetime | None,
        files_removed: int | None = None,
        vacuumed_at: datetime | None = None,
    ) -> tuple[object, ...]:
        """The ops.gdpr_audit row of an erased (files and vacuum still null) or a done
        request: the hash, never the identifier."""
        if self.status not in (RequestStatus.ERASED, RequestStatus.DONE):
            raise ValueError(f"request {self.request_id} is {self.status}, not erased")
        removed = dict(self.rows_removed or {})
        values: dict[str, object] = {
            "request_id": self.request_id,
            "site_id": self.site_id,
            "subject_kind": self.subject_kind.value,
            "subject_hash": self.subject_hash,
            "requested_at": self.requested_at,
            "erased_at": erased_at,
            "tables": sorted(removed),
            "rows_removed": removed,
            "rows_removed_total": sum(removed.values()),
            "affected_days": list(self.affected_days or ()),
            "files_removed": files_removed,
            "vacuumed_at": vacuumed_at,
            "kafka_expires_at": kafka_expires_at,
        }
        return tuple(values[name] for name in OPS_GDPR_AUDIT.column_names)

    def public(self) -> dict[str, object]:
        """What the status endpoint and `beacon gdpr status` show: never the identifier."""
        return {
            "request_id": self.request_id,
            "site": self.site_id,
            "subject_kind": self.subject_kind.value,
            "subject_hash": self.subject_hash,
            "status": self.status.value,
            "requested_by": self.requested_by,
            "requested_at": _iso(self.requested_at),
            "started_at": _iso(self.started_at),
            "finished_at": _iso(self.finished_at),
            "attempts": self.attempts,
            "rows_removed": self.rows_removed,
            "affected_days": None
            if self.affected_days is None
            else [day.isoformat() for day in self.affected_days],
            "error": self.error,
        }


def redacted(error: BaseException, ids: Iterable[str]) -> str:
    """The error's first line with every id of the subject blanked: a failed request's
    message, and a log line, never carry an identifier."""
    text = f"{type(error).__name__}: " + (str(error).splitlines() or [""])[0]
    for identifier in sorted((i for i in ids if i), key=len, reverse=True):
        text = text.replace(identifier, "<subject id>")
    return text


def added_counts(before: dict[str, int] | None, now: dict[str, int]) -> dict[str, int]:
    """Rows removed per table over two attempts."""
    total = dict(before or {})
    for table, rows in now.items():
        total[table] = total.get(table, 0) + rows
    return total


def to_milliseconds(moment: datetime) -> datetime:
    """The moment as the tables keep it through Trino (timestamp(3))."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()
