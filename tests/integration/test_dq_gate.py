"""The data-quality gate of the nightly chain on real Delta tables: a clean day passes every
expectation and is published; a day with a duplicated event_id, a null in a required
column, a negative count, a live/batch mismatch and events the collector accepted that never
reached raw fails exactly those five critical expectations, is not published (publish
refuses it), and neither ops.dq_results nor the data docs hold any identifier of the rows."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from collector.accepted_counts import AcceptedCounts, delta_append
from expectations.run import data_docs_dir
from lakehouse.provision import create_delta_tables
from lakehouse.settings import Settings
from lakehouse.sql_text import spark_path_identifier
from lakehouse.tables import ALL_TABLES
from lakehouse.tables.batch import BATCH_DAILY_METRICS
from lakehouse.tables.live import LIVE_DAILY_METRICS
from lakehouse.tables.ops import OPS_DQ_RESULTS
from lakehouse.tables.raw import RAW_EVENTS
from spark_jobs import runs
from spark_jobs.jobs import DataQualityFailed, NotPublishable
from spark_jobs.nightly import NIGHTLY, run_jobs, run_nightly
from stack.state import isolated_settings
from tests.support.batch_rows import raw_event, raw_frame

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

CLEAN_DAY = date(2026, 3, 10)
BAD_DAY = date(2026, 3, 11)
SITES = ("demo-shop", "demo-docs")
LOST = 25
"""Events the collector accepted for demo-docs on the bad day that never landed."""
EXPECTED_FAILURES = {
    "raw.events/event_id_unique_within_dedupe_window",
    "raw.events/protocol_not_null",
    "batch.daily_metrics/pageviews_non_negative",
    "reconciliation.live_batch/pageviews_equal",
    "reconciliation.collector_raw/raw_has_the_accepted_events",
}


def day_rows(day: date) -> list[dict[str, Any]]:
    """Per site, 30 visitors of 3 pageviews and a signup event, a minute apart."""
    rows = []
    for site in SITES:
        for n in range(30):
            start = datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=8, minutes=n)
            visitor = f"{site}-visitor-{n}"
            for step in range(3):
                rows.append(
                    raw_event(
                        site_id=site, visitor_id=visitor, client_ts=start + timedelta(minutes=step)
                    )
                )
            rows.append(
                raw_event(
                    site_id=site,
                    visitor_id=visitor,
                    type="track",
                    name="signup",
                    client_ts=start + timedelta(minutes=3),
                )
            )
    return rows


def live_rows(rows: Iterable[dict[str, Any]], day: date) -> list[tuple[object, ...]]:
    """The live layer's day total per site, as the stream writes it for on-time events."""
    pageviews: Counter[str] = Counter()
    events: Counter[str] = Counter()
    visitors: dict[str, set[str]] = {}
    for row in rows:
        pageviews[row["site_id"]] += row["type"] == "page"
        events[row["site_id"]] += 1
        visitors.setdefault(row["site_id"], set()).add(row["visitor_id"])
    moment = datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=23)
    return [
        (
            site,
            day,
            "all",
            "(all)",
            pageviews[site],
            events[site],
            len(visitors[site]),
            0,
            None,
            moment,
        )
        for site in SITES
    ]


def count_accepted(settings: Settings, rows: Iterable[dict[str, Any]], extra: int = 0) -> None:
    """The collector's counts of ``rows`` (and ``extra`` more of demo-docs), appended to
    ops.collector_accepted by the collector's own writer."""
    counts = AcceptedCounts(delta_append(settings), every_s=3600, name="test-collector")
    for row in rows:
        counts.add(row["site_id"], row["received_at"], 1)
    if extra:
        moment = datetime.combine(BAD_DAY, datetime.min.time(), UTC) + timedelta(hours=9)
        counts.add("demo-docs", moment, extra)
    assert counts.flush() > 0


def append(spark: SparkSession, settings: Settings, table: Any, frame: Any) -> None:
    frame.write.format("delta").mode("append").save(settings.table_location(table.relative_path))


def dq_results(spark: SparkSession, settings: Settings, day: date) -> list[Any]:
    location = settings.table_location(OPS_DQ_RESULTS.relative_path)
    return spark.read.format("delta").load(location).where(f"logical_date = '{day}'").collect()


