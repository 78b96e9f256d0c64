"""Segment HTTP Tracking API: ``POST /v1/{track,page,screen,identify,alias,group}`` with one
message, ``POST /v1/batch`` with ``{"batch": [...]}`` of typed messages. The write key is the
Basic auth user name (empty password) or ``writeKey`` in the body.

Segment bounds requests by bytes, not by count: 32 KB a message, 500 KB a batch body. Its
clients drop a whole batch that is answered 413, so a message over its bound is a bad row of
its own (too_large) beside the accepted others, and only a body over the batch bound is
refused whole. The collector's count limit (collector.max_events_per_batch) is not applied
to Segment; MAX_BATCH_MESSAGES bounds the work one body can cost, at a count that no batch
of real messages within 500 KB reaches.

context.userAgent and context.ip, when sent (server-side libraries forward the visitor's),
describe the visitor to enrichment in place of the HTTP request's own User-Agent and address;
neither is stored."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

from collector.model import FORWARDED_CLIENT, Credentials, Hit, Parsed
from collector.protocols.decoding import (
    Malformed,
    NewId,
    basic_auth_user,
    body_text,
    decode_json_object,
    endpoint,
    json_kind,
    map_items,
    rejected,
    uuid4_str,
)
from collector.protocols.fields import (
    finish_event,
    first_text,
    forwarded_client,
    parse_iso_timestamp,
    skew_corrected,
    text,
)
from lakehouse.bad_rows import BadReason
from lakehouse.schema import EventType

PATH_PREFIX = "/v1/"
BATCH_PATH = "/v1/batch"
MAX_MESSAGE_BYTES = 32 * 1024
MAX_BATCH_BYTES = 500 * 1024
# A bound for safety, not a protocol rule: analytics-python's batches (475,000 bytes of
# messages of 250 bytes and more: messageId, timestamp, context.library) hold under 2,000;
# 10,000 messages in 500 KB are 51 bytes each, leaner than any client sends.
MAX_BATCH_MESSAGES = 10_000
# The identity calls are identify events: alias links two ids, group ties the user to an
# account; their names tell them apart.
MAPPED_TYPES = {
    "track": EventType.TRACK,
    "page": EventType.PAGE,
    "screen": EventType.SCREEN,
    "identify": EventType.IDENTIFY,
    "alias": EventType.IDENTIFY,
    "group": EventType.IDENTIFY,
}
MESSAGE_PATHS = tuple(PATH_PREFIX + kind for kind in MAPPED_TYPES)

# The id an alias or group call links the user to, and the property that keeps it.
IDENTITY_LINKS = {"alias": {"previousId": "previous_id"}, "group": {"groupId": "group_id"}}
# Page properties that analytics.js copies from context.page: mapped to fields, not kept twice.
PAGE_PROPERTIES = frozenset({"url", "path", "title", "referrer", "search"})
CAMPAIGN_TO_UTM = {
    "source": "utm_source",
    "medium": "utm_medium",
    "name": "utm_campaign",
    "term": "utm_term",
    "content": "utm_content",
}


def parse(hit: Hit, new_id: NewId = uuid4_str) -> Parsed:
    credentials = Credentials(write_key=basic_auth_user(hit))
    single = endpoint(hit) != BATCH_PATH
    try:
        _check_size(len(hit.body), MAX_MESSAGE_BYTES if single else MAX_BATCH_BYTES)
        body = decode_json_object(hit)
        if credentials.write_key is None:
            credentials = Credentials(write_key=text(body.get("writeKey")))
        batch: Any = [{**body, "type": endpoint(hit).removeprefix(PATH_PREFIX)}]
        if not single:
            batch = body.get("batch")
            if not isinstance(batch, list):
                raise Malformed(f"'batch' is a JSON {json_kind(batch)}; expected an array")
            if len(batch) > MAX_BATCH_MESSAGES:
                raise Malformed(
                    f"{len(batch)} messages in one batch; the collector takes at most "
                    f"{MAX_BATCH_MESSAGES}",
                    BadReason.TOO_MANY_EVENTS,
                )
    except Malformed as error:
        return rejected(hit, credentials, error)
    shared_context = _mapping(body.get("context"))
    sent_at = body.get("sentAt")
    # No message of a body within the message bound can be over it: measure only in larger ones.
    measure = not single and len(hit.body) > MAX_MESSAGE_BYTES

    def map_item(item: Any) -> dict[str, Any]:
        if not isinstance(item, dict):
            raise Malformed(f"message is a JSON {json_kind(item)}; expected an object")
        if measure:
            _check_size(_json_size(item), MAX_MESSAGE_BYTES, "message")
        return _event(item, shared_context, sent_at, hit, new_id)

    parsed = map_items(hit, credentials, batch, map_item)
    if single:  # the one message is the body as sent
        parsed.bad = [replace(row, payload=body_text(hit)) for row in parsed.bad]
    return parsed


def _check_size(size: int, bound: int, what: str = "body") -> None:
    if size > bound:
        raise Malformed(
            f"the {what} is {size} bytes; Segment takes at most {bound}", BadReason.TOO_LARGE
        )


def _json_size(message: dict[str, Any]) -> int:
    """A message's size as compact JSON (what was sent may have had more white space)."""
    return len(json.dumps(message, ensure_ascii=False, separators=(",", ":"), default=str).encode())


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _event(
    message: dict[str, Any],
    shared_context: Mapping[str, Any],
    batch_sent_at: Any,
    hit: Hit,
    new_id: NewId,
) -> dict[str, Any]:
    kind = message.get("type")
    if kind not in MAPPED_TYPES:
        raise Malformed(f"unknown message type {kind!r}")
    event_type = MAPPED_TYPES[kind]
    context = {**shared_context, **_mapping(message.get("context"))}
    page = _mapping(context.get("page"))
    campaign = _mapping(context.get("campaign"))
    library = _mapping(context.get("library"))
    screen = _mapping(context.get("screen"))
    source = message.get("traits" if event_type is EventType.IDENTIFY else "properties")
    properties: dict[str, Any] = dict(_mapping(source))
    if kind in IDENTITY_LINKS:
        for key, prop in IDENTITY_LINKS[kind].items():
            linked = first_text(message.get(key))
            if linked is None:
                raise Malformed(f"{kind} message without '{key}'")
            properties[prop] = linked
    page_properties: Mapping[str, Any] = {}
    if event_type is EventType.PAGE:
        page_properties = {k: properties.pop(k) for k in PAGE_PROPERTIES & properties.keys()}
    if event_type in (EventType.PAGE, EventType.SCREEN) and message.get("category"):
        properties.setdefault("category", message["category"])

    if event_type is EventType.TRACK:
        name = text(message.get("event"))
        if name is None:
            raise Malformed("track message without 'event'")
    elif event_type is EventType.PAGE:
        name = "pageview"
        if message.get("name"):
            properties.setdefault("page_name", message["name"])
    elif event_type is EventType.SCREEN:
        name = text(message.get("name")) or "screenview"
    else:
        name = kind  # identify, alias or group

    fields: dict[str, Any] = {
        "event_id": first_text(message.get("messageId")) or new_id(),
        "type": event_type.value,
        "name": name,
        "anonymous_id": first_text(message.get("anonymousId")),
        "user_id": first_text(message.get("userId")),
        "client_ts": _client_ts(message, batch_sent_at, hit.received_at),
        "url": first_text(page_properties.get("url"), page.get("url")),
        "path": first_text(page_properties.get("path"), page.get("path")),
        "title": first_text(page_properties.get("title"), page.get("title")),
        "referrer": first_text(page_properties.get("referrer"), page.get("referrer")),
        "screen_width": screen.get("width"),
        "screen_height": screen.get("height"),
        "language": first_text(context.get("locale")),
        "properties": properties,
        "library_name": first_text(library.get("name")),
        "library_version": first_text(library.get("version")),
    }
    for key, utm in CAMPAIGN_TO_UTM.items():
        fields[utm] = first_text(campaign.get(key))
    search = first_text(page_properties.get("search"), page.get("search")) or ""
    for key, value in parse_qsl(search.removeprefix("?")):
        if key in fields and key.startswith("utm_") and fields[key] is None:
            fields[key] = value
    event = finish_event(fields)
    forwarded = forwarded_client(context.get("userAgent"), context.get("ip"))
    if forwarded is not None:
        event[FORWARDED_CLIENT] = forwarded
    return event


def _client_ts(message: Mapping[str, Any], batch_sent_at: Any, received_at: datetime) -> datetime:
    """Segment's rule: an explicit timestamp stands; else originalTimestamp moved by the
    device clock's offset (sentAt vs receipt); else the receipt time."""
    if message.get("timestamp") is not None:
        return parse_iso_timestamp(message["timestamp"], "timestamp")
    if message.get("originalTimestamp") is not None:
        created = parse_iso_timestamp(message["originalTimestamp"], "originalTimestamp")
        sent_value = message.get("sentAt", batch_sent_at)
        sent = None if sent_value is None else parse_iso_timestamp(sent_value, "sentAt")
        return skew_corrected(created, sent, received_at)
    return received_at
