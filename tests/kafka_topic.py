"""Reading a Kafka topic from the start in tests: the records as parsed JSON."""

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
