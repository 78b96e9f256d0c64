"""Parsing Kafka records into events.v1 rows and bad rows, on tiny DataFrames."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from lakehouse.tables.raw import RAW_EVENTS, RAW_EVENTS_BAD
from streaming.parse import bad_rows, parse_records, raw_events

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

KAFKA_TS = datetime(2026, 3, 1, 12, 0, 5, tzinfo=UTC)
EVENTS_TOPIC, BAD_TOPIC = "events.v1", "events.bad"


def event(**fields: Any) -> dict[str, Any]:
    base = {
        "event_id": "e-1",
        "type": "page",
        "name": "pageview",
        "site_id": "demo-shop",
        "client_ts": "2026-03-01T23:59:58+00:00",
        "received_at": "2026-03-02T00:00:01+00:00",
        "protocol": "native",
        "visitor_id": "v-1",
        "path": "/pricing",
        "properties": {"plan": "pro"},
        "screen_width": 1280,
    }
    return {**base, **fields}


def records(
    spark: SparkSession, values: Sequence[str | None], topic: str = EVENTS_TOPIC
) -> DataFrame:
    rows = [(v, topic, 0, offset, KAFKA_TS) for offset, v in enumerate(values)]
    schema = "value string, topic string, partition int, offset long, kafka_ts timestamp"
    return spark.createDataFrame(rows, schema)


def test_a_valid_event_becomes_a_raw_row_dated_by_its_client_time(
    spark: SparkSession,
) -> None:
    parsed = parse_records(records(spark, [json.dumps(event())]), BAD_TOPIC)
    (row,) = raw_events(parsed).collect()
    assert tuple(row.asDict()) == RAW_EVENTS.column_names
    assert row.event_id == "e-1"
    assert row.properties == {"plan": "pro"}
    assert row.event_date == date(2026, 3, 1)
    assert row.client_ts == datetime(2026, 3, 1, 23, 59, 58)
    assert bad_rows(parsed).count() == 0
    assert parsed.select("dedupe_key").first() == ("e-1",)
    # A good event is its parsed fields: its JSON text is not carried further.
    assert parsed.select("value").first() == (None,)


def test_each_kind_of_bad_record_gets_its_reason_and_keeps_its_payload(
    spark: SparkSession,
) -> None:
    values = [
        "not json",
        "[1, 2]",
        None,
        json.dumps(event(screen_width="wide")),
        json.dumps({k: v for k, v in event().items() if k not in ("event_id", "visitor_id")}),
        json.dumps(event(type="pageview")),
    ]
    parsed = parse_records(records(spark, values), BAD_TOPIC)
    assert raw_events(parsed).count() == 0
    bad = {row.payload: row for row in bad_rows(parsed).collect()}
    assert tuple(next(iter(bad.values())).asDict()) == RAW_EVENTS_BAD.column_names
    assert bad["not json"].reason == "malformed"
    assert bad["[1, 2]"].reason == "malformed"
    assert bad[""].reason == "malformed"
    assert bad[""].detail == "empty Kafka record value"
    wrong_type = bad[values[3] or ""]
    assert wrong_type.reason == "schema_violation"
    assert "wrong type" in (wrong_type.detail or "")
    missing = bad[values[4] or ""]
    assert missing.reason == "schema_violation"
    assert missing.detail == "breaks events.v1: event_id: required; visitor_id: required"
    assert missing.site_id == "demo-shop"
    assert missing.protocol == "native"
    assert missing.received_at == datetime(2026, 3, 2, 0, 0, 1)
    assert missing.bad_date == date(2026, 3, 2)
    choice = bad[values[5] or ""]
    assert choice.detail == "breaks events.v1: type: not one of page, screen, track, identify"
    unparseable = bad["not json"]
    assert unparseable.received_at == KAFKA_TS.replace(tzinfo=None)
    assert all(row.stage == "streaming.parse" for row in bad.values())


def test_bad_ids_are_stable_and_dedupe_keys_distinct_per_offset(
    spark: SparkSession,
) -> None:
    frame = records(spark, ["x", "y"])
    parsed = parse_records(frame, BAD_TOPIC)
    first = [r.bad_id for r in bad_rows(parsed).orderBy("payload").collect()]
    again = [
        r.bad_id for r in bad_rows(parse_records(frame, BAD_TOPIC)).orderBy("payload").collect()
    ]
    assert first == again
    assert len(set(first)) == 2
    assert len(first[0]) == 36
    keys = {r.dedupe_key for r in parsed.collect()}
    assert keys == {"kafka:events.v1:0:0", "kafka:events.v1:0:1"}


def test_every_rule_of_the_contract_is_enforced_on_kafka_records(
    spark: SparkSession,
) -> None:
    breaking = {
        "url": event(url="https://shop.example/" + "x" * 2048),
        "protocol": event(protocol="carrier-pigeon"),
        "screen": event(screen_width=100_001),
        "empty": event(event_id=""),
        "properties": event(properties={f"k{n}": "v" for n in range(65)}),
        "value": event(properties={"long": "v" * 1025}),
        "scheme": event(url="javascript:alert(1)"),
    }
    values = [json.dumps(v) for v in breaking.values()]
    parsed = parse_records(records(spark, values), BAD_TOPIC)
    assert raw_events(parsed).count() == 0
    detail = {row.payload: row.detail for row in bad_rows(parsed).collect()}
    by_case = {case: detail[json.dumps(v)] for case, v in breaking.items()}
    assert by_case == {
        "url": "breaks events.v1: url: longer than 2048 characters",
        "protocol": "breaks events.v1: protocol: not one of native, segment, snowplow, ga4,"
        " plausible",
        "screen": "breaks events.v1: screen_width: not between 0 and 100000",
        "empty": "breaks events.v1: event_id: must not be empty",
        "properties": "breaks events.v1: properties: over 64 entries",
        "value": "breaks events.v1: properties: a value longer than 1024 characters",
        "scheme": "breaks events.v1: url: does not match (?i)^https?://",
    }


def collector_bad_row(**fields: Any) -> dict[str, Any]:
    base = {
        "bad_id": "0b6f1a52-4c1e-4a43-9d1e-8a3f0c1d2e3f",
        "stage": "collector.validate",
        "reason": "schema_violation",
        "detail": "url: String should have at most 2048 characters",
        "payload": '{"url": "..."}',
        "protocol": "segment",
        "site_id": "demo-shop",
        "received_at": "2026-03-02T00:00:01Z",
    }
    return {**base, **fields}


def test_a_collector_bad_row_is_appended_as_it_was_recorded(spark: SparkSession) -> None:
    values = [json.dumps(collector_bad_row())]
    parsed = parse_records(records(spark, values, BAD_TOPIC), BAD_TOPIC)
    assert raw_events(parsed).count() == 0
    (row,) = bad_rows(parsed).collect()
    assert row.asDict() == {
        **collector_bad_row(),
        "received_at": datetime(2026, 3, 2, 0, 0, 1),
        "bad_date": date(2026, 3, 2),
    }
    # Deduplicated by its own id (a spool replay sends the same record again).
    assert parsed.select("dedupe_key", "value").first() == (collector_bad_row()["bad_id"], None)


def test_a_broken_record_of_the_bad_row_topic_is_a_bad_row_of_the_stream(
    spark: SparkSession,
) -> None:
    values = [
        "{oops",
        json.dumps(collector_bad_row(stage="elsewhere")),
        json.dumps({k: v for k, v in collector_bad_row().items() if k != "payload"}),
    ]
    parsed = parse_records(records(spark, values, BAD_TOPIC), BAD_TOPIC)
    rows = {row.payload: row for row in bad_rows(parsed).collect()}
    assert {row.stage for row in rows.values()} == {"streaming.parse"}
    assert rows["{oops"].reason == "malformed"
    assert rows[values[1]].detail == "breaks the bad-row contract: stage: not a known stage"
    assert rows[values[2]].detail == "breaks the bad-row contract: payload: required"
    assert rows[values[2]].site_id == "demo-shop"
