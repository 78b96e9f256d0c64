"""GA4 Measurement Protocol: ``POST /mp/collect?measurement_id=G-...&api_secret=...`` (web
streams; app streams send firebase_app_id and app_instance_id) with
``{"client_id", "user_id", "timestamp_micros", "events": [{"name", "params"}]}``.

GA4 events carry no id, so each gets ``new_id()``. user_properties, consent,
non_personalized_ads and user_location are not kept."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from collector.model import Credentials, Hit, Parsed
from collector.protocols.decoding import (
    Malformed,
    NewId,
    decode_json_object,
    json_kind,
    map_items,
    rejected,
    uuid4_str,
)
from collector.protocols.fields import (
    finish_event,
    first_text,
    parse_epoch,
    screen_size,
    text,
)
from lakehouse.bad_rows import BadReason
from lakehouse.schema import EventType

PATH = "/mp/collect"
MAX_EVENTS = 25  # the Measurement Protocol's own limit per request

# Params that become events.v1 fields on any event (and so leave the properties).
PARAM_FIELDS = {
    "page_location": "url",
    "page_title": "title",
    "page_referrer": "referrer",
    "session_id": "session_id",
}
# GA4's campaign_details event sets the campaign: its params are the utm values.
CAMPAIGN_EVENT = "campaign_details"
CAMPAIGN_PARAMS = {
    "source": "utm_source",
    "medium": "utm_medium",
    "campaign": "utm_campaign",
    "term": "utm_term",
    "content": "utm_content",
}
SCREEN_NAME_PARAMS = ("screen_name", "firebase_screen")
EVENT_TYPES = {"page_view": (EventType.PAGE, "pageview"), "screen_view": (EventType.SCREEN, None)}


def parse(hit: Hit, new_id: NewId = uuid4_str) -> Parsed:
    credentials = Credentials(
        site_ref=hit.query.get("measurement_id") or hit.query.get("firebase_app_id") or None,
        write_key=hit.query.get("api_secret") or None,
    )
    try:
        body = decode_json_object(hit)
        events = body.get("events")
        if not isinstance(events, list):
            raise Malformed(f"'events' is a JSON {json_kind(events)}; expected an array")
        if len(events) > MAX_EVENTS:
            raise Malformed(
                f"{len(events)} events; the Measurement Protocol allows {MAX_EVENTS} per request",
                BadReason.TOO_MANY_EVENTS,
            )
        request_ts = _timestamp(body, hit.received_at)
    except Malformed as error:
        return rejected(hit, credentials, error)
    device: Mapping[str, Any] = body["device"] if isinstance(body.get("device"), Mapping) else {}
    width, height = screen_size(device.get("screen_resolution"))
    shared = {
        "anonymous_id": first_text(body.get("client_id"), body.get("app_instance_id")),
        "user_id": text(body.get("user_id")),
        "screen_width": width,
        "screen_height": height,
        "language": text(device.get("language")),
    }

    def map_item(item: Any) -> dict[str, Any]:
        if not isinstance(item, dict):
            raise Malformed(f"event is a JSON {json_kind(item)}; expected an object")
        return _event(item, shared, request_ts, new_id)

    return map_items(hit, credentials, events, map_item)


def _timestamp(holder: Mapping[str, Any], default: datetime) -> datetime:
    value = holder.get("timestamp_micros")
    if value in (None, ""):
        return default
    return parse_epoch(value, "us", "timestamp_micros")


def _event(
    item: Mapping[str, Any], shared: Mapping[str, Any], request_ts: datetime, new_id: NewId
) -> dict[str, Any]:
    ga_name = text(item.get("name"))
    if ga_name is None:
        raise Malformed("event without 'name'")
    params = item.get("params", {})
    if not isinstance(params, Mapping):
        raise Malformed(f"'params' is a JSON {json_kind(params)}; expected an object")
    properties = dict(params)
    fields: dict[str, Any] = {**shared}
    for param, field in PARAM_FIELDS.items():
        fields[field] = text(properties.pop(param, None))
    if ga_name == CAMPAIGN_EVENT:
        for param, field in CAMPAIGN_PARAMS.items():
            fields[field] = text(properties.pop(param, None))
    event_type, name = EVENT_TYPES.get(ga_name, (EventType.TRACK, ga_name))
    if event_type is EventType.SCREEN:
        screen_names = [text(properties.pop(p, None)) for p in SCREEN_NAME_PARAMS]
        name = first_text(*screen_names) or "screenview"
    fields.update(
        event_id=new_id(),
        type=event_type.value,
        name=name,
        client_ts=_timestamp(item, request_ts),
        properties=properties,
    )
    return finish_event(fields)
