"""Parsing Kafka records into events.v1 rows and bad rows, on tiny DataFrames."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from lakehouse.tables.raw import RAW_EVENTS, RAW_EVENTS_BAD
from streaming.parse import bad_rows, parse_records, raw_events

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

KAFKA_TS = datetime(2026, 3, 1, 12, 0, 5, tzinfo=UTC)


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


def records(spark: SparkSession, values: list[str | None]) -> DataFrame:
    rows = [(v, "events.v1", 0, offset, KAFKA_TS) for offset, v in enumerate(values)]
    schema = "value string, topic string, partition int, offset long, kafka_ts timestamp"
    return spark.createDataFrame(rows, schema)


def test_a_valid_event_becomes_a_raw_row_dated_by_its_client_time(
    local_spark: SparkSession,
) -> None:
    parsed = parse_records(records(local_spark, [json.dumps(event())]))
    (row,) = raw_events(parsed).collect()
    assert tuple(row.asDict()) == RAW_EVENTS.column_names
    assert row.event_id == "e-1" and row.properties == {"plan": "pro"}
    assert row.event_date == date(2026, 3, 1)
    assert row.client_ts == datetime(2026, 3, 1, 23, 59, 58)
    assert bad_rows(parsed).count() == 0
    assert parsed.select("dedupe_key").first() == ("e-1",)
    # A good event is its parsed fields: its JSON text is not carried further.
    assert parsed.select("value").first() == (None,)


def test_each_kind_of_bad_record_gets_its_reason_and_keeps_its_payload(
    local_spark: SparkSession,
) -> None:
    values = [
        "not json",
        "[1, 2]",
        None,
        json.dumps(event(screen_width="wide")),
        json.dumps({k: v for k, v in event().items() if k not in ("event_id", "visitor_id")}),
        json.dumps(event(type="pageview")),
    ]
    parsed = parse_records(records(local_spark, values))
    assert raw_events(parsed).count() == 0
    bad = {row.payload: row for row in bad_rows(parsed).collect()}
    assert tuple(next(iter(bad.values())).asDict()) == RAW_EVENTS_BAD.column_names
    assert bad["not json"].reason == "malformed"
    assert bad["[1, 2]"].reason == "malformed"
    assert bad[""].reason == "malformed" and bad[""].detail == "empty Kafka record value"
    wrong_type = bad[values[3] or ""]
    assert wrong_type.reason == "schema_violation" and "wrong type" in (wrong_type.detail or "")
    missing = bad[values[4] or ""]
    assert missing.reason == "schema_violation"
    assert missing.detail == "missing required: event_id, visitor_id"
    assert missing.site_id == "demo-shop" and missing.protocol == "native"
    assert missing.received_at == datetime(2026, 3, 2, 0, 0, 1)
    assert missing.bad_date == date(2026, 3, 2)
    choice = bad[values[5] or ""]
    assert choice.detail == "not an allowed value: type=pageview"
    unparseable = bad["not json"]
    assert unparseable.received_at == KAFKA_TS.replace(tzinfo=None)
    assert all(row.stage == "streaming.parse" for row in bad.values())


def test_bad_ids_are_stable_and_dedupe_keys_distinct_per_offset(
    local_spark: SparkSession,
) -> None:
    frame = records(local_spark, ["x", "y"])
    first = [r.bad_id for r in bad_rows(parse_records(frame)).orderBy("payload").collect()]
    again = [r.bad_id for r in bad_rows(parse_records(frame)).orderBy("payload").collect()]
    assert first == again and len(set(first)) == 2 and len(first[0]) == 36
    keys = {r.dedupe_key for r in parse_records(frame).collect()}
    assert keys == {"kafka:events.v1:0:0", "kafka:events.v1:0:1"}
