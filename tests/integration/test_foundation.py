"""The foundation against real services: Kafka, Spark + Delta with the Kafka connector, Trino."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from lakehouse.provision import TableLayoutMismatch, create_delta_tables, register_in_trino
from lakehouse.schema import EventV1, event_spark_schema
from lakehouse.settings import Settings
from lakehouse.tables import FOUNDATION_TABLES
from lakehouse.tables.live import LIVE_MINUTE_METRICS
from lakehouse.tables.raw import RAW_EVENTS
from lakehouse.trino_sql import query
from tests.support.kafka import consume, produce

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def kafka_event(index: int, now: datetime) -> dict[str, Any]:
    event = {
        "event_id": str(uuid.uuid4()),
        "type": "page" if index % 3 else "track",
        "name": "pageview" if index % 3 else "signup",
        "site_id": f"site-{index % 2}",
        "anonymous_id": f"visitor-{index}",
        "client_ts": (now - timedelta(minutes=index)).isoformat(),
        "path": f"/page/{index}",
        "properties": {"position": str(index)},
        "screen_width": 1280 + index,
        "received_at": now.isoformat(),
        "protocol": "native",
        "visitor_id": f"visitor-{index}",
        "is_bot": index == 4,
        "country": "DE",
    }
    return EventV1.model_validate(event).model_dump(mode="json", exclude_none=True)


def test_topics_exist_with_the_configured_partitions(kafka: Settings) -> None:
    from kafka import KafkaConsumer

    consumer = KafkaConsumer(bootstrap_servers=kafka.kafka_bootstrap)
    try:
        for topic in (kafka.kafka.events_topic, kafka.kafka.bad_topic):
            assert consumer.partitions_for_topic(topic) == set(range(kafka.kafka.partitions))
    finally:
        consumer.close()


def test_produce_and_read_back(kafka: Settings) -> None:
    from kafka import KafkaAdminClient
    from kafka.admin import NewTopic

    topic = f"roundtrip-{uuid.uuid4().hex[:8]}"  # its own topic: events.* carry contracts
    admin = KafkaAdminClient(bootstrap_servers=kafka.kafka_bootstrap)
    try:
        admin.create_topics([NewTopic(topic, num_partitions=2, replication_factor=1)])
    finally:
        admin.close()
    sent = [{"n": n, "id": str(uuid.uuid4()), "site_id": "s", "visitor_id": "v"} for n in range(25)]
    produce(kafka, topic, sent)
    received = consume(kafka, topic, done=lambda kept: len(kept) == len(sent))
    assert sorted(m.value["n"] for m in received) == list(range(25))
    assert {m.value["id"] for m in received} == {e["id"] for e in sent}


def test_tables_init_is_idempotent_and_trino_types_match_the_schema(
    spark: SparkSession, trino: Settings
) -> None:
    messages: list[str] = []
    create_delta_tables(spark, trino, FOUNDATION_TABLES, messages.append)
    register_in_trino(trino, FOUNDATION_TABLES, messages.append)
    again_created = create_delta_tables(spark, trino, FOUNDATION_TABLES, messages.append)
    again_registered = register_in_trino(trino, FOUNDATION_TABLES, messages.append)
    assert again_created == []
    assert again_registered == []
    for table in FOUNDATION_TABLES:
        described = query(trino, f"DESCRIBE delta.{table.qualified_name}")
        assert [(row[0], row[1]) for row in described] == [
            (c.name, c.type.trino_sql) for c in table.columns
        ]


def test_an_existing_table_with_another_layout_is_named_not_written(
    spark: SparkSession, tmp_path: Path
) -> None:
    """A table created by an older definition (here: live.minute_metrics partitioned by date
    alone) stops the start with a message naming both layouts."""
    from dataclasses import replace

    settings = Settings(state_dir=tmp_path)
    older = replace(LIVE_MINUTE_METRICS, partitioned_by=("event_date",))
    create_delta_tables(spark, settings, [older], lambda _: None)
    with pytest.raises(TableLayoutMismatch) as raised:
        create_delta_tables(spark, settings, [LIVE_MINUTE_METRICS], lambda _: None)
    assert "live.minute_metrics" in str(raised.value)
    assert "partitioned by ['event_date']" in str(raised.value)
    assert "partitioned by ['event_date', 'event_hour']" in str(raised.value)
    assert create_delta_tables(spark, settings, [older], lambda _: None) == []


@pytest.mark.usefixtures("kafka")
def test_kafka_to_delta_through_spark_then_trino_reads_the_same_rows(
    spark: SparkSession, trino: Settings
) -> None:
    from pyspark.sql import functions as F

    create_delta_tables(spark, trino, [RAW_EVENTS], lambda _: None)
    register_in_trino(trino, [RAW_EVENTS], lambda _: None)
    now = datetime.now(UTC).replace(microsecond=0)
    events = [kafka_event(i, now) for i in range(12)]
    produce(trino, trino.kafka.events_topic, events)

    rows = (
        spark.read.format("kafka")
        .option("kafka.bootstrap.servers", trino.kafka_bootstrap)
        .option("subscribe", trino.kafka.events_topic)
        .option("startingOffsets", "earliest")
        .load()
        .select(F.from_json(F.col("value").cast("string"), event_spark_schema()).alias("e"))
        .select("e.*")
        .withColumn("event_date", F.to_date("client_ts"))
        .where(F.col("event_id").isin([e["event_id"] for e in events]))
    )
    assert rows.count() == len(events)
    rows.write.format("delta").mode("append").save(trino.table_location(RAW_EVENTS.relative_path))

    ids = ", ".join(f"'{e['event_id']}'" for e in events)
    found = query(
        trino,
        "SELECT event_id, type, site_id, path, properties['position'], screen_width, is_bot, "
        f"country, client_ts FROM delta.raw.events WHERE event_id IN ({ids})",
    )
    expected = {
        (
            e["event_id"],
            e["type"],
            e["site_id"],
            e["path"],
            e["properties"]["position"],
            e["screen_width"],
            e["is_bot"],
            e["country"],
            datetime.fromisoformat(e["client_ts"]),
        )
        for e in events
    }
    assert {tuple(row) for row in found} == expected
