"""Simulated events -> the HTTP requests each wire protocol sends for them. Pure.

How each visitor's client sends:

* native: the JS tracker, from the visitor's browser: ``POST /x/b`` with a JSON array
  (text/plain, as sendBeacon sends it), the site's Origin, the browser's User-Agent and
  Accept-Language; one request per page (the pageview and what follows on that page).
* Segment: a server-side library, ``POST /v1/batch`` with the write key as Basic auth user,
  reporting the visitor in ``context.userAgent`` / ``context.ip``; one request per page.
* Snowplow: the browser tracker's pixel, ``GET /i`` with ``aid`` = a site alias; one event
  per request.
* GA4: Measurement Protocol, ``POST /mp/collect?measurement_id=<alias>&api_secret=<key>``
  relayed with the visitor's User-Agent; one request per page.
* Plausible: ``POST /api/event`` with the visitor's User-Agent and X-Forwarded-For; one
  event per request.

Browser requests reach the collector through a reverse proxy, which adds the visitor's
address as X-Forwarded-For. A late event goes in a request of its own.
"""

from __future__ import annotations

import base64
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from collector.protocols import ga4, native, plausible, segment, snowplow
from lakehouse.schema import EventType, Protocol
from lakehouse.settings import SiteSettings
from traffic.model import SimEvent, Traffic
from traffic.visitors import Visitor

TRACKER_VERSION = "0.1.0"
SEGMENT_LIBRARY = ("analytics-python", "2.3.3")
SNOWPLOW_TRACKER = "js-3.24.2"
SNOWPLOW_SCHEMA_VENDOR = "example.beacon"
UNSTRUCT_EVENT = "iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0"
BATCHED = frozenset({Protocol.NATIVE, Protocol.SEGMENT, Protocol.GA4})


@dataclass(frozen=True)
class WireRequest:
    method: str
    path: str
    query: tuple[tuple[str, str], ...]
    headers: tuple[tuple[str, str], ...]  # lower-case names
    body: bytes


@dataclass(frozen=True)
class Delivery:
    """One request of one visitor, with the events it carries and when it is due."""

    send_at: datetime
    visitor: str
    site_id: str
    protocol: Protocol
    events: tuple[SimEvent, ...]
    request: WireRequest


class UnknownSite(Exception):
    """The simulated traffic names a site the collector is not configured for."""


