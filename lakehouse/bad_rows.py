"""The bad-row contract, defined once: where input was rejected (a :class:`Stage`), why (a
typed :class:`BadReason`) and what it was (the original payload, as text).

Every stage that rejects something builds a :class:`BadRow` with :meth:`BadRow.build`: the
collector sends it to Kafka ``events.bad`` as :meth:`BadRow.record`, the streaming job appends
those records and its own parse failures to ``raw.events_bad``, whose columns are
:data:`BAD_ROW_COLUMNS` (see :mod:`lakehouse.tables.raw`). The batch and data-quality stages
write theirs the same way.
"""

from __future__ import annotations

import enum
import json
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from lakehouse.columns import Column, ColumnType, spark_struct

if TYPE_CHECKING:
    from pyspark.sql.types import StructType


class Stage(enum.StrEnum):
    """Where a bad row was made: a collector step, the streaming parse, a batch job, a check."""

    COLLECTOR_PARSE = "collector.parse"
    COLLECTOR_AUTHORIZE = "collector.authorize"
    COLLECTOR_VALIDATE = "collector.validate"
    COLLECTOR_CHECK_CLOCK = "collector.check_clock"
    COLLECTOR_ENRICH = "collector.enrich"
    COLLECTOR_ROUTE = "collector.route"
    STREAMING_PARSE = "streaming.parse"
    BATCH = "batch"
    DATA_QUALITY = "data_quality"


class BadReason(enum.StrEnum):
    """Why input was rejected; stable names, counted in /metrics and stored in events_bad."""

    MALFORMED = "malformed"  # not parseable (JSON syntax, encoding, form fields)
    SCHEMA_VIOLATION = "schema_violation"  # parseable but not a valid events.v1 event
    UNSUPPORTED = "unsupported"  # a valid message of the protocol that beacon does not map
    UNKNOWN_SITE = "unknown_site"
    BAD_WRITE_KEY = "bad_write_key"
    ORIGIN_NOT_ALLOWED = "origin_not_allowed"
    TOO_LARGE = "too_large"  # body or message over its size limit
    TOO_MANY_EVENTS = "too_many_events"  # batch over the events-per-batch limit
    TOO_OLD = "too_old"  # client timestamp older than the allowed age
    DUPLICATE = "duplicate"


STR, TS = ColumnType.STRING, ColumnType.TIMESTAMP

BAD_ROW_COLUMNS: tuple[Column, ...] = (
    Column("bad_id", STR, False, "UUID of this bad row"),
    Column("stage", STR, False, "where it was rejected: " + " | ".join(Stage)),
    Column("reason", STR, False, "typed reason, e.g. schema_violation, too_old"),
    Column("detail", STR, True, "human-readable explanation: the field and the rule"),
    Column("payload", STR, False, "the original input, as received"),
    Column("protocol", STR, True, "wire format it arrived in"),
    Column("site_id", STR, True),
    Column("received_at", TS, False, "when the input arrived"),
)
"""A bad row's fields: the JSON of an ``events.bad`` record, and raw.events_bad's columns
(which add the partition, ``bad_date``)."""


@dataclass(frozen=True)
class BadRow:
    """One rejection, as every stage records it."""

    stage: Stage
    reason: BadReason
    detail: str
    payload: str
    """The original input (a whole body, or the one offending item), as text."""
    received_at: datetime
    protocol: str | None = None
    site_id: str | None = None
    bad_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    @classmethod
    def build(
        cls,
        stage: Stage,
        reason: BadReason,
        detail: str,
        payload: Any,
        received_at: datetime,
        protocol: str | None = None,
        site_id: str | None = None,
    ) -> BadRow:
        """A bad row; ``payload`` is the offending input, as text or as data."""
        return cls(stage, reason, detail, payload_text(payload), received_at, protocol, site_id)

    def record(self) -> dict[str, Any]:
        """The row as the JSON object of an ``events.bad`` record (:data:`BAD_ROW_COLUMNS`)."""
        return {
            "bad_id": self.bad_id,
            "stage": self.stage.value,
            "reason": self.reason.value,
            "detail": self.detail,
            "payload": self.payload,
            "protocol": self.protocol,
            "site_id": self.site_id,
            "received_at": self.received_at,
        }


def bad_record_spark_schema() -> StructType:
    """The Spark StructType of an ``events.bad`` record's JSON."""
    return spark_struct(BAD_ROW_COLUMNS)


def payload_text(payload: Any) -> str:
    """The original input as text for a bad row: as received when it is text, else as JSON."""
    return payload if isinstance(payload, str) else json_text(payload)


def json_text(value: Any) -> str:
    """``value`` as compact JSON (integers of any size, times in ISO 8601), else its repr:
    a bad row keeps even input that JSON cannot carry."""
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_as_json)
    except (TypeError, ValueError):
        return repr(value)


def _as_json(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime | date) else str(value)
