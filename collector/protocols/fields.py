"""Shaping values into events.v1 client fields, shared by every protocol adapter.

Bounds come from :mod:`lakehouse.schema`. The rules (docs/protocols.md says the same):

* properties become a flat ``str -> str`` map: strings as sent, numbers and booleans as their
  JSON text (``1.5``, ``true``), nested objects and arrays JSON-encoded, nulls left out.
  Values longer than MAX_PROPERTY_VALUE are cut to it, keys to MAX_PROPERTY_KEY. Past
  MAX_PROPERTIES entries the first MAX_PROPERTIES - 1 are kept, in the order sent, and
  ``_dropped_properties`` says how many were left out: the event is worth more than its
  tail of properties, and the count keeps the cut visible.
* descriptive strings (url, title, referrer, utm_*, name, language, library_*) are cut to
  their schema length; identifiers (event_id, site_id, anonymous_id, user_id, session_id)
  are never cut, since a cut id is a different id: an over-long one fails validation.
* path and missing utm_* are derived from the url.
* client_ts becomes a timezone-aware datetime (naive times are taken as UTC).
"""

from __future__ import annotations

import contextlib
import json
import math
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from collector.model import ForwardedClient
from collector.protocols.decoding import Malformed
from lakehouse.columns import ColumnType
from lakehouse.schema import CLIENT_FIELDS, MAX_PROPERTIES, MAX_PROPERTY_VALUE

MAX_PROPERTY_KEY = 128
DROPPED_PROPERTIES_KEY = "_dropped_properties"
IDENTIFIERS = frozenset({"event_id", "site_id", "anonymous_id", "user_id", "session_id"})
UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
MAX_SCREEN = 100_000

_STRING_BOUNDS = {
    f.name: f.max_length
    for f in CLIENT_FIELDS
    if f.type is ColumnType.STRING and f.max_length is not None and f.name not in IDENTIFIERS
}
_INT_FIELDS = frozenset(f.name for f in CLIENT_FIELDS if f.type is ColumnType.INT)


def text(value: Any) -> str | None:
    """A scalar as a string (numbers as their JSON text); None for null, empty, or a
    structure (a structure where a string belongs is not a string)."""
    if value is None or isinstance(value, dict | list):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        value = int(value)
    result = value if isinstance(value, str) else json.dumps(value)
    return result or None


def first_text(*values: Any) -> str | None:
    for value in values:
        result = text(value)
        if result is not None:
            return result
    return None


def property_value(value: Any) -> str | None:
    if isinstance(value, dict | list):
        encoded = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
        return encoded[:MAX_PROPERTY_VALUE]
    result = text(value)
    return None if result is None else result[:MAX_PROPERTY_VALUE]


def flatten_properties(
    *sources: Mapping[str, Any] | Iterable[tuple[str, Any]] | None,
) -> dict[str, str]:
    """Merge property sources (later ones win) into the flat, bounded events.v1 map."""
    merged: dict[str, Any] = {}
    for source in sources:
        if source is None:
            continue
        pairs = source.items() if isinstance(source, Mapping) else source
        for key, value in pairs:
            merged[str(key)[:MAX_PROPERTY_KEY]] = value
    flat: dict[str, str] = {}
    for key, value in merged.items():
        encoded = property_value(value)
        if encoded is not None and key:
            flat[key] = encoded
    if len(flat) > MAX_PROPERTIES:
        kept = dict(list(flat.items())[: MAX_PROPERTIES - 1])
        kept[DROPPED_PROPERTIES_KEY] = str(len(flat) - len(kept))
        return kept
    return flat


def parse_iso_timestamp(value: Any, what: str = "timestamp") -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if not isinstance(value, str):
        raise Malformed(f"{what} is not an ISO-8601 string: {value!r}")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise Malformed(f"{what} is not an ISO-8601 date-time: {value!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


_UNITS = {"ms": 1_000, "us": 1_000_000, "s": 1}


def parse_epoch(value: Any, unit: str, what: str = "timestamp") -> datetime:
    """Epoch time (a number, or a string of one) in ``unit`` (s, ms or us) as UTC."""
    try:
        number = float(value) if isinstance(value, str) else value
        if isinstance(number, bool) or not isinstance(number, int | float):
            raise TypeError
        if not math.isfinite(number):
            raise ValueError
        return datetime.fromtimestamp(number / _UNITS[unit], tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        raise Malformed(f"{what} is not an epoch time in {unit}: {value!r}") from None


def skew_corrected(created: datetime, sent: datetime | None, received: datetime) -> datetime:
    """When the event happened on the collector's clock: the device's creation time moved by
    the device clock's offset, measured as (received - sent). Segment and Snowplow both
    derive their event time this way; a device clock hours off then still lands right."""
    if sent is None:
        return created
    try:
        return created + (received - sent)
    except OverflowError:
        raise Malformed(f"sent time {sent.isoformat()} is out of range") from None


def screen_size(value: Any) -> tuple[int | None, int | None]:
    """``"1920x1080"`` to (1920, 1080); (None, None) when unreadable."""
    if not isinstance(value, str):
        return None, None
    width, sep, height = value.lower().partition("x")
    if not sep:
        return None, None
    return screen_dimension(width), screen_dimension(height)


def screen_dimension(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        number = int(value) if isinstance(value, int | str) else int(float(value))
    except (TypeError, ValueError, OverflowError):
        return None
    return number if 0 <= number <= MAX_SCREEN else None


def forwarded_client(user_agent: Any, ip: Any) -> ForwardedClient | None:
    """The visitor a server-side message speaks for, if it names one."""
    agent, address = text(user_agent), text(ip)
    if agent is None and address is None:
        return None
    return ForwardedClient(agent[:512] if agent else None, address[:64] if address else None)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def finish_event(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The events.v1 client dict of an adapter's raw field values: nulls dropped, strings
    bounded, properties flattened, client_ts parsed.
    Unknown names are kept, so that validation reports them (schema_violation)."""
    event: dict[str, Any] = {key: value for key, value in fields.items() if value is not None}
    for key in IDENTIFIERS & event.keys():
        value = event[key]
        if type(value) is not str and _is_number(value):
            event[key] = text(value)
    # path and utm_* missing from the event are derived from its url by enrichment.
    for key in _STRING_BOUNDS.keys() & event.keys():
        value = event[key]
        if type(value) is not str:  # the common case is a string: test that first
            if not _is_number(value):
                continue
            value = event[key] = text(value)
        bound = _STRING_BOUNDS[key]
        if len(value) > bound:
            event[key] = value[:bound]
    for key in _INT_FIELDS & event.keys():
        size = screen_dimension(event[key])
        if size is None:
            del event[key]
        else:
            event[key] = size
    if isinstance(event.get("properties"), Mapping):
        event["properties"] = flatten_properties(event["properties"])
        if not event["properties"]:
            del event["properties"]
    client_ts = event.get("client_ts")
    if isinstance(client_ts, datetime | str):
        # Unreadable: left as sent, so validation rejects it with schema_violation.
        with contextlib.suppress(Malformed):
            event["client_ts"] = parse_iso_timestamp(client_ts)
    return event
