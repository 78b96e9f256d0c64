"""Which rows an erasure deletes, on a few rows: the tables derived from their definitions,
a user resolved to every id the identity rule links to it, and each table's condition
picking the subject's rows and no one else's."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from lakehouse.erasure import Subject
from lakehouse.tables import ALL_TABLES
from lakehouse.tables.batch import BATCH_SESSIONS
from lakehouse.tables.raw import RAW_EVENTS, RAW_EVENTS_BAD
from spark_jobs.erasure import ERASED_TABLES
from spark_jobs.transforms.erasure import (
    SubjectIds,
    affected_days,
    erasable_tables,
    linked_ids,
    subject_rows,
)
from tests.support.batch_rows import raw_event, raw_frame

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

RECEIVED = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def test_the_erased_tables_are_those_with_rows_per_subject() -> None:
    assert [t.qualified_name for t in ERASED_TABLES] == [
        "raw.events",
        "raw.events_bad",
        "batch.sessions",
        "batch.users",
    ]
    assert all(t.schema != "live" for t in erasable_tables(ALL_TABLES))


def identity_rows() -> list[dict[str, object]]:
    return [
        raw_event(visitor_id="v1", user_id="u1", event_id="a"),
        raw_event(visitor_id="a1", anonymous_id="a1", user_id="u1", event_id="b"),
        raw_event(
            visitor_id="v-old",
            user_id="u1",
            type="identify",
            name="alias",
            properties={"previous_id": "p1"},
            event_id="c",
        ),
        # a device shared with u0, whom the identity map folds it into (u0 < u1)
        raw_event(visitor_id="shared", user_id="u0", event_id="d"),
        raw_event(visitor_id="shared", user_id="u1", event_id="e"),
        raw_event(visitor_id="v2", user_id="u2", event_id="f"),
        raw_event(visitor_id="v1", user_id="u1", site_id="other", event_id="g"),
        raw_event(visitor_id="elsewhere", user_id="u1", site_id="other", event_id="h"),
    ]


def test_a_user_is_linked_to_every_device_it_was_seen_with(spark: SparkSession) -> None:
    raw = raw_frame(spark, identity_rows())
    subject = Subject.model_validate({"site": "s", "user_id": "u1"})
    ids = {row["id"] for row in linked_ids(raw, subject).collect()}
    assert ids == {"u1", "v1", "a1", "v-old", "p1", "shared"}


def test_a_visitor_is_only_itself(spark: SparkSession) -> None:
    raw = raw_frame(spark, identity_rows())
    subject = Subject.model_validate({"site": "s", "visitor_id": "v1"})
    assert [row["id"] for row in linked_ids(raw, subject).collect()] == ["v1"]


def test_the_raw_condition_picks_the_subjects_events_on_its_site(spark: SparkSession) -> None:
    rows = [
        raw_event(visitor_id="v1", event_id="mine-by-visitor"),
        raw_event(visitor_id="x", anonymous_id="v1", event_id="mine-by-anonymous-id"),
        raw_event(visitor_id="x", user_id="u1", event_id="mine-by-user"),
        raw_event(
            visitor_id="y",
            user_id="u9",
            type="identify",
            name="alias",
            properties={"previous_id": "v1"},
            event_id="an-alias-naming-me",
        ),
        raw_event(visitor_id="v2", event_id="someone-else"),
        raw_event(visitor_id="v1", site_id="other", event_id="me-on-another-site"),
        raw_event(visitor_id="v1x", event_id="a-longer-id"),
    ]
    subject = SubjectIds("s", frozenset({"u1", "v1"}))
    picked = raw_frame(spark, rows).where(subject_rows(RAW_EVENTS, subject))
    assert sorted(row["event_id"] for row in picked.collect()) == [
        "an-alias-naming-me",
        "mine-by-anonymous-id",
        "mine-by-user",
        "mine-by-visitor",
    ]
    assert [row["event_date"] for row in affected_days(picked).collect()] == [date(2026, 3, 10)]


def test_a_bad_row_is_the_subjects_when_its_text_holds_one_of_its_ids(
    spark: SparkSession,
) -> None:
    def bad(
        bad_id: str, payload: str, site: str | None, detail: str | None = None
    ) -> tuple[object, ...]:
        return (
            bad_id,
            "collector.validate",
            "schema_violation",
            detail,
            payload,
            "native",
            site,
            RECEIVED,
            RECEIVED.date(),
        )

    rows = [
        bad("mine", '{"user_id":"u1","type":"nope"}', "s"),
        bad("mine-unknown-site", '{"anonymous_id":"v1"}', None),
        bad("mine-in-detail", "{}", "s", "visitor v1 is too long"),
        bad("someone-else", '{"user_id":"u2"}', "s"),
        bad("me-on-another-site", '{"user_id":"u1"}', "other"),
    ]
    frame = spark.createDataFrame(rows, RAW_EVENTS_BAD.spark_schema())
    subject = SubjectIds("s", frozenset({"u1", "v1"}))
    picked = frame.where(subject_rows(RAW_EVENTS_BAD, subject))
    assert sorted(row["bad_id"] for row in picked.collect()) == [
        "mine",
        "mine-in-detail",
        "mine-unknown-site",
    ]


def test_a_session_is_the_subjects_by_its_visitor_or_its_person(spark: SparkSession) -> None:
    rows = [("k1", "s", "v1", "v1"), ("k2", "s", "v7", "u1"), ("k3", "s", "v7", "u7")]
    sessions = spark.createDataFrame(
        rows, "session_key STRING, site_id STRING, visitor_id STRING, person_id STRING"
    )
    subject = SubjectIds("s", frozenset({"u1", "v1"}))
    picked = sessions.where(subject_rows(BATCH_SESSIONS, subject))
    assert sorted(row["session_key"] for row in picked.collect()) == ["k1", "k2"]
