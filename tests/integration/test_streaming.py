"""The speed layer through real Kafka -> Spark (python -m streaming) -> Delta -> Trino.

One job process (a checkpoint of its own) serves the module; each test uses sites of its
own. Lateness is per event (received_at - client_ts against the watermark), so each test
sets both times of its events.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from lakehouse.dimensions import METRIC_DIMENSIONS, TOTAL_DIMENSION
from lakehouse.provision import create_delta_tables, create_views, register_in_trino
from lakehouse.schema import EventV1
from lakehouse.settings import Settings, StreamingSettings
from lakehouse.sql_text import trino_identifier
from lakehouse.tables.live import LIVE_MINUTE_METRICS, MINUTE_KEY
from lakehouse.tables.serving import SERVING_LIVE_VIEWS, latest_versions_query
from lakehouse.trino_sql import query
from streaming.job import STREAM_TABLES
from tests.support.kafka import produce, produce_raw
from tests.support.streaming_job import StreamingJob
from tests.support.waiting import wait_for

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

WATERMARK_S = 60


@pytest.fixture(scope="module")
def stream_settings(kafka: Settings, trino: Settings, spark: SparkSession) -> Settings:
    streaming = StreamingSettings(
        trigger_interval_s=1.0,
        watermark_s=WATERMARK_S,
        dedupe_window_s=600,
        checkpoint_uri=str(kafka.state_path / "streaming-it" / "checkpoints"),
        driver_memory="768m",
    )
    settings = kafka.model_copy(update={"streaming": streaming})
    create_delta_tables(spark, settings, STREAM_TABLES, lambda _: None)
    register_in_trino(settings, STREAM_TABLES, lambda _: None)
    create_views(settings, SERVING_LIVE_VIEWS, lambda _: None)
    return settings


@pytest.fixture(scope="module")
def job(stream_settings: Settings) -> Iterator[StreamingJob]:
    runner = StreamingJob(stream_settings, stream_settings.logs_path / "streaming-it.log")
    runner.start()
    yield runner
    if runner.alive():
        runner.terminate()


def event(site: str, ts: datetime, visitor: str, **fields: Any) -> dict[str, Any]:
    record = {
        "event_id": str(uuid.uuid4()),
        "type": "page",
        "name": "pageview",
        "site_id": site,
        "client_ts": ts.isoformat(),
        "received_at": datetime.now(UTC).isoformat(),
        "protocol": "native",
        "visitor_id": visitor,
        "anonymous_id": visitor,
        **fields,
    }
    return EventV1.model_validate(record).model_dump(mode="json", exclude_none=True)


def expected_metrics(events: list[dict[str, Any]]) -> dict[tuple[str, str, str], tuple[int, ...]]:
    """A plain-Python reference: (minute, dimension, value) -> (pv, events, uv, sessions)."""
    counts: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    visitors: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for e in events:
        minute = datetime.fromisoformat(e["client_ts"]).replace(second=0, microsecond=0)
        for dimension in METRIC_DIMENSIONS:
            value = "(all)" if dimension == TOTAL_DIMENSION else e.get(dimension) or "(none)"
            key = (minute.strftime("%H:%M"), dimension, value)
            counts[key][0] += e["type"] == "page"
            counts[key][1] += 1
            counts[key][2] += (e.get("properties") or {}).get("session_start") == "true"
            visitors[key].add(e["visitor_id"])
    return {k: (c[0], c[1], len(visitors[k]), c[2]) for k, c in counts.items()}


def trino_metrics(settings: Settings, site: str) -> dict[tuple[str, str, str], tuple[int, ...]]:
    """The latest version of each of the site's live.minute_metrics keys, through Trino."""
    latest = latest_versions_query(LIVE_MINUTE_METRICS, MINUTE_KEY, f"site_id = '{site}'")
    rows = query(
        settings,
        "SELECT format_datetime(minute AT TIME ZONE 'UTC', 'HH:mm'), dimension, value, "
        "pageviews, events, unique_visitors, new_sessions "
        f"FROM ({latest.format(catalog=trino_identifier('delta'))})",
    )
    return {(r[0], r[1], r[2]): (r[3], r[4], r[5], r[6]) for r in rows}


