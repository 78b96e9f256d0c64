"""The data-quality suites on a few rows each: clean rows pass every expectation, and each
fault fails exactly the expectation meant for it (with its severity), through Great
Expectations on the run's Spark; no result keeps a sample of the values it checked."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from expectations import batch_tables, raw_events, reconciliation
from expectations.checks import Severity, Suite
from expectations.gx_suite import Outcome
from expectations.run import new_context, validate
from lakehouse.columns import Table
from lakehouse.settings import Settings, SiteSettings
from lakehouse.tables.batch import BATCH_DAILY_METRICS, BATCH_SESSIONS
from lakehouse.tables.live import LIVE_DAILY_METRICS
from lakehouse.tables.ops import OPS_COLLECTOR_ACCEPTED
from lakehouse.tables.raw import RAW_EVENTS
from tests.support.batch_rows import at, raw_event, raw_frame

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

DAY = date(2026, 3, 10)
NOON = at("2026-03-10 12:00:00")


@pytest.fixture(scope="module")
def site_settings(settings: Settings) -> Settings:
    collector = settings.collector.model_copy(update={"sites": (SiteSettings(site_id="s"),)})
    return settings.model_copy(update={"collector": collector})


@pytest.fixture(scope="module")
def context(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return new_context(Path(tmp_path_factory.mktemp("data-docs")))


def frame_of(spark: SparkSession, table: Table, rows: Iterable[Mapping[str, Any]]) -> DataFrame:
    return spark.createDataFrame(
        [tuple(row[c] for c in table.column_names) for row in rows], table.spark_schema()
    )


def failed(outcomes: list[Outcome]) -> dict[str, Severity]:
    return {o.check: o.severity for o in outcomes if not o.success}


def run(context: Any, suite: Suite, frames: dict[str, DataFrame]) -> list[Outcome]:
    outcomes = validate(context, suite, frames, DAY)
    assert {o.check for o in outcomes} == {c.name for c in suite.checks}
    return outcomes


def clean_raw() -> list[dict[str, Any]]:
    """Forty events of ten visitors, one a bot, one a resend two hours on."""
    rows = [
        raw_event(visitor_id=f"v{n % 10}", client_ts=NOON + timedelta(minutes=n), is_bot=n == 7)
        for n in range(40)
    ]
    resend = {**rows[3], "received_at": rows[3]["received_at"] + timedelta(hours=2)}
    return [*rows, resend]


def test_clean_raw_events_pass(spark: SparkSession, site_settings: Settings, context: Any) -> None:
    frames = {RAW_EVENTS.qualified_name: raw_frame(spark, clean_raw())}
    outcomes = run(context, raw_events.suite(site_settings), frames)
    assert failed(outcomes) == {}


def test_each_raw_fault_fails_its_expectation(
    spark: SparkSession, site_settings: Settings, context: Any
) -> None:
    rows = clean_raw()
    rows.append(dict(rows[0]))  # the same copy twice: an event written twice
    rows[1]["event_id"] = None
    rows[2]["type"] = "click"
    rows[4]["site_id"] = "elsewhere"
    rows[5]["event_date"] = DAY  # stored on a day its client_ts is not on
    rows[5]["client_ts"] = at("2026-03-09 23:00:00")
    rows[5]["received_at"] = rows[5]["client_ts"] + timedelta(seconds=1)
    rows[6]["received_at"] = rows[6]["client_ts"] + timedelta(days=4)
    for row in rows[10:32]:  # with row 7, 23 of 42 bots
        row["is_bot"] = True
        row["country"] = None
    schema = RAW_EVENTS.spark_schema()
    for field in schema.fields:
        field.nullable = True  # a table whose constraints were dropped
    frame = spark.createDataFrame(
        [tuple(r[c] for c in RAW_EVENTS.column_names) for r in rows], schema
    )
    outcomes = run(context, raw_events.suite(site_settings), {RAW_EVENTS.qualified_name: frame})
    assert failed(outcomes) == {
        "event_id_not_null": Severity.CRITICAL,
        "event_id_unique_within_dedupe_window": Severity.CRITICAL,
        "type_allowed": Severity.CRITICAL,
        "site_id_known": Severity.CRITICAL,
        "client_ts_on_partition_day": Severity.CRITICAL,
        "received_at_within_clock_bounds": Severity.CRITICAL,
        "bot_share": Severity.WARNING,
        "country_enriched_share": Severity.WARNING,
    }
    shown = " ".join(o.observed_json for o in outcomes)
    for sample in ("v1", "elsewhere", "click", rows[0]["event_id"]):
        assert sample not in shown
    bots = next(o for o in outcomes if o.check == "bot_share")
    assert bots.observed["unexpected_percent"] > 50


def session_row(**fields: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "site_id": "s",
        "session_key": "k1",
        "visitor_id": "v1",
        "person_id": "v1",
        "persistent_id": True,
        "session_start": NOON,
        "session_end": NOON + timedelta(minutes=2),
        "duration_s": 120.0,
        "pageviews": 2,
        "screenviews": 0,
        "events": 3,
        "entry_page": "/",
        "exit_page": "/b",
        "landing_referrer": None,
        "referrer_host": "(none)",
        "referrer_class": "direct",
        "source": "(direct)",
        "medium": "(none)",
        "campaign": "(none)",
        "device_type": "desktop",
        "browser": "Firefox",
        "os": "Linux",
        "country": "DE",
        "language": "de",
        "is_new_visitor": True,
        "engaged": True,
        "bounced": False,
        "single_page": False,
        "converted": False,
        "goals": [],
        "goal_value": 0.0,
        "event_date": DAY,
    }
    row.update(fields)
    return row


def test_sessions_suite(spark: SparkSession, context: Any) -> None:
    suite = batch_tables.sessions_suite()
    clean = [session_row(), session_row(session_key="k2", events=1, pageviews=1)]
    frames = {BATCH_SESSIONS.qualified_name: frame_of(spark, BATCH_SESSIONS, clean)}
    assert failed(run(context, suite, frames)) == {}
    bad = [
        *clean,
        session_row(),  # k1 again
        session_row(session_key="k3", pageviews=5, events=3),
        session_row(session_key="k4", session_end=NOON - timedelta(seconds=1)),
        session_row(session_key="k5", event_date=DAY + timedelta(days=1), events=-1),
    ]
    frames = {BATCH_SESSIONS.qualified_name: frame_of(spark, BATCH_SESSIONS, bad)}
    assert failed(run(context, suite, frames)) == {
        "one_row_per_session": Severity.CRITICAL,
        "views_at_most_events": Severity.CRITICAL,
        "ends_after_start": Severity.CRITICAL,
    }  # k5 is of another day


def metric_row(dimension: str = "all", value: str = "(all)", **fields: Any) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(BATCH_DAILY_METRICS.column_names, 0)
    row.update(
        site_id="s",
        dimension=dimension,
        value=value,
        visitors=3,
        new_visitors=1,
        sessions=4,
        pageviews=9,
        events=12,
        engaged_sessions=3,
        bounces=1,
        engagement_rate=0.75,
        bounce_rate=0.25,
        avg_session_duration_s=30.0,
        pages_per_session=2.25,
        conversion_rate=0.0,
        goal_value=0.0,
        bot_events=None if dimension != "all" else 2,
        event_date=DAY,
    )
    row.update(fields)
    return row


def test_daily_metrics_suite(spark: SparkSession, context: Any) -> None:
    suite = batch_tables.daily_metrics_suite()
    clean = [
        metric_row(visitors=5),  # the total row may count more visitors than sessions
        metric_row("country", "DE"),
        metric_row(
            "country",
            "FR",
            sessions=0,
            visitors=0,
            new_visitors=0,
            pageviews=0,
            events=0,
            engaged_sessions=0,
            bounces=0,
            engagement_rate=None,
            bounce_rate=None,
            conversion_rate=None,
        ),
    ]
    frames = {BATCH_DAILY_METRICS.qualified_name: frame_of(spark, BATCH_DAILY_METRICS, clean)}
    assert failed(run(context, suite, frames)) == {}
    bad = [
        *clean,
        metric_row("country", "DE"),  # the key again
        metric_row("browser", "Firefox", pageviews=-2),
        metric_row("os", "Linux", visitors=6),
        metric_row("device_type", "desktop", engaged_sessions=5, engagement_rate=1.25),
    ]
    frames = {BATCH_DAILY_METRICS.qualified_name: frame_of(spark, BATCH_DAILY_METRICS, bad)}
    assert failed(run(context, suite, frames)) == {
        "one_row_per_key": Severity.CRITICAL,
        "pageviews_non_negative": Severity.CRITICAL,
        "visitors_at_most_sessions": Severity.CRITICAL,
        "engaged_at_most_sessions": Severity.CRITICAL,
        "engagement_rate_within_0_1": Severity.CRITICAL,
    }


def live_row(
    site: str, pageviews: int, visitors: int, events: int, **fields: Any
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "site_id": site,
        "event_date": DAY,
        "dimension": "all",
        "value": "(all)",
        "pageviews": pageviews,
        "events": events,
        "unique_visitors": visitors,
        "new_sessions": 0,
        "visitors_sketch": None,
        "updated_at": NOON,
    }
    row.update(fields)
    return row


def test_live_batch_reconciliation(
    spark: SparkSession, site_settings: Settings, context: Any
) -> None:
    suite = reconciliation.live_batch_suite(site_settings)
    events = clean_raw()  # 41 rows, one a late resend: 40 on time, 10 visitors
    late = raw_event(visitor_id="late", client_ts=NOON, received_at=NOON + timedelta(hours=1))
    raw = raw_frame(spark, [*events, late])
    live = [live_row("s", 30, 9, 30), live_row("s", 40, 10, 40)]  # an older version first
    frames = {
        RAW_EVENTS.qualified_name: raw,
        LIVE_DAILY_METRICS.qualified_name: frame_of(spark, LIVE_DAILY_METRICS, live),
    }
    assert failed(run(context, suite, frames)) == {}
    off = [live_row("s", 39, 12, 41)]
    frames[LIVE_DAILY_METRICS.qualified_name] = frame_of(spark, LIVE_DAILY_METRICS, off)
    assert failed(run(context, suite, frames)) == {
        "pageviews_equal": Severity.CRITICAL,
        "visitors_within_sketch_error": Severity.WARNING,
    }


def accepted_row(site: str, accepted: int, day: date = DAY) -> dict[str, Any]:
    return {
        "site_id": site,
        "received_date": day,
        "accepted": accepted,
        "collector": "host:1",
        "flushed_at": datetime.combine(day, datetime.min.time(), UTC),
    }


def test_collector_raw_reconciliation(
    spark: SparkSession, site_settings: Settings, context: Any
) -> None:
    suite = reconciliation.collector_raw_suite(site_settings)
    raw = raw_frame(spark, clean_raw())  # 40 distinct events, one resent
    counts = [
        accepted_row("s", 30),
        accepted_row("s", 10),
        accepted_row("s", 99, DAY - timedelta(1)),
    ]
    frames = {
        RAW_EVENTS.qualified_name: raw,
        OPS_COLLECTOR_ACCEPTED.qualified_name: frame_of(spark, OPS_COLLECTOR_ACCEPTED, counts),
    }
    outcomes = run(context, suite, frames)
    assert failed(outcomes) == {}  # 40 accepted, 40 distinct in raw (one twice)
    counts.append(accepted_row("s", 10))  # ten accepted that never landed
    frames[OPS_COLLECTOR_ACCEPTED.qualified_name] = frame_of(spark, OPS_COLLECTOR_ACCEPTED, counts)
    assert failed(run(context, suite, frames)) == {"raw_has_the_accepted_events": Severity.CRITICAL}


def test_a_day_without_data_passes_every_table_suite(
    spark: SparkSession, site_settings: Settings, context: Any
) -> None:
    other_day = [raw_event(client_ts=NOON + timedelta(days=1))]
    frames = {
        RAW_EVENTS.qualified_name: raw_frame(spark, other_day),
        BATCH_SESSIONS.qualified_name: frame_of(spark, BATCH_SESSIONS, []),
        BATCH_DAILY_METRICS.qualified_name: frame_of(spark, BATCH_DAILY_METRICS, []),
    }
    for suite in (
        raw_events.suite(site_settings),
        batch_tables.sessions_suite(),
        batch_tables.daily_metrics_suite(),
    ):
        assert failed(run(context, suite, frames)) == {}, suite.name
