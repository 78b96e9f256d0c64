"""Reading a Kafka topic to its end in tests, to count what landed: a record sent twice shows
as two, which reading until the wanted records have arrived would not show."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from lakehouse.settings import Settings

DEADLINE_S = 30.0


def read_to_end(
    settings: Settings,
    topic: str,
    keep: Callable[[dict[str, Any]], bool],
    complete: Callable[[list[dict[str, Any]]], bool],
    deadline_s: float = DEADLINE_S,
) -> list[dict[str, Any]]:
    """The records of ``topic`` (as JSON) that ``keep`` accepts, from the beginning to the end
    of the topic; read again, to its new end, until ``complete`` says all have arrived or the
    deadline passes (a record spooled while Kafka was slow arrives late)."""
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap, enable_auto_commit=False, group_id=None
    )
    end_by = time.monotonic() + deadline_s
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        kept: list[dict[str, Any]] = []

        def poll() -> None:
            for records in consumer.poll(timeout_ms=500).values():
                values = (json.loads(record.value) for record in records)
                kept.extend(value for value in values if keep(value))

        while True:
            ends = consumer.end_offsets(partitions)
            while any(consumer.position(p) < ends[p] for p in partitions):
                if time.monotonic() > end_by:
                    raise TimeoutError(f"{topic} not read to its end in {deadline_s} s")
                poll()
            if complete(kept) or time.monotonic() > end_by:
                return kept
            poll()  # waits for records that are still on their way
    finally:
        consumer.close()