def trino_raw_ids(settings: Settings, site: str) -> Counter[str]:
    rows = query(settings, f"SELECT event_id FROM delta.raw.events WHERE site_id = '{site}'")
    return Counter(str(r[0]) for r in rows)


def test_active_visitors_count_the_last_5_and_30_minutes(job: StreamingJob) -> None:
    settings = job.settings
    site = f"it-{uuid.uuid4().hex[:8]}"
    now = datetime.now(UTC)

    def seen(ago: timedelta, visitor: str) -> dict[str, Any]:
        """An event the collector received when it happened (on time for the live side)."""
        return event(site, now - ago, visitor, received_at=(now - ago).isoformat())

    events = [
        seen(timedelta(minutes=20), "early"),
        seen(timedelta(minutes=12), "both"),
        seen(timedelta(seconds=30), "both"),
        seen(timedelta(seconds=20), "recent"),
    ]
    produce(settings, settings.kafka.events_topic, events)

    def active() -> dict[int, int]:
        rows = query(
            settings,
            "SELECT window_minutes, visitors FROM delta.serving.live_active_visitors "
            f"WHERE site_id = '{site}'",
        )
        return {int(r[0]): int(r[1]) for r in rows}

    wait_for(lambda: active() == {5: 2, 30: 3}, 60, job)


def test_known_events_give_exact_counts_per_minute_and_dimension_late_ones_too(
    job: StreamingJob,
) -> None:
    settings = job.settings
    site = f"it-{uuid.uuid4().hex[:8]}"
    t0 = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(minutes=2)

    def at(minute: int, second: int) -> datetime:
        return t0 + timedelta(minutes=minute, seconds=second)

    on_time = [
        event(site, at(0, 5), "a", path="/", country="DE", browser="Firefox",
              device_type="desktop", referrer_class="search", properties={"session_start": "true"}),
        event(site, at(0, 20), "a", path="/pricing", country="DE", utm_source="news",
              utm_medium="email", utm_campaign="spring"),
        event(site, at(0, 40), "b", type="track", name="signup", country="FR"),
        event(site, at(1, 10), "b", path="/", country="FR", device_type="mobile",
              browser="Safari", properties={"session_start": "true"}),
        event(site, at(1, 30), "c", path="/", referrer_class="social", utm_source="news"),
        event(site, at(2, 50), "c", path="/docs", country="US"),
    ]  # fmt: skip
    repeats = [on_time[0], on_time[3]]  # a client retry: the same event_id again
    no_id = {**on_time[1], "event_id": None, "client_ts": at(0, 1).isoformat()}
    bad = ['{"not": json', to_json(no_id)]
    produce(settings, settings.kafka.events_topic, [*on_time, *repeats])
    produce_raw(settings, bad, site)

    wait_for(lambda: sum(trino_raw_ids(settings, site).values()) >= len(on_time), 60, job)
    wait_for(lambda: trino_metrics(settings, site) == expected_metrics(on_time), 60, job)

    # Received at(2, 50): at(1, 55) is late but within the 60 s watermark and counts in an
    # existing window; at(0, 30) is past it, so it is in raw only.
    arrived = at(2, 50).isoformat()
    late_within = event(site, at(1, 55), "d", path="/late", country="DE", received_at=arrived)
    too_late = event(site, at(0, 30), "e", path="/too-late", country="DE", received_at=arrived)
    # A record produced after them is read in their micro-batch or a later one (a batch reads
    # all that is on the topic, far below max_offsets_per_trigger), and batches are written
    # one after another: once its row is in live, theirs are written in full, so a wrong
    # update by the one past the watermark would show.
    after = event(f"{site}-after", at(2, 50), "f", received_at=arrived)
    produce(settings, settings.kafka.events_topic, [late_within, too_late])
    produce(settings, settings.kafka.events_topic, [after])
    wait_for(lambda: bool(trino_metrics(settings, after["site_id"])), 60, job)
    assert trino_metrics(settings, site) == expected_metrics([*on_time, late_within])
    assert trino_raw_ids(settings, site) == Counter(
        e["event_id"] for e in [*on_time, late_within, too_late]
    )

    bad_rows = query(
        settings,
        f"SELECT reason, detail FROM delta.raw.events_bad WHERE payload LIKE '%{site}%'",
    )
    assert sorted(bad_rows) == [("schema_violation", "breaks events.v1: event_id: required")]
    malformed = query(
        settings,
        "SELECT count(*) FROM delta.raw.events_bad WHERE reason = 'malformed' "
        f"AND payload = '{bad[0]}'",
    )
    assert malformed == [(1,)]
    by_reason = dict(
        (r[0], r[1])
        for r in query(
            settings,
            "SELECT reason, sum(bad_rows) FROM delta.serving.bad_rows_by_reason GROUP BY reason",
        )
    )
    assert by_reason["malformed"] >= 1
    assert by_reason["schema_violation"] >= 1

    if t0.date() == datetime.now(UTC).date():
        served = query(
            settings,
            "SELECT count(*), sum(events) FROM delta.serving.live_minute_metrics "
            f"WHERE site_id = '{site}' AND dimension = 'all'",
        )
        assert served == [(3, len(on_time) + 1)]
        daily = query(
            settings,
            "SELECT pageviews, events, visitors, new_sessions "
            f"FROM delta.serving.live_daily_metrics WHERE site_id = '{site}' AND dimension = 'all'",
        )
        assert daily == [(6, 7, 4, 2)]  # visitors a, b, c and d over the day


