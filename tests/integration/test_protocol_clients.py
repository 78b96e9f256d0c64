"""Official third-party clients and documented request shapes, through the running collector
into Kafka: each lands in events.v1 with the right fields."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
from segment.analytics import Client as SegmentClient
from snowplow_tracker.emitters import Emitter
from snowplow_tracker.events.page_view import PageView
from snowplow_tracker.events.structured_event import StructuredEvent
from snowplow_tracker.subject import Subject
from snowplow_tracker.tracker import Tracker

from lakehouse.schema import EventV1
from lakehouse.settings import Settings
from tests.kafka_topic import consume, events_by_id

VISITOR_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)


def collected(settings: Settings, wanted: set[str]) -> dict[str, dict[str, Any]]:
    """events.v1 records by event_id, validated against the contract."""
    return {
        event_id: EventV1.model_validate(message.value).model_dump()
        for event_id, message in events_by_id(settings, wanted).items()
    }


def base_url(settings: Settings) -> str:
    return f"http://{settings.host}:{settings.ports.collector}"


def test_segment_analytics_python(collector: Settings) -> None:
    errors: list[str] = []
    client = SegmentClient(
        "demo-shop-write-key",
        host=base_url(collector),
        sync_mode=True,
        on_error=lambda error, batch: errors.append(str(error)),
    )
    context = {"userAgent": VISITOR_UA, "ip": "81.2.69.160", "locale": "en-GB"}
    _, track = client.track(
        user_id="u-1", event="Order Completed", properties={"revenue": 42.5}, context=context
    )
    _, page = client.page(
        anonymous_id="a-1",
        name="Pricing",
        properties={"url": "https://shop.example/pricing?utm_source=ads"},
        context=context,
    )
    assert errors == []
    found = collected(collector, {track["messageId"], page["messageId"]})
    order, pricing = found[track["messageId"]], found[page["messageId"]]
    assert order["type"] == "track" and order["name"] == "Order Completed"
    assert order["user_id"] == "u-1" and order["properties"] == {"revenue": "42.5"}
    assert order["site_id"] == "demo-shop" and order["protocol"] == "segment"
    assert order["library_name"] == "analytics-python"
    # enriched as the visitor the server reported, not as the server
    assert order["browser"] == "Mobile Safari" and order["device_type"] == "mobile"
    assert order["is_bot"] is False and order["country"] == "GB"
    assert pricing["type"] == "page" and pricing["path"] == "/pricing"
    assert pricing["utm_source"] == "ads" and pricing["visitor_id"] == "a-1"


def test_snowplow_python_tracker_post_and_get(collector: Settings) -> None:
    subject = Subject().set_domain_user_id("duid-9").set_useragent(VISITOR_UA)
    ids: list[str] = []
    for method in ("post", "get"):
        emitter = Emitter(
            collector.host,
            protocol="http",
            port=collector.ports.collector,
            method=method,
            batch_size=1,
        )
        tracker = Tracker("sp", emitter, subject=subject, app_id="docs-app")
        for tracked in (
            PageView("https://docs.example/guide", "Guide"),
            StructuredEvent("video", "play", label="intro"),
        ):
            event_id = tracker.track(tracked)
            assert event_id is not None
            ids.append(event_id)
        tracker.flush()
    found = collected(collector, set(ids))
    assert set(found) == set(ids)
    for event_id in ids:
        event = found[event_id]
        assert event["site_id"] == "demo-docs" and event["protocol"] == "snowplow"
        assert event["anonymous_id"] == "duid-9" and event["browser"] == "Mobile Safari"
    page, play = found[ids[0]], found[ids[1]]
    assert page["type"] == "page" and page["path"] == "/guide" and page["title"] == "Guide"
    assert play["type"] == "track" and play["name"] == "play"


def test_ga4_measurement_protocol_request(collector: Settings) -> None:
    client_id = f"{uuid.uuid4().int % 10**9}.{int(time.time())}"
    response = httpx.post(
        f"{base_url(collector)}/mp/collect",
        params={"measurement_id": "G-DEMOSHOP1", "api_secret": "demo-shop-write-key"},
        json={
            "client_id": client_id,
            "user_id": "u-7",
            "events": [
                {
                    "name": "purchase",
                    "params": {"currency": "EUR", "value": 30.03, "transaction_id": "T_1"},
                }
            ],
        },
    )
    assert response.status_code == 204, response.text
    event = _single_for_visitor(collector, client_id)
    assert event["type"] == "track" and event["name"] == "purchase"
    assert event["user_id"] == "u-7" and event["site_id"] == "demo-shop"
    assert event["properties"]["transaction_id"] == "T_1" and event["protocol"] == "ga4"


def test_plausible_events_api_request(collector: Settings) -> None:
    marker = uuid.uuid4().hex
    response = httpx.post(
        f"{base_url(collector)}/api/event",
        headers={
            "user-agent": VISITOR_UA,
            "x-forwarded-for": "81.2.69.160",
            "content-type": "application/json",
        },
        json={
            "name": "pageview",
            "url": f"https://docs.example/start?ref={marker}",
            "domain": "docs.example",
            "referrer": "https://duckduckgo.com/",
            "props": {"author": "ada"},
        },
    )
    assert response.status_code == 202, response.text
    event = _single_matching(collector, lambda e: marker in (e.get("url") or ""))
    assert event["type"] == "page" and event["site_id"] == "demo-docs"
    assert event["referrer_class"] == "search" and event["country"] == "GB"
    assert event["properties"] == {"author": "ada"} and event["protocol"] == "plausible"
    assert len(event["visitor_id"]) == 32  # the cookieless hash


def _single_for_visitor(settings: Settings, visitor: str) -> dict[str, Any]:
    return _single_matching(settings, lambda e: e.get("anonymous_id") == visitor)


def _single_matching(settings: Settings, match: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    found = consume(
        settings,
        settings.kafka.events_topic,
        done=lambda kept: True,
        keep=lambda message: match(message.value),
        timeout_ms=10_000,
    )
    assert found, "no such event in events.v1"
    return found[0].value
