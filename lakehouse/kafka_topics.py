"""The topics' retention, defined once: the configs the broker creates events.v1 and
events.bad with, and how long a record received at a moment may stay in Kafka (what an
erasure's audit row states)."""

from __future__ import annotations

from datetime import timedelta

from lakehouse.settings import Settings

RETENTION_CHECK_MS = 5 * 60 * 1000
"""How often the broker deletes expired segments (its ``log.retention.check.interval.ms``)."""


def topic_configs(settings: Settings) -> dict[str, str]:
    """The configs events.v1 and events.bad are created with: records kept
    ``kafka.retention_hours``, in segments that roll every ``kafka.segment_hours`` (a segment
    is deleted whole, once its newest record is past the retention, so a record is gone at
    most a segment and a retention check after it expired)."""
    return {
        "retention.ms": str(round(settings.kafka.retention_hours * 3_600_000)),
        "segment.ms": str(round(settings.kafka.segment_hours * 3_600_000)),
        "cleanup.policy": "delete",
    }


def record_expiry(settings: Settings) -> timedelta:
    """The longest a record received at t stays in Kafka: until t + this."""
    hours = settings.kafka.retention_hours + settings.kafka.segment_hours
    return timedelta(hours=hours, milliseconds=RETENTION_CHECK_MS)