def to_json(record: dict[str, Any]) -> str:
    return json.dumps({k: v for k, v in record.items() if v is not None})


def test_every_stage_s_rejections_are_one_trino_query_away(
    job: StreamingJob, collector: Settings
) -> None:
    """Rejections of the collector (through its HTTP API) and of the stream (records any
    producer put on Kafka) land in raw.events_bad with their stage and reason."""
    import httpx

    settings = job.settings
    marker = uuid.uuid4().hex
    now = datetime.now(UTC)
    url = f"http://{collector.host}:{collector.ports.collector}/x/e"
    headers = {"content-type": "application/json", "user-agent": "Mozilla/5.0 Firefox/128.0"}

    def native(**fields: Any) -> dict[str, Any]:
        return {
            "event_id": str(uuid.uuid4()),
            "type": "track",
            "name": "signup",
            "site_id": "demo-shop",
            "client_ts": now.isoformat(),
            "properties": {"marker": marker},
            **fields,
        }

    sent = {
        "schema_violation": native(type="bogus"),
        "unknown_site": native(site_id="no-such-site"),
        "too_old": native(client_ts=(now - timedelta(days=5)).isoformat()),
    }
    for body in sent.values():
        answer = httpx.post(url, json=body, headers=headers, timeout=30)
        assert answer.status_code in (400, 404), answer.text
    # Past the collector: a producer of its own writes a url no collector would accept.
    too_long = {**event("demo-shop", now, "v-long"), "url": "https://shop.example/" + "x" * 3000}
    produce_raw(settings, [f"{{not json {marker}", to_json({**too_long, "title": marker})], "x")

    def landed() -> list[tuple[str, str]]:
        rows = query(
            settings,
            f"SELECT stage, reason FROM delta.raw.events_bad WHERE strpos(payload, '{marker}') > 0",
        )
        return sorted((str(r[0]), str(r[1])) for r in rows)

    expected = [
        ("collector.authorize", "unknown_site"),
        ("collector.check_clock", "too_old"),
        ("collector.validate", "schema_violation"),
        ("streaming.parse", "malformed"),
        ("streaming.parse", "schema_violation"),
    ]
    wait_for(lambda: landed() == expected, 60, job)
    (detail,) = query(
        settings,
        "SELECT detail FROM delta.raw.events_bad "
        f"WHERE strpos(payload, '{marker}') > 0 AND stage = 'streaming.parse' "
        "AND reason = 'schema_violation'",
    )
    assert detail == ("breaks events.v1: url: longer than 2048 characters",)
    counted = query(
        settings,
        "SELECT stage, reason, bad_rows FROM delta.serving.bad_rows_by_reason "
        "WHERE stage = 'collector.check_clock' AND reason = 'too_old'",
    )
    assert counted
    assert all(int(row[2]) >= 1 for row in counted)


