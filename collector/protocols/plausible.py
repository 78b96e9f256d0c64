"""Plausible Events API: ``POST /api/event`` with ``{"name", "url", "domain", "referrer",
"props", "revenue"}`` (Plausible's own script sends the short keys n, u, d, r, p, $, h, i).

Plausible events carry no id, no visitor id and no time: each gets ``new_id()``, the
collector hashes the visitor, and client_ts is the receipt time. Its script's window width
(w) is not kept.

Plausible's script reports the time a page was visible and how far it was scrolled as an
``engagement`` event (``e`` ms, ``sd`` percent) when the page is hidden and on SPA
navigation: that becomes the engagement event beacon's own tracker sends (track
``engagement`` with properties engaged_ms and scroll_pct), not a custom event."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from collector.model import Credentials, Hit, Parsed
from collector.protocols.decoding import (
    Malformed,
    NewId,
    decode_json_object,
    json_kind,
    rejected,
    uuid4_str,
)
from collector.protocols.fields import finish_event, text
from lakehouse.schema import EventType

PATH = "/api/event"
PAGEVIEW = "pageview"
ENGAGEMENT = "engagement"
# Plausible's engagement keys -> the properties of beacon's engagement event, and the
# largest value each may have (a scroll depth is a percentage).
ENGAGEMENT_KEYS = {"e": ("engaged_ms", None), "sd": ("scroll_pct", 100)}
LIBRARY_NAME = "plausible-js"
# events.v1 meaning -> the long (Events API) and short (plausible.js) keys that carry it.
KEYS = {
    "name": ("name", "n"),
    "url": ("url", "u"),
    "domain": ("domain", "d"),
    "referrer": ("referrer", "r"),
    "props": ("props", "p", "meta", "m"),
    "revenue": ("revenue", "$"),
    "hash_mode": ("hashMode", "h"),
    "interactive": ("interactive", "i"),
    "version": ("v",),
}


def parse(hit: Hit, new_id: NewId = uuid4_str) -> Parsed:
    credentials = Credentials()
    try:
        body = decode_json_object(hit)
        values = {meaning: _first(body, keys) for meaning, keys in KEYS.items()}
        domain = text(values["domain"])
        # A rollup sends "a.example,b.example": the first domain is the site it belongs to.
        credentials = Credentials(site_ref=(domain or "").split(",")[0].strip() or None)
        event = _event(values, body, hit, new_id)
    except Malformed as error:
        return rejected(hit, credentials, error)
    return Parsed(credentials, [event])


def _first(body: Mapping[str, Any], keys: tuple[str, ...]) -> Any:
    return next((body[key] for key in keys if body.get(key) is not None), None)


def _event(
    values: Mapping[str, Any], body: Mapping[str, Any], hit: Hit, new_id: NewId
) -> dict[str, Any]:
    name = text(values["name"])
    if name is None:
        raise Malformed("event without 'name'")
    url = text(values["url"])
    if url is None:
        raise Malformed("event without 'url'")
    properties = _props(values["props"])
    if name == ENGAGEMENT:
        properties.update(_engagement(body))
    revenue = values["revenue"]
    if revenue is not None:
        if not isinstance(revenue, Mapping):
            raise Malformed(f"'revenue' is a JSON {json_kind(revenue)}; expected an object")
        properties["revenue_amount"] = revenue.get("amount")
        properties["revenue_currency"] = revenue.get("currency")
    if values["interactive"] is not None:
        properties["interactive"] = values["interactive"]
    path = None
    if values["hash_mode"] and values["hash_mode"] not in (0, "0", "false"):
        # Hash-routed single-page apps: the fragment is part of the page's path.
        parts = urlsplit(url)
        path = (parts.path or "/") + (f"#{parts.fragment}" if parts.fragment else "")
    is_page = name == PAGEVIEW
    return finish_event(
        {
            "event_id": new_id(),
            "type": (EventType.PAGE if is_page else EventType.TRACK).value,
            "name": name,
            "client_ts": hit.received_at,
            "url": url,
            "path": path,
            "referrer": text(values["referrer"]),
            "properties": properties,
            "library_name": LIBRARY_NAME if values["version"] is not None else None,
            "library_version": text(values["version"]),
        }
    )


def _engagement(body: Mapping[str, Any]) -> dict[str, int]:
    """The engaged time and scroll depth of an engagement event, as whole numbers."""
    found: dict[str, int] = {}
    for key, (prop, most) in ENGAGEMENT_KEYS.items():
        sent = body.get(key)
        value = sent if isinstance(sent, int | float) and not isinstance(sent, bool) else None
        if value is None or not math.isfinite(value) or value < 0:
            raise Malformed(f"engagement event: '{key}' is {sent!r}; expected a number >= 0")
        # The script divides the deepest point seen by the page height, which can shrink.
        found[prop] = min(round(value), most) if most is not None else round(value)
    return found


def _props(value: Any) -> dict[str, Any]:
    """Props as an object, or as a JSON string of one (older plausible.js encodes them)."""
    if value is None:
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except (json.JSONDecodeError, RecursionError):
            raise Malformed("'props' is a string that is not JSON") from None
    if not isinstance(value, dict):
        raise Malformed(f"'props' is a JSON {json_kind(value)}; expected an object")
    return dict(value)
