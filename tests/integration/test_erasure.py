"""Erasure against real Delta tables (real Spark): two days of events of a user seen on three
devices (one linked by an alias call) and of other people, bad rows, and the nightly batch
tables built from them. Erasing the user leaves no row of any table mentioning one of its
ids and every other row as it was; the request ends done with its rows removed per table,
and the audit row keeps only the hash. A request that fails midway is failed, not done, and
its retry finishes the job; an unknown subject completes with 0 rows."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from lakehouse.columns import Table
from lakehouse.erasure import ErasureRequest, RequestStatus, Subject, SubjectKind, subject_hash
from lakehouse.kafka_topics import record_expiry
from lakehouse.provision import create_delta_tables
from lakehouse.settings import Settings, load_settings
from lakehouse.state_secrets import gdpr_hash_secret
from lakehouse.tables import ALL_TABLES
from lakehouse.tables.batch import BATCH_DAILY_METRICS
from lakehouse.tables.ops import OPS_GDPR_AUDIT
from lakehouse.tables.raw import RAW_EVENTS, RAW_EVENTS_BAD
from spark_jobs.erasure import (
    ERASED_TABLES,
    delete_rows,
    load_request,
    prepare_tables,
    run_request,
    run_requests,
    save_request,
)
from spark_jobs.erasure_completion import erased_requests, recompute_requests, vacuum_requests
from spark_jobs.nightly import run_nightly
from stack.state import open_state_dir
from tests.support.batch_rows import at, raw_event, raw_frame

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

SITE = "demo-shop"
DAYS = (date(2026, 3, 10), date(2026, 3, 11))
USER_IDS = ("user-x", "anon-x", "cookieless-x", "old-x")
"""The user and every device the identity rule links to it."""
ANONYMOUS = "anon-z"  # someone never identified: the second subject


def visits(visitor: str, day: date, hour: int, **fields: Any) -> list[dict[str, Any]]:
    start = at(f"{day.isoformat()} {hour:02d}:00:00")
    return [
        raw_event(site_id=SITE, visitor_id=visitor, client_ts=start, path="/", **fields),
        raw_event(
            site_id=SITE,
            visitor_id=visitor,
            client_ts=start + timedelta(minutes=2),
            path="/p/1",
            **fields,
        ),
    ]


def events() -> list[dict[str, Any]]:
    rows = []
    for day in DAYS:
        rows += visits("anon-x", day, 9, anonymous_id="anon-x")
        rows += visits("anon-x", day, 11, anonymous_id="anon-x", user_id="user-x")
        rows += visits("anon-y", day, 10, anonymous_id="anon-y", user_id="user-y")
        rows += visits(ANONYMOUS, day, 12, anonymous_id=ANONYMOUS)
        rows += visits("cookie-w", day, 13)
    rows += visits("cookieless-x", DAYS[1], 15, user_id="user-x")
    rows += visits("old-x", DAYS[0], 7, anonymous_id="old-x")
    alias = {"type": "identify", "name": "alias", "properties": {"previous_id": "old-x"}}
    rows.append(
        raw_event(
            site_id=SITE,
            visitor_id="anon-x",
            user_id="user-x",
            client_ts=at("2026-03-10 11:05:00"),
            **alias,
        )
    )
    return rows


def bad_rows() -> list[tuple[object, ...]]:
    received = datetime(2026, 3, 11, 8, 0, tzinfo=UTC)

    def bad(bad_id: str, payload: str, site: str | None) -> tuple[object, ...]:
        return (bad_id, "collector.validate", "schema_violation", "type: not allowed", payload,
                "native", site, received, received.date())  # fmt: skip

    return [
        bad("x-bad", '{"user_id":"user-x","type":"nope"}', SITE),
        bad("z-bad", '{"anonymous_id":"anon-z","type":"nope"}', None),
        bad("y-bad", '{"user_id":"user-y","type":"nope"}', SITE),
    ]


def location(settings: Settings, table: Table) -> str:
    return settings.table_location(table.relative_path)


def contents(spark: SparkSession, settings: Settings) -> dict[str, list[str]]:
    """Every table's rows (as text, to compare and to look for an id in)."""
    from delta.tables import DeltaTable

    found = {}
    for table in ALL_TABLES:
        if DeltaTable.isDeltaTable(spark, location(settings, table)):
            rows = spark.read.format("delta").load(location(settings, table)).collect()
            found[table.qualified_name] = sorted(repr(tuple(row)) for row in rows)
    return found


