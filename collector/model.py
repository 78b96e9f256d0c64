"""The collector's vocabulary: what arrives (a Hit), what a protocol makes of it (Parsed),
and what is rejected (a BadRow with a typed BadReason). Every protocol adapter and pipeline
step speaks these types and nothing else."""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any


class Protocol(enum.StrEnum):
    NATIVE = "native"  # our tracker and SDK
    SEGMENT = "segment"  # Segment HTTP Tracking API
    SNOWPLOW = "snowplow"  # Snowplow tracker protocol (GET /i, POST tp2)
    GA4 = "ga4"  # GA4 Measurement Protocol
    PLAUSIBLE = "plausible"  # Plausible Events API


class BadReason(enum.StrEnum):
    """Why input was rejected; stable names, counted in /metrics and stored in events_bad."""

    MALFORMED = "malformed"  # not parseable (JSON syntax, encoding, form fields)
    SCHEMA_VIOLATION = "schema_violation"  # parseable but not a valid events.v1 event
    UNSUPPORTED = "unsupported"  # a valid message of the protocol that beacon does not map
    UNKNOWN_SITE = "unknown_site"
    BAD_WRITE_KEY = "bad_write_key"
    ORIGIN_NOT_ALLOWED = "origin_not_allowed"
    TOO_LARGE = "too_large"  # body over the size limit
    TOO_MANY_EVENTS = "too_many_events"  # batch over the events-per-batch limit
    TOO_OLD = "too_old"  # client timestamp older than the allowed age
    DUPLICATE = "duplicate"


class Stage(enum.StrEnum):
    """Where in the collector a bad row was made."""

    PARSE = "collector.parse"
    AUTHORIZE = "collector.authorize"
    VALIDATE = "collector.validate"
    ENRICH = "collector.enrich"
    ROUTE = "collector.route"


@dataclass(frozen=True)
class Hit:
    """One HTTP request as the collector received it, before any interpretation."""

    protocol: Protocol
    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]  # lower-case names
    body: bytes
    client_ip: str  # used for enrichment only; never stored or sent downstream
    received_at: datetime  # timezone-aware UTC


@dataclass(frozen=True)
class Credentials:
    """What a request says about which site it is for and how it proves it.

    ``site_ref`` is matched against each configured site's id, domains and aliases: the
    native site_id, a Snowplow app id (aid), a Plausible domain, a GA4 measurement id.
    ``write_key`` is the Segment write key (Basic auth user) or the GA4 api_secret.
    """

    site_ref: str | None = None
    write_key: str | None = None


@dataclass(frozen=True)
class ForwardedClient:
    """The visitor a server-side sender reports an event for: Segment's context.userAgent and
    context.ip, Snowplow's ua and ip. Enrichment uses these instead of the sending server's
    own User-Agent and address, which would describe the server, not the visitor."""

    user_agent: str | None = None
    ip: str | None = None


FORWARDED_CLIENT = "_forwarded_client"
"""Key under which an adapter may attach a ForwardedClient to an event dict; the pipeline
takes it off before validation, so it never reaches events.v1."""


@dataclass(frozen=True)
class BadRow:
    stage: Stage
    reason: BadReason
    detail: str
    payload: str  # the original input (the whole body, or the one offending item), as text
    protocol: Protocol
    received_at: datetime
    site_id: str | None = None

    @classmethod
    def of(
        cls,
        hit: Hit,
        stage: Stage,
        reason: BadReason,
        detail: str,
        payload: Any,
        site_id: str | None = None,
    ) -> BadRow:
        """A bad row of ``hit``; ``payload`` is the offending input, as text or as data."""
        return cls(
            stage, reason, detail, payload_text(payload), hit.protocol, hit.received_at, site_id
        )


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


@dataclass
class Parsed:
    """What a protocol adapter makes of a Hit.

    ``events`` hold events.v1 client fields (lakehouse.schema.CLIENT_FIELDS names), not yet
    validated; ``site_id`` in them may be missing, the pipeline fills it from Credentials.
    """

    credentials: Credentials
    events: list[dict[str, Any]] = field(default_factory=list)
    bad: list[BadRow] = field(default_factory=list)
