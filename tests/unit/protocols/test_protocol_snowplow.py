"""Snowplow tracker protocol: golden requests from the official snowplow-tracker library
(POST tp2 batches and GET /i pixels), and hand-written payloads."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

from snowplow_tracker._version import __version__ as SNOWPLOW_VERSION
from snowplow_tracker.emitters import Emitter
from snowplow_tracker.events.page_ping import PagePing
from snowplow_tracker.events.page_view import PageView
from snowplow_tracker.events.screen_view import ScreenView
from snowplow_tracker.events.self_describing import SelfDescribing
from snowplow_tracker.events.structured_event import StructuredEvent
from snowplow_tracker.self_describing_json import SelfDescribingJson
from snowplow_tracker.subject import Subject
from snowplow_tracker.tracker import Tracker

from collector.model import FORWARDED_CLIENT, ForwardedClient
from collector.protocols import snowplow
from lakehouse.bad_rows import BadReason
from lakehouse.schema import Protocol
from tests.support.captured_requests import (
    RECEIVED_AT,
    SequentialIds,
    capture_server,
    hit_of,
    make_hit,
)

APP_ID = "docs-app"
ADD_TO_CART = "iglu:com.acme/add_to_cart/jsonschema/1-0-0"
CLIENT_SESSION = "iglu:com.snowplowanalytics.snowplow/client_session/jsonschema/1-0-2"
TRUE_TS_MS = 1_764_064_000_123  # 2025-11-25T09:46:40.123Z


def _web_subject() -> Subject:
    subject = Subject()
    subject.set_user_id("u-42").set_domain_user_id("duid-1").set_domain_session_id("sid-1")
    subject.set_screen_resolution(1920, 1080).set_lang("en-GB")
    subject.set_useragent("Mozilla/5.0 (Macintosh) Safari/605.1.15").set_ip_address("198.51.100.7")
    return subject


def _from_ms(value: str) -> datetime:
    return datetime.fromtimestamp(int(value) / 1000, tz=UTC)


def _derived(params: dict[str, Any]) -> datetime:
    return _from_ms(params["dtm"]) + (RECEIVED_AT - _from_ms(params["stm"]))


def test_python_tracker_post_batch_maps_every_event_kind() -> None:
    with capture_server() as server:
        emitter = Emitter(
            "127.0.0.1", protocol="http", port=server.port, method="post", batch_size=100
        )
        tracker = Tracker("sp", emitter, subject=_web_subject(), app_id=APP_ID)
        ids = [
            tracker.track(
                PageView(
                    "https://docs.example/guide?utm_source=hn",
                    "Guide",
                    "https://news.ycombinator.com/",
                )
            ),
            tracker.track(
                PagePing("https://docs.example/guide", min_x=0, max_x=1280, min_y=40, max_y=2200)
            ),
            tracker.track(
                StructuredEvent("video", "play", label="intro", property_="hd", value=12.5)
            ),
            tracker.track(
                SelfDescribing(
                    SelfDescribingJson(
                        ADD_TO_CART, {"sku": "A-1", "quantity": 2, "price": 9.5, "tags": ["x", "y"]}
                    ),
                    true_timestamp=TRUE_TS_MS,
                )
            ),
            tracker.track(ScreenView(id_="scr-2", name="Settings", previous_name="Home")),
        ]
        tracker.flush()

    [request] = server.requests
    assert (request.method, request.path) == ("POST", "/com.snowplowanalytics.snowplow/tp2")
    payload = json.loads(request.body)
    assert payload["schema"].startswith(
        "iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-"
    )
    params = payload["data"]
    parsed = snowplow.parse(hit_of(request))
    assert parsed.bad == []
    assert parsed.credentials.site_ref == APP_ID
    assert parsed.credentials.write_key is None
    page, ping, structured, custom, screen = parsed.events
    assert [e["event_id"] for e in parsed.events] == ids

    assert page == {
        FORWARDED_CLIENT: ForwardedClient(
            "Mozilla/5.0 (Macintosh) Safari/605.1.15", "198.51.100.7"
        ),
        "event_id": ids[0],
        "type": "page",
        "name": "pageview",
        "anonymous_id": "duid-1",
        "user_id": "u-42",
        "session_id": "sid-1",
        "client_ts": _derived(params[0]),
        "url": "https://docs.example/guide?utm_source=hn",
        "title": "Guide",
        "referrer": "https://news.ycombinator.com/",
        "screen_width": 1920,
        "screen_height": 1080,
        "language": "en-GB",
        "library_name": "snowplow-py",
        "library_version": SNOWPLOW_VERSION,
    }
    assert (ping["type"], ping["name"]) == ("track", "page_ping")
    assert ping["properties"] == {"min_x": "0", "max_x": "1280", "min_y": "40", "max_y": "2200"}
    assert (structured["type"], structured["name"]) == ("track", "play")
    assert structured["properties"] == {
        "category": "video",
        "label": "intro",
        "property": "hd",
        "value": "12.5",
    }
    assert (custom["type"], custom["name"]) == ("track", "add_to_cart")
    assert custom["properties"] == {
        "sku": "A-1",
        "quantity": "2",
        "price": "9.5",
        "tags": '["x","y"]',
        "schema": ADD_TO_CART,
    }
    assert custom["client_ts"] == _from_ms(str(TRUE_TS_MS))  # the true timestamp wins
    assert (screen["type"], screen["name"]) == ("screen", "Settings")
    assert screen["properties"]["previousName"] == "Home"
    assert screen["properties"]["id"] == "scr-2"


def test_python_tracker_get_pixels_with_unencoded_json() -> None:
    with capture_server() as server:
        emitter = Emitter("127.0.0.1", protocol="http", port=server.port, method="get")
        tracker = Tracker("mob", emitter, app_id=APP_ID, encode_base64=False)
        session = SelfDescribingJson(
            CLIENT_SESSION, {"userId": "device-9", "sessionId": "sess-3", "sessionIndex": 3}
        )
        first = tracker.track(PageView("https://docs.example/", "Home"))
        second = tracker.track(
            SelfDescribing(SelfDescribingJson(ADD_TO_CART, {"sku": "B-2"}), context=[session])
        )
        tracker.flush()

    assert [(r.method, r.path) for r in server.requests] == [("GET", "/i"), ("GET", "/i")]
    assert "ue_pr" in server.requests[1].query
    assert "co" in server.requests[1].query
    [page], [custom] = (snowplow.parse(hit_of(r)).events for r in server.requests)
    assert page["event_id"] == first
    assert page["title"] == "Home"
    assert "anonymous_id" not in page
    assert custom["event_id"] == second
    assert custom["properties"]["sku"] == "B-2"
    # Mobile trackers carry the session and device ids in the client_session context.
    assert (custom["session_id"], custom["anonymous_id"]) == ("sess-3", "device-9")


def _post(
    *events: dict[str, Any],
    schema: str = "iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4",
) -> bytes:
    return json.dumps({"schema": schema, "data": list(events)}).encode()


def test_one_bad_event_does_not_reject_the_batch() -> None:
    good = {
        "e": "pv",
        "eid": "e-1",
        "aid": APP_ID,
        "url": "https://docs.example/a",
        "dtm": "1764064000000",
    }
    batch: list[Any] = [
        good,
        {"e": "ad", "aid": APP_ID},  # ad impressions: not mapped
        {"aid": APP_ID, "url": "https://docs.example/b"},  # no event type
        {"e": "ue", "ue_px": "%%%not-base64"},
        {"e": "ue", "ue_pr": json.dumps({"schema": "x", "data": {"schema": "nope", "data": {}}})},
        {"e": "se", "se_ca": "video"},  # no action
        {"e": "pv", "dtm": "soon"},
        {"e": "pv", "aid": "other-app"},
        42,
    ]
    hit = make_hit(Protocol.SNOWPLOW, "POST", snowplow.POST_PATH, _post(*batch))
    parsed = snowplow.parse(hit, SequentialIds())
    assert [e["event_id"] for e in parsed.events] == ["e-1"]
    assert parsed.events[0]["client_ts"] == datetime(2025, 11, 25, 9, 46, 40, tzinfo=UTC)
    assert parsed.credentials.site_ref == APP_ID
    assert [b.reason for b in parsed.bad] == [
        BadReason.UNSUPPORTED,
        BadReason.MALFORMED,
        BadReason.MALFORMED,
        BadReason.MALFORMED,
        BadReason.MALFORMED,
        BadReason.MALFORMED,
        BadReason.UNSUPPORTED,
        BadReason.MALFORMED,
    ]
    assert [json.loads(b.payload) for b in parsed.bad] == batch[1:]
    assert "ue_px" in parsed.bad[2].detail


def test_event_without_ids_or_times_gets_new_id_and_receipt_time() -> None:
    hit = make_hit(
        Protocol.SNOWPLOW,
        "GET",
        "/i",
        query={"e": "pv", "url": "https://docs.example/x", "res": "wide"},
    )
    [event] = snowplow.parse(hit, SequentialIds()).events
    assert event["event_id"] == "id-1"
    assert event["client_ts"] == RECEIVED_AT
    assert "screen_width" not in event  # unreadable resolution: left out, the event kept


def test_base64_self_describing_event_without_padding() -> None:
    envelope = {
        "schema": "iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0",
        "data": {
            "schema": "iglu:com.snowplowanalytics.snowplow/link_click/jsonschema/1-0-1",
            "data": {"targetUrl": "https://docs.example/pdf", "elementId": "dl"},
        },
    }
    encoded = base64.urlsafe_b64encode(json.dumps(envelope).encode()).decode().rstrip("=")
    hit = make_hit(
        Protocol.SNOWPLOW, "GET", "/i", query={"e": "ue", "ue_px": encoded, "tv": "js-3.24.2"}
    )
    [event] = snowplow.parse(hit).events
    assert event["name"] == "link_click"
    assert event["properties"]["targetUrl"] == "https://docs.example/pdf"
    assert (event["library_name"], event["library_version"]) == ("snowplow-js", "3.24.2")


def test_unreadable_requests_are_one_bad_row() -> None:
    cases = [
        (_post(schema="iglu:com.acme/other/jsonschema/1-0-0"), BadReason.UNSUPPORTED),
        (b'{"data": []}', BadReason.MALFORMED),
        (
            _post()[:-3] + b"{}}",
            BadReason.MALFORMED,
        ),
        (b"e=pv&url=x", BadReason.MALFORMED),
    ]
    for body, reason in cases:
        parsed = snowplow.parse(make_hit(Protocol.SNOWPLOW, "POST", snowplow.POST_PATH, body))
        assert parsed.events == []
        assert [(b.reason, b.payload) for b in parsed.bad] == [(reason, body.decode())]


def test_bad_pixel_keeps_its_query_string_as_payload() -> None:
    hit = make_hit(Protocol.SNOWPLOW, "GET", "/i", query={"e": "zz", "aid": APP_ID})
    parsed = snowplow.parse(hit)
    assert parsed.credentials.site_ref == APP_ID
    [bad] = parsed.bad
    assert bad.reason is BadReason.UNSUPPORTED
    assert bad.payload == "e=zz&aid=docs-app"
