"""The event contract ``events.v1``, defined once.

Each field says who fills it (the client that sent the event, or the collector's enrichment),
its type and its bounds. From this list derive the JSON validation models
(:data:`ClientEventV1` for what a client may send, :data:`EventV1` for the record on Kafka),
the Spark StructType and the Delta and Trino DDL (through the tables of :mod:`lakehouse.tables`).
"""

from __future__ import annotations

import builtins
import enum
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, create_model

from lakehouse.columns import Column, ColumnType, spark_struct

if TYPE_CHECKING:
    from pyspark.sql.types import StructType

SCHEMA_NAME = "events"
SCHEMA_VERSION = 1
SCHEMA_ID = f"{SCHEMA_NAME}.v{SCHEMA_VERSION}"


class Origin(enum.Enum):
    CLIENT = "client"  # sent by the tracker / SDK / third-party client
    COLLECTOR = "collector"  # set by the collector (receipt time, enrichments)


class Protocol(enum.StrEnum):
    """The wire formats an event can arrive in: the allowed values of ``protocol``."""

    NATIVE = "native"  # our tracker and SDK
    SEGMENT = "segment"  # Segment HTTP Tracking API
    SNOWPLOW = "snowplow"  # Snowplow tracker protocol (GET /i, POST tp2)
    GA4 = "ga4"  # GA4 Measurement Protocol
    PLAUSIBLE = "plausible"  # Plausible Events API


class EventType(enum.StrEnum):
    PAGE = "page"
    SCREEN = "screen"
    TRACK = "track"
    IDENTIFY = "identify"


@dataclass(frozen=True)
class EventField:
    name: str
    type: ColumnType
    origin: Origin
    required: bool = False
    max_length: int | None = None
    comment: str = ""
    choices: builtins.type[enum.StrEnum] | None = None
    bounds: tuple[int, int] | None = None
    """The smallest and largest value of an INT field."""
    pattern: str | None = None
    """A regular expression a STRING value must match (the same in Python, Rust and Java)."""

    @property
    def column(self) -> Column:
        return Column(self.name, self.type, nullable=not self.required, comment=self.comment)


C, S = Origin.CLIENT, Origin.COLLECTOR
STR, TS, INT, BOOL, MAP = (
    ColumnType.STRING,
    ColumnType.TIMESTAMP,
    ColumnType.INT,
    ColumnType.BOOLEAN,
    ColumnType.STRING_MAP,
)
MAX_PROPERTIES = 64
MAX_PROPERTY_KEY = 128
MAX_PROPERTY_VALUE = 1024
SCREEN_BOUNDS = (0, 100_000)
HTTP_URL = "(?i)^https?://"  # a page is on the web: javascript:, data: or file: are not

EVENT_FIELDS: tuple[EventField, ...] = (
    EventField("event_id", STR, C, True, 64, "client-generated UUID, the dedupe key"),
    EventField("type", STR, C, True, 16, "page | screen | track | identify", EventType),
    EventField("name", STR, C, False, 128, "event name; 'pageview' for pages"),
    EventField("site_id", STR, C, True, 64, "the site (property) the event belongs to"),
    EventField("anonymous_id", STR, C, False, 128, "client-side visitor id, if any"),
    EventField("user_id", STR, C, False, 128, "the site's own user id, after identify"),
    EventField("session_id", STR, C, False, 128, "client session id, if any"),
    EventField("client_ts", TS, C, True, None, "when the event happened, client clock"),
    EventField("url", STR, C, False, 2048, pattern=HTTP_URL),
    EventField("path", STR, C, False, 1024),
    EventField("title", STR, C, False, 512),
    EventField("referrer", STR, C, False, 2048),
    EventField("utm_source", STR, C, False, 256),
    EventField("utm_medium", STR, C, False, 256),
    EventField("utm_campaign", STR, C, False, 256),
    EventField("utm_term", STR, C, False, 256),
    EventField("utm_content", STR, C, False, 256),
    EventField("screen_width", INT, C, bounds=SCREEN_BOUNDS),
    EventField("screen_height", INT, C, bounds=SCREEN_BOUNDS),
    EventField("language", STR, C, False, 35),
    EventField("properties", MAP, C, False, MAX_PROPERTIES, "custom event properties"),
    EventField("library_name", STR, C, False, 64, "context.library.name"),
    EventField("library_version", STR, C, False, 32, "context.library.version"),
    EventField("received_at", TS, S, True, None, "when the collector accepted the event"),
    EventField("protocol", STR, S, True, 32, "wire format it arrived in", Protocol),
    EventField("visitor_id", STR, S, True, 128, "anonymous_id, or the cookieless hash"),
    EventField("browser", STR, S, False, 64),
    EventField("browser_version", STR, S, False, 32),
    EventField("os", STR, S, False, 64),
    EventField("device_type", STR, S, False, 16, "desktop | mobile | tablet | bot | other"),
    EventField("is_bot", BOOL, S, False, None, "crawler, headless or datacenter traffic"),
    EventField("country", STR, S, False, 2, "ISO 3166-1 alpha-2"),
    EventField("region", STR, S, False, 64),
    EventField("referrer_class", STR, S, False, 16, "search|social|email|direct|internal|other"),
)

ALIAS_EVENT = "alias"
ALIAS_PREVIOUS_ID = "previous_id"
"""An identify event of this name links the id in its property ``previous_id`` to its
user_id (a Segment alias call): the identity rule's third link, besides an event's own
visitor and anonymous ids."""

EVENT_COLUMNS: tuple[Column, ...] = tuple(field.column for field in EVENT_FIELDS)
CLIENT_FIELDS = tuple(f for f in EVENT_FIELDS if f.origin is Origin.CLIENT)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


def _annotation(field: EventField) -> Any:
    if field.choices is not None:
        return field.choices
    if field.type is ColumnType.STRING_MAP:
        key = Annotated[str, StringConstraints(max_length=MAX_PROPERTY_KEY)]
        value = Annotated[str, StringConstraints(max_length=MAX_PROPERTY_VALUE)]
        return dict[key, value]
    if field.type is ColumnType.TIMESTAMP:
        return datetime
    return field.type.python


def _pydantic_field(field: EventField) -> tuple[Any, Any]:
    annotation = _annotation(field)
    constraints: dict[str, Any] = {"description": field.comment or None}
    if field.max_length is not None and field.choices is None:
        constraints["max_length"] = field.max_length
    if field.type is ColumnType.STRING and field.required:
        constraints["min_length"] = 1
    if field.bounds is not None:
        constraints.update(ge=field.bounds[0], le=field.bounds[1])
    if field.pattern is not None:
        constraints["pattern"] = field.pattern
    if field.required:
        return annotation, Field(..., **constraints)
    return annotation | None, Field(None, **constraints)


def _model(name: str, fields: tuple[EventField, ...]) -> type[BaseModel]:
    definitions: dict[str, Any] = {f.name: _pydantic_field(f) for f in fields}
    return create_model(name, __base__=_Strict, **definitions)


ClientEventV1: type[BaseModel] = _model("ClientEventV1", CLIENT_FIELDS)
"""What a client may send, after its protocol is mapped to events.v1."""

EventV1: type[BaseModel] = _model("EventV1", EVENT_FIELDS)
"""The enriched record on the Kafka topic events.v1."""


def event_spark_schema() -> StructType:
    """The Spark StructType of an events.v1 record as it is on Kafka."""
    return spark_struct(EVENT_COLUMNS)
