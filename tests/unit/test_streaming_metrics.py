"""Live metrics on tiny DataFrames: windows, dimensions, uniques, sessions, active visitors."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from lakehouse.dimensions import METRIC_DIMENSIONS
from lakehouse.tables.live import LIVE_ACTIVE_VISITORS
from streaming.live_totals import Key, Totals, VersionTotals, estimate
from streaming.live_writer import totals_of
from streaming.metrics import active_visitors, latest_versions, minute_metrics, on_time

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

EVENT_COLUMNS = (
    "site_id string, client_ts timestamp, visitor_id string, type string, name string, "
    "received_at timestamp, properties map<string,string>, path string, "
    "referrer_class string, country string, "
    "device_type string, browser string, utm_source string, utm_medium string, "
    "utm_campaign string"
)


def events(spark: SparkSession, rows: list[dict[str, Any]]) -> DataFrame:
    defaults: dict[str, Any] = {
        "site_id": "s",
        "type": "page",
        "name": "pageview",
        "properties": None,
        "path": "/",
        "referrer_class": "direct",
        "country": "DE",
        "device_type": "desktop",
        "browser": "Firefox",
        "utm_source": None,
        "utm_medium": None,
        "utm_campaign": None,
    }
    names = [part.split()[0] for part in EVENT_COLUMNS.split(", ")]
    return spark.createDataFrame(
        [
            tuple({**defaults, "received_at": row["client_ts"], **row}.get(n) for n in names)
            for row in rows
        ],
        EVENT_COLUMNS,
    )


def at(minute: int, second: int = 0) -> datetime:
    return datetime(2026, 3, 1, 10, minute, second)


def metrics_by_key(frame: DataFrame) -> dict[tuple[Any, ...], tuple[int, ...]]:
    return {
        (r.site_id, r.minute, r.dimension, r.value): (
            r.pageviews,
            r.events,
            r.unique_visitors,
            r.new_sessions,
        )
        for r in frame.collect()
    }


def test_minute_windows_per_dimension_count_pageviews_events_visitors_sessions(
    spark: SparkSession,
) -> None:
    frame = events(
        spark,
        [
            {"client_ts": at(0, 5), "visitor_id": "a", "properties": {"session_start": "true"}},
            {"client_ts": at(0, 59), "visitor_id": "a", "path": "/buy", "utm_source": "news"},
            {"client_ts": at(0, 30), "visitor_id": "b", "type": "track", "name": "signup"},
            {"client_ts": at(1, 0), "visitor_id": "b", "name": "session_start", "country": None},
            {"client_ts": at(1, 1), "visitor_id": "c", "site_id": "t"},
        ],
    )
    got = metrics_by_key(minute_metrics(frame))
    assert got[("s", at(0), "all", "(all)")] == (2, 3, 2, 1)
    assert got[("s", at(0), "path", "/")] == (1, 2, 2, 1)
    assert got[("s", at(0), "path", "/buy")] == (1, 1, 1, 0)
    assert got[("s", at(0), "utm_source", "news")] == (1, 1, 1, 0)
    assert got[("s", at(0), "utm_source", "(none)")] == (1, 2, 2, 1)
    assert got[("s", at(1), "all", "(all)")] == (1, 1, 1, 1)
    assert got[("s", at(1), "country", "(none)")] == (1, 1, 1, 1)
    assert got[("t", at(1), "browser", "Firefox")] == (1, 1, 1, 0)
    per_window_and_site = {(k[0], k[1]) for k in got}
    assert per_window_and_site == {("s", at(0)), ("s", at(1)), ("t", at(1))}
    for site, minute in per_window_and_site:
        dims = {k[2] for k in got if k[:2] == (site, minute)}
        assert dims == set(METRIC_DIMENSIONS)


def test_late_events_are_those_received_past_the_watermark(spark: SparkSession) -> None:
    sent = at(30)
    frame = events(
        spark,
        [
            {"client_ts": at(30), "received_at": sent, "visitor_id": "now"},
            {"client_ts": at(20), "received_at": sent, "visitor_id": "at-the-limit"},
            {"client_ts": at(19, 59), "received_at": sent, "visitor_id": "late"},
            # A client clock ahead of the collector's: not late.
            {"client_ts": at(31), "received_at": sent, "visitor_id": "ahead"},
        ],
    )
    kept = {r.visitor_id for r in on_time(frame, watermark_s=600).collect()}
    assert kept == {"now", "at-the-limit", "ahead"}


def test_versions_of_partial_batches_give_the_one_batch_figures(spark: SparkSession) -> None:
    """The keys' versions after micro-batch upon micro-batch (each batch's partial rows added
    to the totals so far, the sketches united by the DataSketches library) equal one Spark
    aggregation of all their rows, unique visitors included (Spark's estimate of the united
    sketch), also past the sketch's exact range."""
    from pyspark.sql import functions as F

    from streaming.metrics import visitors_estimate_sql

    rows = [
        {"client_ts": at(0, n % 60), "visitor_id": f"v{n % 1500}", "path": f"/{n % 7}"}
        for n in range(4000)
    ]
    batches = [events(spark, rows[start::3]) for start in range(3)]  # same keys in each
    whole = metrics_by_key(minute_metrics(events(spark, rows)))

    totals: VersionTotals[datetime] = VersionTotals(lambda _since, _until: [], timedelta(days=1))
    latest: dict[Key, Totals] = {}
    for batch in batches:
        parts = {
            (r.site_id, r.minute, r.dimension, r.value): totals_of(r)
            for r in minute_metrics(batch).collect()
        }
        versions = totals.versions(parts)
        totals.keep(versions, max(key[1] for key in versions))
        latest.update(versions)
    sketches = spark.createDataFrame(
        [(*key, t.sketch) for key, t in latest.items()],
        "site_id string, minute timestamp, dimension string, value string, sketch binary",
    )
    visitors = {
        (r.site_id, r.minute, r.dimension, r.value): r.visitors
        for r in sketches.select(
            "*", F.expr(visitors_estimate_sql("sketch")).alias("visitors")
        ).collect()
    }
    got = {key: (t.pageviews, t.events, visitors[key], t.new_sessions) for key, t in latest.items()}
    assert got == whole
    assert 1400 < whole[("s", at(0), "all", "(all)")][2] < 1600
    # The library's own estimate: exact where the sketch is, at most one off past that.
    assert all(abs(estimate(t.sketch) - visitors[key]) <= 1 for key, t in latest.items())


