"""Shaping values into events.v1 client fields, shared by every protocol adapter.

Bounds come from :mod:`lakehouse.schema`. The rules (docs/protocols.md says the same):

* properties become a flat ``str -> str`` map: strings as sent, numbers and booleans as their
  JSON text (``1.5``, ``true``), nested objects and arrays JSON-encoded, nulls left out.
  Values longer than MAX_PROPERTY_VALUE are cut to it, keys to MAX_PROPERTY_KEY. Past
  MAX_PROPERTIES entries the first ones are kept, in the order sent, and
  ``_dropped_properties`` says how many were left out: the event is worth more than its
  tail of properties.
* descriptive strings (url, title, referrer, utm_*, name, language, library_*) are cut to
  their schema length; identifiers (event_id, site_id, anonymous_id, user_id, session_id)
  are never cut, since a cut id is a different id: an over-long one fails validation.
* screen sizes outside their bounds are left out.
* every cut is recorded in the event itself: ``_truncated`` in its properties names the
  fields that were cut or left out (``properties`` for a cut key, value or entry), so the
  row says it is not as sent and the collector's answer can count it. A ``_truncated`` the
  client sent (beacon's tracker marks its own cuts) is kept, and joined with the collector's.
* path and missing utm_* are derived from the url by enrichment.
* client_ts becomes a timezone-aware datetime (naive times are taken as UTC).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from collector.model import ForwardedClient
from collector.protocols.decoding import Malformed
from lakehouse.columns import ColumnType
from lakehouse.schema import (
    CLIENT_FIELDS,
    MAX_PROPERTIES,
    MAX_PROPERTY_KEY,
    MAX_PROPERTY_VALUE,
    SCREEN_BOUNDS,
)

DROPPED_PROPERTIES_KEY = "_dropped_properties"
TRUNCATED_KEY = "_truncated"
"""The property that names what the collector cut from an event (comma-separated)."""
IDENTIFIERS = frozenset({"event_id", "site_id", "anonymous_id", "user_id", "session_id"})

_STRING_BOUNDS = {
    f.name: f.max_length
    for f in CLIENT_FIELDS
    if f.type is ColumnType.STRING and f.max_length is not None and f.name not in IDENTIFIERS
}
_INT_FIELDS = frozenset(f.name for f in CLIENT_FIELDS if f.type is ColumnType.INT)


def text(value: Any) -> str | None:
    """A scalar as a string (numbers as their JSON text); None for null, empty, or a
    structure (a structure where a string belongs is not a string)."""
    if type(value) is str:  # the common case
        return value or None
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
    """A property value as events.v1 text, not yet bounded."""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    return text(value)


def flatten_properties(source: Mapping[str, Any]) -> tuple[dict[str, str], bool]:
    """The flat events.v1 map of ``source``, each key and value within its bound, and whether
    a key or a value had to be cut for that. The number of entries is bounded by
    :func:`bounded_properties`."""
    flat: dict[str, str] = {}
    cut = False
    for key, value in source.items():
        name, encoded = str(key), property_value(value)
        if encoded is None or not name:
            continue
        if len(name) > MAX_PROPERTY_KEY or len(encoded) > MAX_PROPERTY_VALUE:
            cut = True
            name, encoded = name[:MAX_PROPERTY_KEY], encoded[:MAX_PROPERTY_VALUE]
        flat[name] = encoded
    return flat, cut


def bounded_properties(flat: dict[str, str], cut: set[str]) -> dict[str, str]:
    """``flat`` within MAX_PROPERTIES entries, with the marks of what was cut: past the bound
    the first entries are kept and ``_dropped_properties`` counts the others; ``_truncated``
    names the ``cut`` fields, and those a client named in its own (beacon's tracker marks
    what it cut in the browser). The marks take their room from the entries."""
    if cut and TRUNCATED_KEY in flat:
        cut = cut | set(filter(None, flat[TRUNCATED_KEY].split(",")))
    room = MAX_PROPERTIES - (1 if cut else 0)
    if len(flat) > room:
        room = MAX_PROPERTIES - 2
        dropped = len(flat) - room
        flat = dict(itertools.islice(flat.items(), room))
        flat[DROPPED_PROPERTIES_KEY] = str(dropped)
        cut = cut | {"properties"}
    if cut:
        flat[TRUNCATED_KEY] = ",".join(sorted(cut))
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
    if type(value) is int:  # the common case (a bool is an int, but not of this type)
        number = value
    elif isinstance(value, bool):
        return None
    else:
        try:
            number = int(value) if isinstance(value, int | str) else int(float(value))
        except (TypeError, ValueError, OverflowError):
            return None
    low, high = SCREEN_BOUNDS
    return number if low <= number <= high else None


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
    bounded, properties flattened, client_ts parsed, and what was cut named in
    ``_truncated``. Unknown names are kept, so that validation reports them
    (schema_violation)."""
    event: dict[str, Any] = {key: value for key, value in fields.items() if value is not None}
    cut: set[str] = set()
    left_out: list[str] = []
    # One pass over the fields, each shaped by its kind; the common case, a string within
    # its bound or an identifier, is tested first (the step runs on every event).
    for key, value in event.items():
        bound = _STRING_BOUNDS.get(key)
        if bound is not None:
            if type(value) is not str:
                if not _is_number(value):
                    continue
                value = event[key] = text(value)
            if len(value) > bound:
                event[key] = value[:bound]
                cut.add(key)
        elif key in IDENTIFIERS:
            if type(value) is not str and _is_number(value):
                event[key] = text(value)
        elif key in _INT_FIELDS:
            size = screen_dimension(value)
            if size is None:
                left_out.append(key)
            else:
                event[key] = size
    for key in left_out:
        del event[key]
        cut.add(key)
    # path and utm_* missing from the event are derived from its url by enrichment.
    sent = event.pop("properties", None)
    if cut if sent is None else isinstance(sent, Mapping):
        properties, cut_inside = flatten_properties(sent or {})
        if cut_inside:
            cut.add("properties")
        sent = bounded_properties(properties, cut) or None
    if sent is not None:  # a map, or what validation rejects
        event["properties"] = sent
    client_ts = event.get("client_ts")
    if type(client_ts) is str or isinstance(client_ts, datetime):
        # Unreadable: left as sent, so validation rejects it with schema_violation.
        with contextlib.suppress(Malformed):
            event["client_ts"] = parse_iso_timestamp(client_ts)
    return event
