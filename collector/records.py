"""The Kafka records the collector writes: a good event to ``events.v1``, keyed by site and
visitor (a visitor's events stay in order on one partition), and a bad row to ``events.bad``,
keyed by site."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from lakehouse.bad_rows import BadRow


@dataclass(frozen=True)
class Record:
    """One Kafka record: topic, key and the value bytes (JSON)."""

    topic: str
    key: bytes
    value: bytes


def event_record(event: dict[str, Any], topic: str) -> Record:
    key = f"{event['site_id']}:{event['visitor_id']}".encode()
    return Record(topic, key, orjson.dumps(event, option=orjson.OPT_UTC_Z))


def bad_record(row: BadRow, topic: str) -> Record:
    return Record(
        topic, (row.site_id or "-").encode(), orjson.dumps(row.record(), option=orjson.OPT_UTC_Z)
    )