def mentions(row: str, ids: Iterable[str]) -> bool:
    return any(f"'{identifier}'" in row or f'\\"{identifier}\\"' in row or
               f'"{identifier}"' in row for identifier in ids)  # fmt: skip


@pytest.fixture(scope="module")
def lake(spark: SparkSession, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A lakehouse of its own (the run's other tests count the shared one's rows), with raw
    events, bad rows and the batch tables of both days."""
    settings = load_settings(state_dir=tmp_path_factory.mktemp("erasure-state"))
    open_state_dir(settings)
    create_delta_tables(spark, settings, (RAW_EVENTS, RAW_EVENTS_BAD), lambda _: None)
    raw_frame(spark, events()).write.format("delta").mode("append").save(
        location(settings, RAW_EVENTS)
    )
    spark.createDataFrame(bad_rows(), RAW_EVENTS_BAD.spark_schema()).write.format("delta").mode(
        "append"
    ).save(location(settings, RAW_EVENTS_BAD))
    run_nightly(spark, settings, DAYS[1], lookback_days=1)
    prepare_tables(spark, settings)
    return settings


def request_for(settings: Settings, spark: SparkSession, **subject: str) -> ErasureRequest:
    request = ErasureRequest.new(
        Subject.model_validate({"site": SITE, **subject}),
        gdpr_hash_secret(settings),
        "cli",
        datetime.now(UTC),
    )
    save_request(spark, settings, request)
    return request


def test_erasing_a_user_removes_every_row_of_its_ids_and_nothing_else(
    spark: SparkSession, lake: Settings
) -> None:
    before = contents(spark, lake)
    assert sum(mentions(row, USER_IDS) for row in before["batch.sessions"]) >= 5
    assert any(mentions(row, ["user-x"]) for row in before["batch.users"])
    request = request_for(lake, spark, user_id="user-x")
    lines: list[str] = []

    (outcome,) = run_requests(spark, lake, request.request_id, lines.append)

    assert outcome.erased, lines
    after = contents(spark, lake)
    for name, rows in after.items():
        assert not [row for row in rows if mentions(row, USER_IDS)], name
    for name, rows in before.items():
        if name.startswith("ops."):
            continue
        assert after[name] == [row for row in rows if not mentions(row, USER_IDS)], name
    done = load_request(spark, lake, request.request_id)
    expected = {
        table.qualified_name: sum(mentions(row, USER_IDS) for row in before[table.qualified_name])
        for table in ERASED_TABLES
    }
    assert expected["raw.events"] == 2 * 2 * 2 + 2 + 2 + 1  # anon-x, cookieless-x, old-x, alias
    assert expected["raw.events_bad"] == 1
    assert (done.status, done.subject_id, done.attempts) == (RequestStatus.ERASED, None, 1)
    assert done.rows_removed == expected
    assert done.affected_days == DAYS
    assert not any(identifier in line for line in lines for identifier in USER_IDS)
    audit = spark.read.format("delta").load(location(lake, OPS_GDPR_AUDIT)).collect()
    (row,) = [r for r in audit if r["request_id"] == request.request_id]
    secret = gdpr_hash_secret(lake)
    assert row["subject_hash"] == subject_hash(secret, SITE, request.subject_kind, "user-x")
    assert row["rows_removed"] == expected
    assert row["rows_removed_total"] == sum(expected.values())
    assert sorted(row["tables"]) == sorted(expected)


def test_a_request_that_fails_midway_is_failed_and_its_retry_completes(
    spark: SparkSession, lake: Settings
) -> None:
    request = request_for(lake, spark, anonymous_id=ANONYMOUS)
    calls: list[str] = []

    def failing_on_sessions(
        spark: SparkSession, where: str, condition: Column, ids: DataFrame
    ) -> int:
        calls.append(where)
        if where.endswith("batch/sessions"):
            raise OSError(f"disk gone while deleting {ANONYMOUS}")
        return delete_rows(spark, where, condition, ids)

    with pytest.raises(OSError, match="disk gone"):
        run_request(spark, lake, request, delete=failing_on_sessions)

    failed = load_request(spark, lake, request.request_id)
    assert failed.status is RequestStatus.FAILED
    assert failed.subject_id == ANONYMOUS  # kept for the retry
    assert failed.error == "OSError: disk gone while deleting <subject id>"
    assert failed.rows_removed == {"raw.events": 4, "raw.events_bad": 1}
    half = contents(spark, lake)
    assert not any(mentions(row, [ANONYMOUS]) for row in half["raw.events"])
    assert any(mentions(row, [ANONYMOUS]) for row in half["batch.sessions"])

    outcomes = run_requests(spark, lake, None, lambda _: None)

    assert (request.request_id, True) in [(o.request_id, o.erased) for o in outcomes]
    done = load_request(spark, lake, request.request_id)
    assert (done.status, done.attempts, done.error, done.subject_id) == (
        RequestStatus.ERASED,
        2,
        None,
        None,
    )
    assert done.rows_removed == {
        "raw.events": 4,
        "raw.events_bad": 1,
        "batch.sessions": 2,
        "batch.users": 1,  # an anonymous person has its users row too
    }
    after = contents(spark, lake)
    assert not [row for rows in after.values() for row in rows if mentions(row, [ANONYMOUS])]


def test_erasing_an_unknown_subject_completes_with_no_rows(
    spark: SparkSession, lake: Settings
) -> None:
    before = contents(spark, lake)
    request = request_for(lake, spark, user_id="nobody")

    (outcome,) = run_requests(spark, lake, request.request_id, lambda _: None)

    assert outcome.erased
    done = load_request(spark, lake, request.request_id)
    assert done.rows_removed == dict.fromkeys((t.qualified_name for t in ERASED_TABLES), 0)
    assert done.affected_days == ()
    after = contents(spark, lake)
    assert {k: v for k, v in after.items() if not k.startswith("ops.")} == {
        k: v for k, v in before.items() if not k.startswith("ops.")
    }


def files_holding(root: Path, ids: Iterable[str]) -> list[str]:
    """Every file under ``root`` whose bytes hold one of the ids."""
    wanted = [identifier.encode() for identifier in ids]
    return sorted(
        str(path.relative_to(root))
        for path in root.rglob("*")
        if path.is_file() and any(identifier in path.read_bytes() for identifier in wanted)
    )


def daily_metrics(spark: SparkSession, settings: Settings) -> list[str]:
    rows = spark.read.format("delta").load(location(settings, BATCH_DAILY_METRICS)).collect()
    return sorted(repr(tuple(row)) for row in rows)


def test_the_erased_requests_are_recomputed_vacuumed_and_done(
    spark: SparkSession, lake: Settings
) -> None:
    erased = erased_requests(spark, lake)
    assert len(erased) == 3  # the three tests' requests, each erased and not done yet
    everyone = (*USER_IDS, ANONYMOUS)
    assert files_holding(lake.lakehouse_path, everyone)  # the removed files are still there
    lines: list[str] = []

    recompute_requests(spark, lake, lines.append)
    done = vacuum_requests(spark, lake, lines.append)

    assert sorted(r.request_id for r in done) == sorted(r.request_id for r in erased)
    for request in done:
        assert load_request(spark, lake, request.request_id).status is RequestStatus.DONE
    assert files_holding(lake.lakehouse_path, everyone) == []
    recomputed = daily_metrics(spark, lake)
    run_nightly(spark, lake, DAYS[1], lookback_days=1)
    assert daily_metrics(spark, lake) == recomputed  # what a recomputation without them gives
    metrics = spark.read.format("delta").load(location(lake, BATCH_DAILY_METRICS))
    raw = spark.read.format("delta").load(location(lake, RAW_EVENTS))
    for day in DAYS:
        total = metrics.where(f"event_date = '{day}' AND dimension = 'all'").first()
        assert total is not None
        pages = raw.where(f"event_date = '{day}' AND type = 'page' AND NOT is_bot").count()
        assert total["pageviews"] == pages
    audit = spark.read.format("delta").load(location(lake, OPS_GDPR_AUDIT)).collect()
    user_hash = subject_hash(gdpr_hash_secret(lake), SITE, SubjectKind.USER_ID, "user-x")
    (user,) = [row for row in audit if row["subject_hash"] == user_hash]
    assert user["files_removed"] > 0
    assert user["vacuumed_at"] is not None
    ids = ("user_id", "visitor_id", "anonymous_id")
    last = max(e["received_at"] for e in events() if {e[i] for i in ids} & set(USER_IDS))
    assert user["kafka_expires_at"] == last.replace(tzinfo=None) + record_expiry(lake)  # UTC
    assert not any(identifier in line for line in lines for identifier in everyone)