def iso_ms(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def epoch_ms(moment: datetime) -> int:
    return round(moment.timestamp() * 1000)


def host(site: SiteSettings) -> str:
    return next((d for d in site.domains if "." in d and not d[0].isdigit()), site.site_id)


def ga4_measurement_id(site: SiteSettings) -> str:
    found = next((a for a in site.aliases if a.startswith("G-")), None)
    if found is None:
        raise UnknownSite(f"site {site.site_id} has no GA4 measurement id (an alias G-...)")
    return found


def snowplow_app_id(site: SiteSettings) -> str:
    """A site alias that is not a GA4 measurement id, else the site id."""
    return next((a for a in site.aliases if not a.startswith("G-")), site.site_id)


def _browser_headers(visitor: Visitor, page_url: str) -> list[tuple[str, str]]:
    headers = [("user-agent", visitor.device.user_agent), ("x-forwarded-for", visitor.ip)]
    if visitor.accept_language is not None:
        headers.append(("accept-language", visitor.accept_language))
    headers.append(("referer", page_url))
    return headers


def _json(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


# ---------------------------------------------------------------------------------------
# native


def native_event(visitor: Visitor, event: SimEvent) -> dict[str, Any]:
    """One event as the JS tracker sends it (cookieless: no anonymous_id)."""
    body: dict[str, Any] = {
        "event_id": event.event_id,
        "type": event.type.value,
        "name": event.name,
        "site_id": event.site_id,
        "client_ts": iso_ms(event.client_ts),
        "url": event.url,
        "path": event.path,
        "title": event.title,
    }
    if event.type is EventType.PAGE and event.referrer:
        body["referrer"] = event.referrer
    body.update(
        screen_width=visitor.device.screen[0],
        screen_height=visitor.device.screen[1],
        language=visitor.language,
        properties=dict(event.properties),
        library_name="beacon-js",
        library_version=TRACKER_VERSION,
    )
    return body


def native_request(visitor: Visitor, events: Sequence[SimEvent], site: SiteSettings) -> WireRequest:
    origin = f"https://{host(site)}"
    headers = [
        ("content-type", "text/plain;charset=UTF-8"),
        ("origin", origin),
        *_browser_headers(visitor, events[-1].url),
    ]
    body = _json([native_event(visitor, e) for e in events])
    return WireRequest("POST", native.BATCH_PATH, (), tuple(headers), body)


# ---------------------------------------------------------------------------------------
# Segment


def segment_message(visitor: Visitor, event: SimEvent) -> dict[str, Any]:
    parts = urlsplit(event.url)
    page = {
        "url": event.url,
        "path": event.path,
        "title": event.title,
        "search": f"?{parts.query}" if parts.query else "",
        "referrer": event.referrer or "",
    }
    context = {
        "library": {"name": SEGMENT_LIBRARY[0], "version": SEGMENT_LIBRARY[1]},
        "userAgent": visitor.device.user_agent,
        "ip": visitor.ip,
        "locale": visitor.language,
        "page": page,
        "screen": {"width": visitor.device.screen[0], "height": visitor.device.screen[1]},
    }
    message: dict[str, Any] = {
        "messageId": event.event_id,
        "anonymousId": visitor.anonymous_id,
        "timestamp": iso_ms(event.client_ts),
        "context": context,
    }
    if event.type is EventType.PAGE:
        message.update(type="page", name=event.title, properties=page)
    else:
        message.update(type="track", event=event.name, properties=dict(event.properties))
    return message


def segment_request(
    visitor: Visitor, events: Sequence[SimEvent], site: SiteSettings
) -> WireRequest:
    if not site.write_key:
        raise UnknownSite(f"site {site.site_id} has no write key for Segment")
    token = base64.b64encode(f"{site.write_key}:".encode()).decode()
    headers = (
        ("content-type", "application/json"),
        ("authorization", f"Basic {token}"),
        ("user-agent", f"{SEGMENT_LIBRARY[0]}/{SEGMENT_LIBRARY[1]}"),
    )
    body = _json({"batch": [segment_message(visitor, e) for e in events]})
    return WireRequest("POST", segment.BATCH_PATH, (), headers, body)


# ---------------------------------------------------------------------------------------
# Snowplow


def snowplow_params(visitor: Visitor, event: SimEvent, site: SiteSettings) -> list[tuple[str, str]]:
    width, height = visitor.device.screen
    params = [
        ("e", "pv" if event.type is EventType.PAGE else "ue"),
        ("eid", event.event_id),
        ("aid", snowplow_app_id(site)),
        ("p", "web"),
        ("tv", SNOWPLOW_TRACKER),
        ("tna", "sp"),
        ("duid", str(visitor.anonymous_id)),
        ("sid", _session_uuid(visitor, event)),
        ("vid", str(event.session + 1)),
        ("ttm", str(epoch_ms(event.client_ts))),
        ("url", event.url),
        ("page", event.title),
        ("res", f"{width}x{height}"),
        ("lang", visitor.language),
        ("cs", "UTF-8"),
    ]
    if event.type is EventType.PAGE and event.referrer:
        params.append(("refr", event.referrer))
    if event.type is EventType.TRACK:
        schema = f"iglu:{SNOWPLOW_SCHEMA_VENDOR}/{event.name}/jsonschema/1-0-0"
        envelope = {
            "schema": UNSTRUCT_EVENT,
            "data": {"schema": schema, "data": dict(event.properties)},
        }
        params.append(("ue_pr", json.dumps(envelope, separators=(",", ":"))))
    return params


def _session_uuid(visitor: Visitor, event: SimEvent) -> str:
    # The tracker's session id: stable for the session, derived so that it stays pure.
    base = str(visitor.anonymous_id or visitor.key)
    return f"{base[:24]}{event.session:012x}"


def snowplow_request(visitor: Visitor, event: SimEvent, site: SiteSettings) -> WireRequest:
    headers = tuple(_browser_headers(visitor, event.url))
    params = tuple(snowplow_params(visitor, event, site))
    return WireRequest("GET", snowplow.PIXEL_PATH, params, headers, b"")


# ---------------------------------------------------------------------------------------
# GA4 Measurement Protocol


def ga4_event(event: SimEvent) -> dict[str, Any]:
    params: dict[str, Any] = {
        "page_location": event.url,
        "page_title": event.title,
        "session_id": str(int(event.session_start.timestamp())),
        "engagement_time_msec": "100",
    }
    if event.type is EventType.PAGE and event.referrer:
        params["page_referrer"] = event.referrer
    params.update(event.properties)
    return {
        "name": "page_view" if event.type is EventType.PAGE else event.name,
        "timestamp_micros": epoch_ms(event.client_ts) * 1000,
        "params": params,
    }


def ga4_request(visitor: Visitor, events: Sequence[SimEvent], site: SiteSettings) -> WireRequest:
    if not site.write_key:
        raise UnknownSite(f"site {site.site_id} has no write key (GA4 api_secret)")
    query = (("measurement_id", ga4_measurement_id(site)), ("api_secret", site.write_key))
    width, height = visitor.device.screen
    body = {
        "client_id": visitor.anonymous_id,
        "device": {"language": visitor.language, "screen_resolution": f"{width}x{height}"},
        "events": [ga4_event(e) for e in events],
    }
    headers = (("content-type", "application/json"), *_browser_headers(visitor, events[-1].url))
    return WireRequest("POST", ga4.PATH, query, headers, _json(body))


# ---------------------------------------------------------------------------------------
# Plausible


def plausible_body(event: SimEvent, site: SiteSettings) -> dict[str, Any]:
    body: dict[str, Any] = {"name": event.name, "url": event.url, "domain": host(site)}
    if event.referrer:
        body["referrer"] = event.referrer
    properties = dict(event.properties)
    if "revenue" in properties and "currency" in properties:
        body["revenue"] = {
            "amount": properties.pop("revenue"),
            "currency": properties.pop("currency"),
        }
    if properties:
        body["props"] = properties
    return body


def plausible_request(visitor: Visitor, event: SimEvent, site: SiteSettings) -> WireRequest:
    headers = (("content-type", "application/json"), *_browser_headers(visitor, event.url))
    return WireRequest("POST", plausible.PATH, (), headers, _json(plausible_body(event, site)))


# ---------------------------------------------------------------------------------------
# Planning


def request_for(visitor: Visitor, events: Sequence[SimEvent], site: SiteSettings) -> WireRequest:
    """The request that carries ``events`` (one visitor's, one event for the unbatched
    protocols) in the visitor's protocol."""
    if visitor.protocol is Protocol.NATIVE:
        return native_request(visitor, events, site)
    if visitor.protocol is Protocol.SEGMENT:
        return segment_request(visitor, events, site)
    if visitor.protocol is Protocol.GA4:
        return ga4_request(visitor, events, site)
    (event,) = events
    if visitor.protocol is Protocol.SNOWPLOW:
        return snowplow_request(visitor, event, site)
    return plausible_request(visitor, event, site)


def _groups(visitor: Visitor, events: Iterable[SimEvent]) -> list[tuple[SimEvent, ...]]:
    """A visitor's events in the requests its client sends: per page where the protocol
    batches, else one by one; a late event always alone."""
    groups: list[tuple[SimEvent, ...]] = []
    pages: dict[int, list[SimEvent]] = defaultdict(list)
    for event in events:
        if event.late or visitor.protocol not in BATCHED:
            groups.append((event,))
        else:
            pages[event.page].append(event)
    groups.extend(tuple(page) for page in pages.values())
    return groups


def plan(traffic: Traffic, sites: Iterable[SiteSettings]) -> list[Delivery]:
    """Every request of the traffic, in the order a real client population sends them: by
    the time each is due (a batch when its last event happened, a late event when its delay
    is over), so late events go after events that happened after them."""
    configured: Mapping[str, SiteSettings] = {site.site_id: site for site in sites}
    by_visitor: dict[str, list[SimEvent]] = defaultdict(list)
    for event in traffic.events:
        by_visitor[event.visitor].append(event)
    deliveries: list[tuple[tuple[datetime, int, int], Delivery]] = []
    for number, visitor in enumerate(traffic.visitors):
        site = configured.get(visitor.site_id)
        if site is None:
            raise UnknownSite(
                f"the simulator sends to site {visitor.site_id}, which is not configured "
                f"(configured: {', '.join(configured) or 'none'})"
            )
        for group in _groups(visitor, by_visitor[visitor.key]):
            send_at = max(event.send_at for event in group)
            delivery = Delivery(
                send_at,
                visitor.key,
                visitor.site_id,
                visitor.protocol,
                group,
                request_for(visitor, group, site),
            )
            deliveries.append(((send_at, number, group[0].page), delivery))
    deliveries.sort(key=lambda item: item[0])
    return [delivery for _, delivery in deliveries]