@pytest.fixture(scope="module")
def lake(spark: SparkSession, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    settings = isolated_settings(tmp_path_factory.mktemp("dq") / "state")
    create_delta_tables(spark, settings, ALL_TABLES, lambda _: None)
    return settings


@pytest.fixture(scope="module")
def clean_day(spark: SparkSession, lake: Settings) -> list[str]:
    rows = day_rows(CLEAN_DAY)
    append(spark, lake, RAW_EVENTS, raw_frame(spark, rows))
    live = spark.createDataFrame(live_rows(rows, CLEAN_DAY), LIVE_DAILY_METRICS.spark_schema())
    append(spark, lake, LIVE_DAILY_METRICS, live)
    count_accepted(lake, rows)
    return [r.job for r in run_nightly(spark, lake, CLEAN_DAY, lookback_days=0)]


@pytest.fixture(scope="module")
def bad_day(spark: SparkSession, lake: Settings, clean_day: list[str]) -> dict[str, Any]:
    rows = day_rows(BAD_DAY)
    count_accepted(lake, rows, extra=LOST)  # accepted, but LOST of them never land
    live = live_rows(rows, BAD_DAY)
    shop = list(live[0])
    shop[4] = int(str(shop[4])) + 1  # the stream counted a pageview the lake does not have
    live[0] = tuple(shop)
    append(
        spark,
        lake,
        LIVE_DAILY_METRICS,
        spark.createDataFrame(live, LIVE_DAILY_METRICS.spark_schema()),
    )
    # A writer that dropped the contract's constraint stores a row without its protocol, and
    # an event lands twice.
    raw_table = spark_path_identifier(lake.table_location(RAW_EVENTS.relative_path))
    spark.sql(f"ALTER TABLE {raw_table} ALTER COLUMN protocol DROP NOT NULL")
    rows[5]["protocol"] = None
    schema = RAW_EVENTS.spark_schema()
    for field in schema.fields:
        field.nullable = field.name == "protocol" or field.nullable
    bad_rows = [*rows, dict(rows[10])]
    frame = spark.createDataFrame(
        [tuple(r[c] for c in RAW_EVENTS.column_names) for r in bad_rows], schema
    )
    append(spark, lake, RAW_EVENTS, frame)
    before_gate = NIGHTLY[: NIGHTLY.index("dq")]
    run_jobs(spark, lake, BAD_DAY, before_gate, lookback_days=0)
    metrics = spark_path_identifier(lake.table_location(BATCH_DAILY_METRICS.relative_path))
    spark.sql(  # a job that got a count wrong
        f"UPDATE {metrics} SET pageviews = -1 WHERE event_date = '{BAD_DAY}' "
        "AND site_id = 'demo-docs' AND dimension = 'country' AND value = 'DE'"
    )
    with pytest.raises(DataQualityFailed) as failed:
        run_jobs(spark, lake, BAD_DAY, ("dq", "publish"), lookback_days=0)
    return {"rows": bad_rows, "error": failed.value}


def test_a_clean_day_passes_every_expectation_and_is_published(
    spark: SparkSession, lake: Settings, clean_day: list[str]
) -> None:
    assert clean_day == list(NIGHTLY)
    results = dq_results(spark, lake, CLEAN_DAY)
    suites = {r.suite for r in results}
    assert suites == {
        "raw.events",
        "batch.sessions",
        "batch.daily_metrics",
        "reconciliation.live_batch",
        "reconciliation.collector_raw",
    }
    assert [f"{r.suite}/{r.expectation}" for r in results if not r.success] == []
    assert len({r.run_id for r in results}) == 1
    assert runs.latest_status(spark, lake, "publish", CLEAN_DAY) == runs.SUCCESS


def test_a_bad_day_fails_exactly_the_expected_expectations_and_is_not_published(
    spark: SparkSession, lake: Settings, bad_day: dict[str, Any]
) -> None:
    error: DataQualityFailed = bad_day["error"]
    assert set(error.failed) == EXPECTED_FAILURES
    for name in EXPECTED_FAILURES:
        assert name in str(error)
    results = dq_results(spark, lake, BAD_DAY)
    failed = {f"{r.suite}/{r.expectation}": r.severity for r in results if not r.success}
    assert failed == dict.fromkeys(EXPECTED_FAILURES, "critical")
    lost = next(r for r in results if r.expectation == "raw_has_the_accepted_events")
    assert '"unexpected_count": 1' in lost.observed_value  # one site lost events
    assert runs.latest_status(spark, lake, "dq", BAD_DAY) == runs.FAILED
    assert runs.latest_status(spark, lake, "publish", BAD_DAY) is None
    with pytest.raises(NotPublishable, match="data-quality gate failed"):
        run_jobs(spark, lake, BAD_DAY, ("publish",), lookback_days=0)


def test_no_result_or_data_docs_page_holds_an_identifier(
    spark: SparkSession, lake: Settings, bad_day: dict[str, Any]
) -> None:
    rows = bad_day["rows"]
    identifiers = {rows[5]["event_id"], rows[10]["event_id"], rows[10]["visitor_id"]}
    stored = " ".join(str(r.asDict()) for r in dq_results(spark, lake, BAD_DAY))
    pages = sorted(Path(data_docs_dir(lake)).rglob("*.html"))
    assert any("validations" in str(page) for page in pages)
    docs = " ".join(page.read_text(errors="replace") for page in pages)
    assert "live pageviews = batch pageviews" in docs  # the failed expectation's page
    assert "1 unexpected values found" in docs  # counted, not shown
    for identifier in identifiers:
        assert identifier not in stored
        assert identifier not in docs
