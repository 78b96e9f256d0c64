"""Segment HTTP Tracking API: golden requests from the official analytics-python library,
and hand-written payloads in the shape analytics.js sends."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from segment.analytics import Client
from segment.analytics.version import VERSION as SEGMENT_VERSION

from collector.model import FORWARDED_CLIENT, ForwardedClient
from collector.protocols import segment
from lakehouse.bad_rows import BadReason, Stage
from lakehouse.schema import Protocol
from tests.support.captured_requests import (
    RECEIVED_AT,
    SequentialIds,
    capture_server,
    hit_of,
    make_hit,
)

WRITE_KEY = "demo-shop-write-key"
CONTEXT: dict[str, Any] = {
    "page": {
        "url": "https://shop.example/checkout?utm_source=newsletter&utm_medium=email",
        "path": "/checkout",
        "title": "Checkout",
        "referrer": "https://shop.example/cart",
    },
    "campaign": {"name": "spring-sale", "source": "newsletter", "medium": "email"},
    "locale": "de-DE",
    "screen": {"width": 1440, "height": 900, "density": 2},
    "userAgent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0",
    "ip": "198.51.100.7",
}


def _fail(error: Exception, batch: object) -> None:
    raise AssertionError(f"analytics-python failed to send: {error}")


def test_analytics_python_sync_calls_map_field_by_field() -> None:
    happened = datetime(2026, 11, 25, 9, 59, 30, 123000, tzinfo=UTC)
    with capture_server() as server:
        client = Client(WRITE_KEY, host=server.base_url, sync_mode=True, on_error=_fail)
        _, track = client.track(
            user_id="u-42",
            anonymous_id="anon-7",
            event="Order Completed",
            properties={
                "revenue": 39.95,
                "quantity": 2,
                "gift": True,
                "coupon": None,
                "products": [{"sku": "A-1", "price": 19.975}],
            },
            context=dict(CONTEXT),
            timestamp=happened,
        )
        _, page = client.page(
            anonymous_id="anon-7",
            category="Docs",
            name="Pricing",
            properties={"url": "https://shop.example/pricing", "title": "Pricing", "plan": "pro"},
        )
        _, screen = client.screen(user_id="u-42", name="Home", properties={"tab": "feed"})
        _, identify = client.identify(user_id="u-42", traits={"plan": "pro", "seats": 5})

    assert [r.path for r in server.requests] == ["/v1/batch"] * 4
    parsed = [segment.parse(hit_of(request)) for request in server.requests]
    assert all(p.bad == [] and len(p.events) == 1 for p in parsed)
    assert {p.credentials.write_key for p in parsed} == {WRITE_KEY}  # from Basic auth
    assert all(p.credentials.site_ref is None for p in parsed)
    track_event, page_event, screen_event, identify_event = (p.events[0] for p in parsed)

    assert track_event == {
        FORWARDED_CLIENT: ForwardedClient(CONTEXT["userAgent"], CONTEXT["ip"]),
        "event_id": track["messageId"],
        "type": "track",
        "name": "Order Completed",
        "anonymous_id": "anon-7",
        "user_id": "u-42",
        "client_ts": happened,
        "url": CONTEXT["page"]["url"],
        "path": "/checkout",
        "title": "Checkout",
        "referrer": "https://shop.example/cart",
        "utm_source": "newsletter",
        "utm_medium": "email",
        "utm_campaign": "spring-sale",
        "screen_width": 1440,
        "screen_height": 900,
        "language": "de-DE",
        "properties": {
            "revenue": "39.95",
            "quantity": "2",
            "gift": "true",
            "products": '[{"sku":"A-1","price":19.975}]',
        },
        "library_name": "analytics-python",
        "library_version": SEGMENT_VERSION,
    }
    assert page_event["event_id"] == page["messageId"]
    assert page_event["type"] == "page"
    assert page_event["name"] == "pageview"
    assert page_event["url"] == "https://shop.example/pricing"
    assert page_event["title"] == "Pricing"
    assert page_event["properties"] == {"plan": "pro", "category": "Docs", "page_name": "Pricing"}
    assert page_event["client_ts"] == datetime.fromisoformat(page["timestamp"])
    assert screen_event["event_id"] == screen["messageId"]
    assert (screen_event["type"], screen_event["name"]) == ("screen", "Home")
    assert screen_event["properties"] == {"tab": "feed"}
    assert "anonymous_id" not in screen_event
    assert screen_event["user_id"] == "u-42"
    assert identify_event["event_id"] == identify["messageId"]
    assert identify_event["type"] == "identify"
    assert identify_event["properties"] == {"plan": "pro", "seats": "5"}


def test_analytics_python_background_batch_maps_every_message() -> None:
    with capture_server() as server:
        client = Client(WRITE_KEY, host=server.base_url, upload_size=10, on_error=_fail)
        sent = [
            client.track(anonymous_id=f"a-{n}", event="Clicked", properties={"n": n})[1]
            for n in range(5)
        ]
        client.shutdown()  # flushes the queue and stops the consumer thread

    events = [e for r in server.requests for e in segment.parse(hit_of(r)).events]
    assert sorted(e["event_id"] for e in events) == sorted(m["messageId"] for m in sent)
    assert {e["anonymous_id"]: e["properties"]["n"] for e in events} == {
        f"a-{n}": str(n) for n in range(5)
    }
    body = json.loads(server.requests[0].body)
    assert body["writeKey"] == WRITE_KEY
    assert "sentAt" in body


def _basic(key: str) -> dict[str, str]:
    return {"authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}


def test_single_message_endpoints_take_the_type_from_the_path() -> None:
    body = {
        "anonymousId": "a1",
        "name": "Pricing",
        "properties": {"path": "/pricing"},
        "messageId": "m-1",
    }
    hit = make_hit(
        Protocol.SEGMENT, "POST", "/v1/page", json.dumps(body).encode(), headers=_basic(WRITE_KEY)
    )
    parsed = segment.parse(hit, SequentialIds())
    assert parsed.credentials.write_key == WRITE_KEY
    [event] = parsed.events
    assert event["type"] == "page"
    assert event["event_id"] == "m-1"
    assert event["path"] == "/pricing"
    assert event["client_ts"] == RECEIVED_AT  # no timestamp at all: the receipt time


def test_write_key_in_the_body_and_ids_stringified() -> None:
    body = {
        "writeKey": "wk-body",
        "userId": 1234,
        "event": "Signed Up",
        "timestamp": "2026-11-25T09:00:00Z",
    }
    parsed = segment.parse(
        make_hit(Protocol.SEGMENT, "POST", "/v1/track", json.dumps(body).encode()), SequentialIds()
    )
    assert parsed.credentials.write_key == "wk-body"
    [event] = parsed.events
    assert event["user_id"] == "1234"
    assert event["event_id"] == "id-1"
    assert event["client_ts"] == datetime(2026, 11, 25, 9, tzinfo=UTC)


def test_original_timestamp_is_corrected_by_the_device_clock_offset() -> None:
    # The device clock runs 10 minutes fast: sentAt is 10 minutes after the receipt time.
    body = {
        "sentAt": (RECEIVED_AT + timedelta(minutes=10)).isoformat(),
        "batch": [
            {
                "type": "track",
                "event": "Played",
                "anonymousId": "a",
                "originalTimestamp": (RECEIVED_AT + timedelta(minutes=9)).isoformat(),
            }
        ],
    }
    [event] = segment.parse(
        make_hit(Protocol.SEGMENT, "POST", "/v1/batch", json.dumps(body).encode())
    ).events
    assert event["client_ts"] == RECEIVED_AT - timedelta(minutes=1)


def test_batch_keeps_good_messages_and_types_each_bad_one() -> None:
    batch = [
        {"type": "track", "event": "Good", "anonymousId": "a", "messageId": "m-good"},
        {"type": "alias", "userId": "u"},  # no previousId
        {"type": "group", "userId": "u"},  # no groupId
        {"type": "track", "anonymousId": "a"},  # no event name
        {"type": "bogus"},
        "not an object",
        {"type": "track", "event": "Late", "timestamp": "yesterday"},
    ]
    hit = make_hit(Protocol.SEGMENT, "POST", "/v1/batch", json.dumps({"batch": batch}).encode())
    parsed = segment.parse(hit)
    assert [e["event_id"] for e in parsed.events] == ["m-good"]
    assert [b.reason for b in parsed.bad] == [BadReason.MALFORMED] * 6
    assert [b.detail.partition(":")[0] for b in parsed.bad] == [f"item {n}" for n in range(1, 7)]
    assert parsed.bad[0].detail == "item 1: alias message without 'previousId'"
    assert all(
        b.stage is Stage.COLLECTOR_PARSE and b.protocol == Protocol.SEGMENT for b in parsed.bad
    )
    assert json.loads(parsed.bad[0].payload) == batch[1]
    assert parsed.bad[-1].detail.startswith("item 6: timestamp is not an ISO-8601")


def test_unreadable_bodies_become_one_malformed_row_with_the_original_text() -> None:
    for body, detail in [
        (b"{not json", "body is not JSON"),
        (b"[1, 2]", "body is a JSON array"),
        (b'{"batch": {"type": "track"}}', "'batch' is a JSON object"),
        (b"\xff\xfe", "body is not UTF-8"),
        (b"", "body is empty"),
    ]:
        hit = make_hit(Protocol.SEGMENT, "POST", "/v1/batch", body, headers=_basic(WRITE_KEY))
        parsed = segment.parse(hit)
        assert parsed.events == []
        [bad] = parsed.bad
        assert bad.reason is BadReason.MALFORMED, bad.detail
        assert bad.detail.startswith(detail), bad.detail
        assert bad.payload == body.decode("utf-8", errors="replace")
        assert parsed.credentials.write_key == WRITE_KEY  # still attributable to a site


def test_analytics_js_page_with_search_and_extra_properties() -> None:
    message = {
        "type": "page",
        "messageId": "ajs-next-1",
        "anonymousId": "b4c5",
        "timestamp": "2026-11-25T09:58:00.000Z",
        "properties": {
            "path": "/docs",
            "referrer": "https://www.google.com/",
            "search": "?utm_campaign=launch&utm_term=analytics",
            "title": "Docs",
            "url": "https://docs.example/docs?utm_campaign=launch&utm_term=analytics",
            "section": "guides",
        },
        "context": {"library": {"name": "analytics.js", "version": "next-1.70.0"}},
    }
    [event] = segment.parse(
        make_hit(Protocol.SEGMENT, "POST", "/v1/page", json.dumps(message).encode())
    ).events
    assert event["utm_campaign"] == "launch"
    assert event["utm_term"] == "analytics"
    assert event["referrer"] == "https://www.google.com/"
    assert event["title"] == "Docs"
    assert event["properties"] == {"section": "guides"}
    assert (event["library_name"], event["library_version"]) == ("analytics.js", "next-1.70.0")


def test_alias_and_group_from_analytics_python_are_identity_events() -> None:
    with capture_server() as server:
        client = Client(WRITE_KEY, host=server.base_url, sync_mode=True, on_error=_fail)
        _, alias = client.alias(previous_id="anon-7", user_id="u-42")
        _, group = client.group(
            user_id="u-42", group_id="acme", traits={"plan": "enterprise", "seats": 40}
        )
    alias_event, group_event = (segment.parse(hit_of(r)).events[0] for r in server.requests)
    assert alias_event["event_id"] == alias["messageId"]
    assert (alias_event["type"], alias_event["name"]) == ("identify", "alias")
    assert alias_event["user_id"] == "u-42"
    assert alias_event["properties"] == {"previous_id": "anon-7"}
    assert group_event["event_id"] == group["messageId"]
    assert (group_event["type"], group_event["name"]) == ("identify", "group")
    assert group_event["user_id"] == "u-42"
    assert group_event["properties"] == {"plan": "enterprise", "seats": "40", "group_id": "acme"}


def test_the_single_message_paths_take_alias_and_group() -> None:
    for path, body, properties in [
        ("/v1/alias", {"previousId": 17, "userId": "u-1"}, {"previous_id": "17"}),
        ("/v1/group", {"anonymousId": "a", "groupId": "g-1"}, {"group_id": "g-1"}),
    ]:
        hit = make_hit(Protocol.SEGMENT, "POST", path, json.dumps(body).encode())
        [event] = segment.parse(hit).events
        assert event["type"] == "identify"
        assert event["properties"] == properties


def _batch(messages: list[dict[str, Any]]) -> bytes:
    return json.dumps({"batch": messages, "sentAt": RECEIVED_AT.isoformat()}).encode()


def test_a_message_over_32_kb_is_a_bad_row_of_its_own_and_the_others_go_on() -> None:
    small = {"type": "track", "event": "Small", "anonymousId": "a"}
    big = {**small, "event": "Big", "properties": {"blob": "x" * segment.MAX_MESSAGE_BYTES}}
    body = _batch([small, big, small])
    parsed = segment.parse(make_hit(Protocol.SEGMENT, "POST", "/v1/batch", body))
    assert [e["name"] for e in parsed.events] == ["Small", "Small"]
    [bad] = parsed.bad
    assert bad.reason is BadReason.TOO_LARGE
    assert json.loads(bad.payload) == big
    assert bad.detail.startswith("item 1: the message is ")
    assert bad.detail.endswith(f"bytes; Segment takes at most {segment.MAX_MESSAGE_BYTES}")
    # at the bound itself a message is taken
    at_bound = {**small, "properties": {"blob": ""}}
    room = segment.MAX_MESSAGE_BYTES - len(json.dumps(at_bound, separators=(",", ":")))
    at_bound["properties"] = {"blob": "y" * room}
    body = _batch([at_bound, small])
    assert len(segment.parse(make_hit(Protocol.SEGMENT, "POST", "/v1/batch", body)).events) == 2


def test_a_batch_body_over_500_kb_is_refused_whole_and_one_message_over_32_kb_too() -> None:
    message = {"type": "track", "event": "Filler", "anonymousId": "a", "properties": {}}
    message["properties"] = {"blob": "z" * 20_000}
    body = _batch([message] * 26)
    assert len(body) > segment.MAX_BATCH_BYTES
    parsed = segment.parse(
        make_hit(Protocol.SEGMENT, "POST", "/v1/batch", body, headers=_basic(WRITE_KEY))
    )
    assert parsed.events == []
    assert parsed.credentials.write_key == WRITE_KEY
    [bad] = parsed.bad
    assert bad.reason is BadReason.TOO_LARGE
    assert bad.payload == body.decode()
    assert bad.detail == (
        f"the body is {len(body)} bytes; Segment takes at most {segment.MAX_BATCH_BYTES}"
    )
    one = json.dumps({**message, "properties": {"blob": "z" * 40_000}}).encode()
    [bad] = segment.parse(make_hit(Protocol.SEGMENT, "POST", "/v1/track", one)).bad
    assert bad.reason is BadReason.TOO_LARGE
    assert bad.payload == one.decode()
