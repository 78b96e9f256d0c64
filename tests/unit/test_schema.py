from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from lakehouse.columns import Column, ColumnType, Table
from lakehouse.schema import (
    CLIENT_FIELDS,
    EVENT_FIELDS,
    ClientEventV1,
    EventV1,
    Origin,
)
from lakehouse.tables import ALL_TABLES
from lakehouse.tables.raw import RAW_EVENTS


def client_event(**changes: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "event_id": "5f0c7c9e-4a55-4c07-9d0a-4b8f3f1d2a10",
        "type": "page",
        "name": "pageview",
        "site_id": "docs-site",
        "anonymous_id": "v-123",
        "client_ts": "2026-11-25T10:00:00Z",
        "url": "https://docs.example/guide?utm_source=news",
        "path": "/guide",
        "properties": {"plan": "pro"},
    }
    event.update(changes)
    return event


def test_a_good_client_event_validates() -> None:
    parsed = ClientEventV1.model_validate(client_event())
    assert parsed.model_dump()["client_ts"] == datetime(2026, 11, 25, 10, tzinfo=UTC)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"event_id": None}, "event_id"),
        ({"site_id": ""}, "site_id"),
        ({"type": "click"}, "type"),
        ({"client_ts": "yesterday"}, "client_ts"),
        ({"screen_width": "wide"}, "screen_width"),
        ({"url": "https://x/" + "a" * 3000}, "url"),
        ({"properties": {str(i): "v" for i in range(65)}}, "properties"),
        ({"properties": {"nested": {"a": 1}}}, "properties"),
        ({"ip": "1.2.3.4"}, "ip"),
    ],
)
def test_a_bad_client_event_names_the_field(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as raised:
        ClientEventV1.model_validate(client_event(**changes))
    assert field in {str(e["loc"][0]) for e in raised.value.errors()}


def test_clients_cannot_set_enrichments() -> None:
    with pytest.raises(ValidationError):
        ClientEventV1.model_validate(client_event(country="DE"))


def test_the_kafka_record_requires_collector_fields() -> None:
    with pytest.raises(ValidationError) as raised:
        EventV1.model_validate(client_event())
    missing = {str(e["loc"][0]) for e in raised.value.errors()}
    assert missing == {"received_at", "protocol", "visitor_id"}


def test_no_raw_ip_in_the_contract() -> None:
    names = {f.name for f in EVENT_FIELDS}
    assert not names & {"ip", "ip_address", "client_ip"}


def test_client_fields_are_the_client_origin_fields() -> None:
    assert all(f.origin is Origin.CLIENT for f in CLIENT_FIELDS)
    assert set(ClientEventV1.model_fields) == {f.name for f in CLIENT_FIELDS}
    assert set(EventV1.model_fields) == {f.name for f in EVENT_FIELDS}


def test_spark_schema_derives_from_the_fields() -> None:
    struct = RAW_EVENTS.spark_schema()
    assert [f.name for f in struct.fields] == [*(f.name for f in EVENT_FIELDS), "event_date"]
    by_name = {f.name: f for f in struct.fields}
    assert by_name["client_ts"].dataType.simpleString() == "timestamp"
    assert by_name["properties"].dataType.simpleString() == "map<string,string>"
    assert by_name["event_id"].nullable is False
    assert by_name["user_id"].nullable is True


def test_delta_and_trino_ddl_list_every_column_with_its_type() -> None:
    delta = RAW_EVENTS.delta_ddl("/lake/raw/events")
    trino = RAW_EVENTS.trino_ddl("delta", "local:///raw/events")
    for column in RAW_EVENTS.columns:
        assert f"  {column.name} {column.type.delta_sql}" in delta
        assert f"  {column.name} {column.type.trino_sql}" in trino
    assert delta.startswith("CREATE TABLE IF NOT EXISTS delta.`/lake/raw/events`")
    assert "PARTITIONED BY (event_date)" in delta
    assert "partitioned_by = ARRAY['event_date']" in trino
    assert "location = 'local:///raw/events'" in trino
    listed = ", ".join(f"'{key}' = '{value}'" for key, value in RAW_EVENTS.properties)
    assert delta.endswith(f"\nTBLPROPERTIES ({listed})")


def test_comments_are_quoted_safely() -> None:
    quoted = Table(
        "raw",
        "notes",
        (Column("note", ColumnType.STRING, comment="the visitor's own words"),),
        comment="what's said",
    )
    comment = "COMMENT 'the visitor''s own words'"
    assert f"note STRING {comment}" in quoted.delta_ddl("/x")
    assert f"note varchar {comment}" in quoted.trino_ddl("delta", "local:///x")
    assert "\nCOMMENT 'what''s said'" in quoted.delta_ddl("/x")


def test_every_table_has_a_name_of_its_own() -> None:
    names = [t.qualified_name for t in ALL_TABLES]
    assert len(names) == len(set(names))


def test_a_table_repeating_a_column_or_partitioned_by_an_unknown_one_is_refused() -> None:
    note = Column("note", ColumnType.STRING)
    with pytest.raises(ValueError, match=r"raw\.notes repeats a column name"):
        Table("raw", "notes", (note, note))
    with pytest.raises(ValueError, match=r"raw\.notes partitions by unknown \['day'\]"):
        Table("raw", "notes", (note,), partitioned_by=("day",))


def test_every_column_type_maps_to_every_engine() -> None:
    for column_type in ColumnType:
        assert column_type.delta_sql
        assert column_type.trino_sql
        assert column_type.spark().simpleString()
