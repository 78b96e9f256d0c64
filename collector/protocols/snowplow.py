"""Snowplow tracker protocol: ``GET /i`` (one event in the query string) and
``POST /com.snowplowanalytics.snowplow/tp2`` (a payload_data self-describing JSON whose data
is a list of events, each the same parameter map as the query string).

Contexts (co/cx) are read for one thing only: the client_session context of the mobile
trackers, which carries the session id and device id that web trackers send as sid/duid.
Other contexts, and the tracker's claimed ua/ip, are not kept (enrichment uses the HTTP
request's own); tna (the tracker namespace) neither."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from collector.model import FORWARDED_CLIENT, Credentials, Hit, Parsed
from collector.protocols.decoding import (
    Malformed,
    NewId,
    decode_base64url,
    decode_json_object,
    json_kind,
    map_items,
    rejected,
    request_text,
    uuid4_str,
)
from collector.protocols.fields import (
    finish_event,
    first_text,
    forwarded_client,
    parse_epoch,
    screen_size,
    skew_corrected,
    text,
)
from lakehouse.bad_rows import BadReason
from lakehouse.schema import EventType

PIXEL_PATH = "/i"
POST_PATH = "/com.snowplowanalytics.snowplow/tp2"
PAYLOAD_SCHEMA_PREFIX = "iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-"
SCREEN_VIEW = "screen_view"
CLIENT_SESSION = "client_session"


@dataclass(frozen=True)
class EventKind:
    """How one value of the ``e`` parameter maps: its type, its name (None: from a
    parameter) and which parameters become which properties."""

    type: EventType
    name: str | None
    properties: Mapping[str, str]


EVENT_KINDS: Mapping[str, EventKind] = {
    "pv": EventKind(EventType.PAGE, "pageview", {}),
    "pp": EventKind(
        EventType.TRACK,
        "page_ping",
        {"pp_mix": "min_x", "pp_max": "max_x", "pp_miy": "min_y", "pp_may": "max_y"},
    ),
    # Structured event: the action names it, as in GA Universal's category/action/label.
    "se": EventKind(
        EventType.TRACK,
        None,
        {"se_ca": "category", "se_la": "label", "se_pr": "property", "se_va": "value"},
    ),
    "tr": EventKind(
        EventType.TRACK,
        "transaction",
        {
            "tr_id": "order_id",
            "tr_af": "affiliation",
            "tr_tt": "total",
            "tr_tx": "tax",
            "tr_sh": "shipping",
            "tr_ci": "city",
            "tr_st": "state",
            "tr_co": "country",
            "tr_cu": "currency",
        },
    ),
    "ti": EventKind(
        EventType.TRACK,
        "transaction_item",
        {
            "ti_id": "order_id",
            "ti_sk": "sku",
            "ti_nm": "name",
            "ti_ca": "category",
            "ti_pr": "price",
            "ti_qu": "quantity",
            "ti_cu": "currency",
        },
    ),
    # Self-describing: name, type and properties come from the event's own schema and data.
    "ue": EventKind(EventType.TRACK, None, {}),
}


def parse(hit: Hit, new_id: NewId = uuid4_str) -> Parsed:
    credentials = Credentials()
    if hit.method == "GET":
        items: list[Any] = [dict(hit.query)]
    else:
        try:
            items = _payload_data(hit)
        except Malformed as error:
            return rejected(hit, credentials, error)
    app_id = next(
        (aid for item in items if isinstance(item, dict) and (aid := text(item.get("aid")))),
        None,
    )

    def map_item(item: Any) -> dict[str, Any]:
        if not isinstance(item, dict):
            raise Malformed(f"event is a JSON {json_kind(item)}; expected an object")
        aid = text(item.get("aid"))
        if aid is not None and aid != app_id:
            raise Malformed(
                f"aid {aid!r} differs from {app_id!r}: one request, one app", BadReason.UNSUPPORTED
            )
        return _event(item, hit, new_id)

    parsed = map_items(hit, Credentials(site_ref=app_id), items, map_item)
    if hit.method == "GET":
        parsed.bad = [replace(row, payload=request_text(hit)) for row in parsed.bad]
    return parsed


def _payload_data(hit: Hit) -> list[Any]:
    body = decode_json_object(hit)
    schema = body.get("schema")
    if not isinstance(schema, str):
        raise Malformed("body has no 'schema'; expected a payload_data self-describing JSON")
    if not schema.startswith(PAYLOAD_SCHEMA_PREFIX):
        raise Malformed(f"schema {schema!r} is not payload_data 1-x-x", BadReason.UNSUPPORTED)
    data = body.get("data")
    if not isinstance(data, list):
        raise Malformed(f"'data' is a JSON {json_kind(data)}; expected an array")
    return data


def _event(params: Mapping[str, Any], hit: Hit, new_id: NewId) -> dict[str, Any]:
    code = text(params.get("e"))
    if code is None:
        raise Malformed("no 'e' (event type) parameter")
    kind = EVENT_KINDS.get(code)
    if kind is None:
        raise Malformed(f"event type e={code!r} has no events.v1 mapping", BadReason.UNSUPPORTED)
    event_type, name = kind.type, kind.name
    properties: dict[str, Any] = {
        prop: params[param] for param, prop in kind.properties.items() if param in params
    }
    if code == "se":
        name = text(params.get("se_ac"))
        if name is None:
            raise Malformed("structured event without se_ac (action)")
    elif code == "ue":
        event_type, name, properties = _self_describing(params)

    session = _client_session(params)
    width, height = screen_size(params.get("res"))
    library_name, library_version = _library(text(params.get("tv")))
    event = finish_event(
        {
            "event_id": text(params.get("eid")) or new_id(),
            "type": event_type.value,
            "name": name,
            "anonymous_id": first_text(
                params.get("duid"), params.get("nuid"), params.get("tnuid"), session.get("userId")
            ),
            "user_id": text(params.get("uid")),
            "session_id": first_text(params.get("sid"), session.get("sessionId")),
            "client_ts": _client_ts(params, hit.received_at),
            "url": text(params.get("url")),
            "title": text(params.get("page")),
            "referrer": text(params.get("refr")),
            "screen_width": width,
            "screen_height": height,
            "language": text(params.get("lang")),
            "properties": properties,
            "library_name": library_name,
            "library_version": library_version,
        }
    )
    forwarded = forwarded_client(params.get("ua"), params.get("ip"))
    if forwarded is not None:
        event[FORWARDED_CLIENT] = forwarded
    return event


def _self_describing(params: Mapping[str, Any]) -> tuple[EventType, str, dict[str, Any]]:
    envelope = _json_param(params, "ue_pr", "ue_px")
    if envelope is None:
        raise Malformed("self-describing event without ue_pr or ue_px")
    inner = envelope.get("data")
    if not isinstance(inner, dict) or not isinstance(inner.get("data"), dict):
        raise Malformed("self-describing event: 'data' is not {schema, data}")
    schema = inner.get("schema")
    name = _schema_name(schema)
    if name is None:
        raise Malformed(f"self-describing event: schema {schema!r} is not an Iglu URI")
    data: dict[str, Any] = dict(inner["data"])
    if name == SCREEN_VIEW and text(data.get("name")):
        return EventType.SCREEN, str(text(data.pop("name"))), {**data, "schema": schema}
    return EventType.TRACK, name, {**data, "schema": schema}


def _schema_name(schema: Any) -> str | None:
    """``iglu:com.acme/add_to_cart/jsonschema/1-0-0`` -> ``add_to_cart``."""
    if not isinstance(schema, str) or not schema.startswith("iglu:"):
        return None
    parts = schema.removeprefix("iglu:").split("/")
    return parts[1] if len(parts) == 4 and all(parts) else None


def _json_param(params: Mapping[str, Any], plain: str, encoded: str) -> dict[str, Any] | None:
    raw = text(params.get(plain))
    if raw is None and text(params.get(encoded)) is not None:
        try:
            raw = decode_base64url(str(params[encoded]))
        except Malformed as error:
            raise Malformed(f"{encoded}: {error.detail}") from None
    if raw is None:
        return None
    try:
        value = json.loads(raw)
    except (json.JSONDecodeError, RecursionError):
        raise Malformed(f"{plain if params.get(plain) else encoded} is not JSON") from None
    if not isinstance(value, dict):
        raise Malformed(f"{plain if params.get(plain) else encoded} is not a JSON object")
    return value


def _client_session(params: Mapping[str, Any]) -> Mapping[str, Any]:
    """The client_session context's data, or {} (contexts are otherwise not kept, so one
    that cannot be read does not reject the event)."""
    try:
        contexts = _json_param(params, "co", "cx")
    except Malformed:
        return {}
    entries = contexts.get("data") if contexts else None
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict) and _schema_name(entry.get("schema")) == CLIENT_SESSION:
            data = entry.get("data")
            return data if isinstance(data, dict) else {}
    return {}


def _client_ts(params: Mapping[str, Any], received_at: datetime) -> datetime:
    """Snowplow's derived timestamp: the true timestamp (ttm) if set, else the device's
    creation time (dtm) moved by the device clock's offset (stm vs receipt)."""
    if params.get("ttm") not in (None, ""):
        return parse_epoch(params["ttm"], "ms", "ttm")
    if params.get("dtm") in (None, ""):
        return received_at
    created = parse_epoch(params["dtm"], "ms", "dtm")
    sent = None if params.get("stm") in (None, "") else parse_epoch(params["stm"], "ms", "stm")
    return skew_corrected(created, sent, received_at)


def _library(tracker_version: str | None) -> tuple[str | None, str | None]:
    """``py-1.1.0`` -> (snowplow-py, 1.1.0); tv is the tracker's platform and version."""
    if tracker_version is None:
        return None, None
    platform, sep, version = tracker_version.partition("-")
    if not sep or not platform:
        return f"snowplow-{tracker_version}", None
    return f"snowplow-{platform}", version
