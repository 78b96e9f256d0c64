"""Erasure requests on their own: exactly one identifier, the keyed hash, the states a
request goes through, and what its rows and messages keep (never the identifier once done)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from pydantic import ValidationError

from lakehouse.erasure import (
    ErasureRequest,
    RequestStatus,
    Subject,
    SubjectKind,
    redacted,
    subject_hash,
)
from lakehouse.gdpr_store import subject_events_query
from lakehouse.tables.ops import OPS_GDPR_AUDIT, OPS_GDPR_REQUESTS

SECRET = b"k" * 32
T0 = datetime(2026, 3, 14, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "body",
    [
        {"site": "s"},
        {"site": "s", "user_id": "u", "visitor_id": "v"},
        {"site": "s", "user_id": "u", "anonymous_id": "a", "visitor_id": "v"},
    ],
)
def test_a_subject_is_exactly_one_identifier(body: dict[str, str]) -> None:
    with pytest.raises(ValidationError, match="exactly one of user_id, anonymous_id"):
        Subject.model_validate(body)


@pytest.mark.parametrize(
    "body",
    [
        {"user_id": "u"},
        {"site": "", "user_id": "u"},
        {"site": "s", "user_id": ""},
        {"site": "s", "user_id": "u" * 129},
        {"site": "s", "user_id": "u", "email": "x@example.org"},
    ],
)
def test_a_malformed_subject_is_refused(body: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        Subject.model_validate(body)


def test_the_subject_names_its_kind_and_identifier() -> None:
    subject = Subject.model_validate({"site": "s", "anonymous_id": "a-1"})
    assert (subject.kind, subject.identifier) == (SubjectKind.ANONYMOUS_ID, "a-1")


def test_the_hash_is_keyed_and_separates_site_kind_and_identifier() -> None:
    first = subject_hash(SECRET, "s", SubjectKind.USER_ID, "u-1")
    assert first == subject_hash(SECRET, "s", SubjectKind.USER_ID, "u-1")
    assert len(first) == 64
    assert "u-1" not in first
    assert first != subject_hash(b"other" * 8, "s", SubjectKind.USER_ID, "u-1")
    assert first != subject_hash(SECRET, "t", SubjectKind.USER_ID, "u-1")
    assert first != subject_hash(SECRET, "s", SubjectKind.VISITOR_ID, "u-1")


def test_a_request_goes_pending_running_erased_done_and_drops_the_identifier() -> None:
    subject = Subject.model_validate({"site": "s", "user_id": "u-1"})
    pending = ErasureRequest.new(subject, SECRET, "api", T0)
    assert (pending.status, pending.subject_id, pending.attempts) == (
        RequestStatus.PENDING,
        "u-1",
        0,
    )
    running = pending.started(T0 + timedelta(seconds=1))
    assert (running.status, running.attempts) == (RequestStatus.RUNNING, 1)
    erased = running.erased(T0 + timedelta(seconds=5), {"raw.events": 3}, (date(2026, 3, 13),))
    assert (erased.status, erased.subject_id) == (RequestStatus.ERASED, None)
    assert erased.retryable
    assert not erased.to_erase
    assert "u-1" not in repr(erased.row())
    with pytest.raises(ValueError, match="cannot be erased"):
        erased.started(T0)
    stalled = erased.stalled(T0, "OSError: disk full")
    assert (stalled.status, stalled.error) == (RequestStatus.ERASED, "OSError: disk full")
    done = stalled.done(T0 + timedelta(seconds=9))
    assert (done.status, done.error, done.retryable) == (RequestStatus.DONE, None, False)
    assert "u-1" not in repr(done.audit_row(T0, None, 4, T0))
    assert done.public()["rows_removed"] == {"raw.events": 3}
    assert done.affected_days == (date(2026, 3, 13),)
    with pytest.raises(ValueError, match="is done"):
        done.started(T0)
    with pytest.raises(ValueError, match="not erased"):
        done.done(T0)


def test_a_failed_attempt_is_retried_and_the_counts_add_up() -> None:
    subject = Subject.model_validate({"site": "s", "visitor_id": "v-1"})
    first = ErasureRequest.new(subject, SECRET, "cli", T0).started(T0)
    failed = first.failed(T0, {"raw.events": 2}, "Boom: disk full")
    assert failed.status is RequestStatus.FAILED
    assert failed.retryable
    assert failed.subject_id == "v-1"  # kept: the retry needs it
    with pytest.raises(ValueError, match="not erased"):
        failed.audit_row(T0, None)
    with pytest.raises(ValueError, match="not erased"):
        failed.done(T0)
    second = failed.started(T0)
    assert second.attempts == 2
    done = second.erased(T0, {"raw.events": 0, "batch.sessions": 1}, ())
    assert done.rows_removed == {"raw.events": 2, "batch.sessions": 1}
    assert done.error is None


def test_rows_follow_the_table_definitions() -> None:
    subject = Subject.model_validate({"site": "s", "user_id": "u-1"})
    request = ErasureRequest.new(subject, SECRET, "api", T0)
    assert len(request.row()) == len(OPS_GDPR_REQUESTS.columns)
    done = request.started(T0).erased(T0, {"raw.events": 1, "batch.users": 2}, ()).done(T0)
    expires = T0 + timedelta(hours=73)
    audit = dict(zip(OPS_GDPR_AUDIT.column_names, done.audit_row(T0, expires, 7, T0), strict=True))
    assert (audit["files_removed"], audit["kafka_expires_at"]) == (7, expires)
    assert audit["tables"] == ["batch.users", "raw.events"]
    assert audit["rows_removed_total"] == 3
    assert audit["subject_hash"] == request.subject_hash
    stored = dict(zip(OPS_GDPR_REQUESTS.column_names, done.row(), strict=True))
    assert ErasureRequest.from_row(stored) == done


def test_an_error_message_keeps_no_identifier() -> None:
    error = RuntimeError("cannot delete where user_id IN ('u-1', 'anon-9')\nat line 3")
    text = redacted(error, {"u-1", "anon-9", ""})
    assert text == "RuntimeError: cannot delete where user_id IN ('<subject id>', '<subject id>')"


@pytest.mark.parametrize("kind", list(SubjectKind))
def test_the_export_query_binds_one_parameter_a_mark(kind: SubjectKind) -> None:
    subject = Subject.model_validate({"site": "s", kind.value: "x'; DROP TABLE t"})
    sql, parameters = subject_events_query('"delta"."raw"."events"', subject)
    assert sql.count("?") == len(parameters)
    assert "DROP" not in sql
