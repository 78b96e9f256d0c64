"""Parsed micro-batches as the streaming job's writer receives them, built from JSON events
at known Kafka offsets."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from streaming.parse import parse_records

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

BAD_TOPIC = "events.bad"


def micro_batch(spark: SparkSession, first: int, count: int) -> DataFrame:
    """Events ``first`` .. ``first + count - 1`` (one visitor each) at Kafka offsets of the
    same numbers, and a record that is not JSON after them."""
    now = datetime.now(UTC).replace(microsecond=0)
    values = [
        json.dumps(
            {
                "event_id": f"e-{first + i}",
                "type": "page",
                "name": "pageview",
                "site_id": "rerun-site",
                "client_ts": (now - timedelta(seconds=5)).isoformat(),
                "received_at": now.isoformat(),
                "protocol": "native",
                "visitor_id": f"v-{first + i}",
                "path": "/",
            }
        )
        for i in range(count)
    ]
    rows = [(v, "events.v1", 0, first + i, now) for i, v in enumerate([*values, "not json"])]
    schema = "value string, topic string, partition int, offset long, kafka_ts timestamp"
    return parse_records(spark.createDataFrame(rows, schema), BAD_TOPIC)
