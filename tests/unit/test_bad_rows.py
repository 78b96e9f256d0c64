"""The one bad-row contract: what the collector puts on Kafka is what raw.events_bad holds."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import orjson

from lakehouse.bad_rows import BAD_ROW_COLUMNS, BadReason, BadRow, Stage
from lakehouse.tables.raw import RAW_EVENTS_BAD

RECEIVED = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


def test_a_record_carries_exactly_the_columns_of_raw_events_bad_but_its_partition() -> None:
    row = BadRow.build(
        Stage.COLLECTOR_VALIDATE, BadReason.TOO_OLD, "client_ts: too old", {"a": 1}, RECEIVED
    )
    assert tuple(row.record()) == tuple(c.name for c in BAD_ROW_COLUMNS)
    assert RAW_EVENTS_BAD.column_names == (*row.record(), *RAW_EVENTS_BAD.partitioned_by)


def test_build_keeps_text_as_received_and_data_as_json() -> None:
    text = BadRow.build(Stage.COLLECTOR_PARSE, BadReason.MALFORMED, "x", "{not json", RECEIVED)
    data = BadRow.build(Stage.COLLECTOR_PARSE, BadReason.MALFORMED, "x", {"n": 2**70}, RECEIVED)
    assert text.payload == "{not json"
    assert json.loads(data.payload) == {"n": 2**70}
    assert text.bad_id != data.bad_id


def test_a_record_serialises_with_its_stage_reason_and_utc_time() -> None:
    row = BadRow.build(
        Stage.STREAMING_PARSE,
        BadReason.SCHEMA_VIOLATION,
        "url: too long",
        "{}",
        RECEIVED,
        protocol="native",
        site_id="demo-shop",
    )
    decoded = json.loads(orjson.dumps(row.record(), option=orjson.OPT_UTC_Z))
    assert decoded["stage"] == "streaming.parse"
    assert decoded["reason"] == "schema_violation"
    assert decoded["received_at"] == "2026-12-01T09:30:00Z"
    assert decoded["site_id"] == "demo-shop"