def test_the_latest_version_of_a_key_is_the_one_with_the_most_events(
    spark: SparkSession,
) -> None:
    versions = spark.createDataFrame(
        [("s", "all", 1, 1), ("s", "all", 3, 2), ("s", "all", 2, 9), ("t", "all", 1, 4)],
        "site_id string, dimension string, events long, pageviews long",
    )
    latest = latest_versions(versions, ["site_id", "dimension"]).collect()
    assert sorted(tuple(r) for r in latest) == [("s", "all", 3, 2), ("t", "all", 1, 4)]


def test_active_visitors_in_the_last_5_and_30_minutes(spark: SparkSession) -> None:
    frame = events(
        spark,
        [
            {"client_ts": at(0), "visitor_id": "old"},  # 40 minutes before now: out
            {"client_ts": at(15), "visitor_id": "a"},
            {"client_ts": at(36), "visitor_id": "b"},
            {"client_ts": at(38), "visitor_id": "a"},
            {"client_ts": at(40, 30), "visitor_id": "c"},
            {"client_ts": at(20), "visitor_id": "x", "site_id": "quiet"},
            {"client_ts": at(41), "visitor_id": "future"},  # after now: not yet counted
        ],
    )
    now = at(40, 45)
    result = active_visitors(minute_metrics(frame), now)
    rows = result.collect()
    assert tuple(rows[0].asDict()) == LIVE_ACTIVE_VISITORS.column_names
    got = {(r.site_id, r.window_minutes): r.visitors for r in rows}
    assert got == {("s", 5): 3, ("s", 30): 3, ("quiet", 5): 0, ("quiet", 30): 1}
    assert {r.as_of for r in rows} == {now}
