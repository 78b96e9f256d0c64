"""GA4 Measurement Protocol, with request bodies written as Google's public docs show them."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from collector.model import Hit
from collector.protocols import ga4
from lakehouse.bad_rows import BadReason
from lakehouse.schema import Protocol
from tests.support.captured_requests import RECEIVED_AT, SequentialIds, make_hit

QUERY = {"measurement_id": "G-DEMOSHOP1", "api_secret": "s3cr3t-from-admin"}


def _hit(body: str | bytes, query: dict[str, str] | None = None) -> Hit:
    raw = body.encode() if isinstance(body, str) else body
    return make_hit(
        Protocol.GA4, "POST", "/mp/collect", raw, query=QUERY if query is None else query
    )


# The docs' campaign example, verbatim in shape.
CAMPAIGN_DETAILS = """{
  "client_id": "123456.7654321",
  "events": [
    {
      "name": "campaign_details",
      "params": {
        "campaign_id": "google_1234",
        "campaign": "Summer_fun",
        "source": "google",
        "medium": "cpc",
        "term": "summer+travel",
        "content": "logolink",
        "session_id": "123",
        "engagement_time_msec": "100"
      }
    }
  ]
}"""

PURCHASE_AND_PAGE_VIEW = """{
  "client_id": "XXXXXXXXXX.YYYYYYYYYY",
  "user_id": "123",
  "timestamp_micros": "1764064000000000",
  "user_properties": {"customer_tier": {"value": "premium"}},
  "events": [
    {
      "name": "page_view",
      "params": {
        "page_location": "https://shop.example/checkout?utm_source=mail",
        "page_title": "Checkout",
        "page_referrer": "https://shop.example/cart",
        "session_id": 1764063000,
        "engagement_time_msec": 1200
      }
    },
    {
      "name": "purchase",
      "timestamp_micros": 1764064005000000,
      "params": {
        "currency": "USD",
        "value": 30.03,
        "transaction_id": "T_12345",
        "session_id": 1764063000,
        "items": [
          {"item_id": "SKU_12345", "item_name": "Stan and Friends Tee", "price": 10.01,
           "quantity": 3}
        ]
      }
    }
  ]
}"""


def test_campaign_details_from_the_docs() -> None:
    parsed = ga4.parse(_hit(CAMPAIGN_DETAILS), SequentialIds())
    assert parsed.credentials.site_ref == "G-DEMOSHOP1"
    assert parsed.credentials.write_key == "s3cr3t-from-admin"
    assert parsed.bad == []
    assert parsed.events == [
        {
            "event_id": "id-1",
            "type": "track",
            "name": "campaign_details",
            "anonymous_id": "123456.7654321",
            "session_id": "123",
            "client_ts": RECEIVED_AT,
            "utm_source": "google",
            "utm_medium": "cpc",
            "utm_campaign": "Summer_fun",
            "utm_term": "summer+travel",
            "utm_content": "logolink",
            "properties": {"campaign_id": "google_1234", "engagement_time_msec": "100"},
        }
    ]


def test_page_view_and_purchase_with_timestamps() -> None:
    parsed = ga4.parse(_hit(PURCHASE_AND_PAGE_VIEW), SequentialIds())
    page, purchase = parsed.events
    assert page == {
        "event_id": "id-1",
        "type": "page",
        "name": "pageview",
        "anonymous_id": "XXXXXXXXXX.YYYYYYYYYY",
        "user_id": "123",
        "session_id": "1764063000",
        "client_ts": datetime(2025, 11, 25, 9, 46, 40, tzinfo=UTC),
        "url": "https://shop.example/checkout?utm_source=mail",
        "title": "Checkout",
        "referrer": "https://shop.example/cart",
        "properties": {"engagement_time_msec": "1200"},
    }
    assert purchase["event_id"] == "id-2"
    assert purchase["type"] == "track"
    assert purchase["client_ts"] == datetime(2025, 11, 25, 9, 46, 45, tzinfo=UTC)  # event's own
    assert purchase["properties"] == {
        "currency": "USD",
        "value": "30.03",
        "transaction_id": "T_12345",
        "items": '[{"item_id":"SKU_12345","item_name":"Stan and Friends Tee",'
        '"price":10.01,"quantity":3}]',
    }


def test_app_stream_and_screen_view() -> None:
    body = {
        "app_instance_id": "cbd7e9a1f2b84c3d9e0f1a2b3c4d5e6f",
        "device": {"language": "fr-FR", "screen_resolution": "1280x2856"},
        "events": [
            {"name": "screen_view", "params": {"screen_name": "Basket", "engagement_time_msec": 50}}
        ],
    }
    hit = _hit(
        json.dumps(body),
        {"firebase_app_id": "1:1234567890:android:321abc456def7890", "api_secret": "k"},
    )
    parsed = ga4.parse(hit, SequentialIds())
    assert parsed.credentials.site_ref == "1:1234567890:android:321abc456def7890"
    [event] = parsed.events
    assert (event["type"], event["name"]) == ("screen", "Basket")
    assert event["anonymous_id"] == body["app_instance_id"]
    assert (event["screen_width"], event["screen_height"], event["language"]) == (
        1280,
        2856,
        "fr-FR",
    )


def test_more_than_25_events_is_too_many_events() -> None:
    body = json.dumps({"client_id": "c", "events": [{"name": "tick"}] * 26})
    parsed = ga4.parse(_hit(body))
    assert parsed.events == []
    [bad] = parsed.bad
    assert bad.reason is BadReason.TOO_MANY_EVENTS
    assert bad.payload == body
    assert parsed.credentials.site_ref == "G-DEMOSHOP1"


def test_bad_events_are_rejected_one_by_one() -> None:
    body = {
        "client_id": "c",
        "events": [
            {"name": "ok"},
            {"params": {"a": 1}},
            {"name": "x", "params": [1]},
            {"name": "y", "timestamp_micros": "yesterday"},
            "z",
        ],
    }
    parsed = ga4.parse(_hit(json.dumps(body)), SequentialIds())
    assert [e["name"] for e in parsed.events] == ["ok"]
    assert [b.reason for b in parsed.bad] == [BadReason.MALFORMED] * 4
    assert [json.loads(b.payload) for b in parsed.bad] == body["events"][1:]


def test_unreadable_requests() -> None:
    for body in (
        '{"client_id": "c"}',
        '{"client_id": "c", "timestamp_micros": "x", "events": []}',
        "nope",
    ):
        parsed = ga4.parse(_hit(body))
        assert parsed.events == []
        assert [b.reason for b in parsed.bad] == [BadReason.MALFORMED]
        assert parsed.bad[0].payload == body
    parsed = ga4.parse(_hit('{"client_id": "c", "events": []}', {}))
    assert parsed.credentials.site_ref is None
    assert parsed.events == []
    assert parsed.bad == []