def test_kill_9_mid_run_then_restart_keeps_every_event_once_and_live_equals_raw(
    job: StreamingJob, spark: SparkSession
) -> None:
    from pyspark.sql import functions as F

    from lakehouse.tables.raw import RAW_EVENTS
    from streaming.metrics import latest_versions, minute_metrics, on_time

    settings = job.settings
    site = f"it-{uuid.uuid4().hex[:8]}"
    t0 = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(minutes=10)
    countries, paths = ("DE", "FR", "US", None), ("/", "/a", "/b")
    sent = [
        event(
            site,
            t0 + timedelta(milliseconds=40 * i),
            f"v{i % 97}",
            path=paths[i % 3],
            country=countries[i % 4],
            type="page" if i % 5 else "track",
            properties={"session_start": "true"} if i % 11 == 0 else None,
        )
        for i in range(3000)
    ]

    def landed() -> int:
        return sum(trino_raw_ids(settings, site).values())

    killed = threading.Event()

    def send() -> None:
        """Half the events, the other half once the job is dead: it dies mid-run."""
        produce(settings, settings.kafka.events_topic, sent[: len(sent) // 2])
        killed.wait(300)
        produce(settings, settings.kafka.events_topic, sent[len(sent) // 2 :])

    sender = threading.Thread(target=send)
    sender.start()
    try:
        # The first rows in raw: their micro-batch may still be merging them into live.
        wait_for(lambda: 0 < landed() < len(sent), 60, job, poll_s=0.1)
        job.kill()
    finally:
        killed.set()
    assert 0 < landed() < len(sent)
    sender.join()
    job.start()

    wait_for(lambda: landed() >= len(sent), 120, job)
    ids = trino_raw_ids(settings, site)
    assert set(ids) == {e["event_id"] for e in sent}
    assert set(ids.values()) == {1}

    # Every event is in raw: the live rows must equal a recomputation from raw.events with
    # the same transforms, and the plain-Python counts.
    wait_for(lambda: trino_metrics(settings, site) == expected_metrics(sent), 60, job)

    def table(name: str) -> Any:
        return spark.read.format("delta").load(settings.table_location(name))

    keys = ["minute", "dimension", "value"]
    measures = ["pageviews", "events", "unique_visitors", "new_sessions"]
    live = latest_versions(
        table(LIVE_MINUTE_METRICS.relative_path).where(F.col("site_id") == site), MINUTE_KEY
    )
    raw = table(RAW_EVENTS.relative_path).where(F.col("site_id") == site)
    recomputed = minute_metrics(on_time(raw, settings.streaming.watermark_s))
    live_rows = {tuple(r) for r in live.select(*keys, *measures).collect()}
    recomputed_rows = {tuple(r) for r in recomputed.select(*keys, *measures).collect()}
    assert live_rows == recomputed_rows
    assert len(live_rows) > 3 * len(METRIC_DIMENSIONS)

    assert job.terminate() == 0  # SIGTERM: the current batch finishes, then a clean stop
    assert "streaming: stopped" in job.last_lines()
