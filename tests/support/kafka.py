"""Kafka topics in tests: producing events (as the collector keys them) or raw record
values, and reading a topic from the start as parsed JSON."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lakehouse.settings import Settings


@dataclass(frozen=True)
class Message:
    key: bytes | None
    value: dict[str, Any]
    timestamp_ms: int


def produce(settings: Settings, topic: str, events: list[dict[str, Any]]) -> None:
    """``events`` as JSON records keyed ``site_id:visitor_id``, as the collector keys them,
    acknowledged by the broker before this returns."""
    from kafka import KafkaProducer

    producer = KafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap,
        acks="all",
        enable_idempotence=True,
        key_serializer=str.encode,
        value_serializer=lambda value: json.dumps(value).encode(),
    )
    for event in events:
        producer.send(topic, key=f"{event['site_id']}:{event['visitor_id']}", value=event)
    producer.flush(timeout=30)
    producer.close()


def produce_raw(settings: Settings, values: list[str], key: str, topic: str | None = None) -> None:
    """Record values as they are (not JSON, perhaps), on the events topic by default."""
    from kafka import KafkaProducer

    producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all")
    for value in values:
        producer.send(topic or settings.kafka.events_topic, key=key.encode(), value=value.encode())
    producer.flush(timeout=30)
    producer.close()


def consume(
    settings: Settings,
    topic: str,
    done: Callable[[list[Message]], bool],
    keep: Callable[[Message], bool] = lambda message: True,
    timeout_ms: int = 15_000,
) -> list[Message]:
    """Messages of ``topic`` that ``keep`` accepts, read from the beginning until ``done``
    says so or no message came for ``timeout_ms``."""
    from kafka import KafkaConsumer

    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=settings.kafka_bootstrap,
        auto_offset_reset="earliest",
        consumer_timeout_ms=timeout_ms,
    )
    kept: list[Message] = []
    try:
        for record in consumer:
            message = Message(record.key, json.loads(record.value), record.timestamp)
            if keep(message):
                kept.append(message)
                if done(kept):
                    break
    finally:
        consumer.close()
    return kept


def events_by_id(
    settings: Settings, wanted: set[str], topic: str | None = None
) -> dict[str, Message]:
    """The messages whose event_id is wanted, by event_id, once all have arrived."""
    found = consume(
        settings,
        topic or settings.kafka.events_topic,
        done=lambda kept: {m.value["event_id"] for m in kept} >= wanted,
        keep=lambda message: message.value.get("event_id") in wanted,
    )
    return {message.value["event_id"]: message for message in found}
