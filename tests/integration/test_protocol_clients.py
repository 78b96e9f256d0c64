"""Official third-party clients and documented request shapes, through the running collector
into Kafka: each lands in events.v1 with the right fields."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
from segment.analytics import Client as SegmentClient
from segment.analytics.request import post as segment_post
from snowplow_tracker.emitters import Emitter
from snowplow_tracker.events.page_view import PageView
from snowplow_tracker.events.structured_event import StructuredEvent
from snowplow_tracker.subject import Subject
from snowplow_tracker.tracker import Tracker

from lakehouse.schema import EventV1
from lakehouse.settings import Settings
from tests.support.kafka import consume, events_by_id

VISITOR_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)


SEGMENT_AUTH = ("demo-shop-write-key", "")  # Basic auth: the write key, no password


def collected(settings: Settings, wanted: set[str]) -> dict[str, dict[str, Any]]:
    """events.v1 records by event_id, validated against the contract."""
    return {
        event_id: EventV1.model_validate(message.value).model_dump()
        for event_id, message in events_by_id(settings, wanted).items()
    }


def base_url(settings: Settings) -> str:
    return f"http://{settings.host}:{settings.ports.collector}"


def segment_client(settings: Settings, errors: list[str]) -> SegmentClient:
    """analytics-python sending each call at once, its errors kept in ``errors``."""
    return SegmentClient(
        SEGMENT_AUTH[0],
        host=base_url(settings),
        sync_mode=True,
        on_error=lambda error, batch: errors.append(str(error)),
    )


def test_segment_analytics_python(collector: Settings) -> None:
    errors: list[str] = []
    client = segment_client(collector, errors)
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
    assert order["type"] == "track"
    assert order["name"] == "Order Completed"
    assert order["user_id"] == "u-1"
    assert order["properties"] == {"revenue": "42.5"}
    assert order["site_id"] == "demo-shop"
    assert order["protocol"] == "segment"
    assert order["library_name"] == "analytics-python"
    # enriched as the visitor the server reported, not as the server
    assert order["browser"] == "Mobile Safari"
    assert order["device_type"] == "mobile"
    assert order["is_bot"] is False
    assert order["country"] == "GB"
    assert pricing["type"] == "page"
    assert pricing["path"] == "/pricing"
    assert pricing["utm_source"] == "ads"
    assert pricing["visitor_id"] == "a-1"


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
        assert event["site_id"] == "demo-docs"
        assert event["protocol"] == "snowplow"
        assert event["anonymous_id"] == "duid-9"
        assert event["browser"] == "Mobile Safari"
    page, play = found[ids[0]], found[ids[1]]
    assert page["type"] == "page"
    assert page["path"] == "/guide"
    assert page["title"] == "Guide"
    assert play["type"] == "track"
    assert play["name"] == "play"


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
    assert event["type"] == "track"
    assert event["name"] == "purchase"
    assert event["user_id"] == "u-7"
    assert event["site_id"] == "demo-shop"
    assert event["properties"]["transaction_id"] == "T_1"
    assert event["protocol"] == "ga4"


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
    assert event["type"] == "page"
    assert event["site_id"] == "demo-docs"
    assert event["referrer_class"] == "search"
    assert event["country"] == "GB"
    assert event["properties"] == {"author": "ada"}
    assert event["protocol"] == "plausible"
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


def test_segment_alias_and_group_land_as_identity_events(collector: Settings) -> None:
    errors: list[str] = []
    client = segment_client(collector, errors)
    _, alias = client.alias(previous_id="anon-3", user_id="u-3")
    _, group = client.group(user_id="u-3", group_id="acme", traits={"plan": "enterprise"})
    assert errors == []
    found = collected(collector, {alias["messageId"], group["messageId"]})
    linked, joined = found[alias["messageId"]], found[group["messageId"]]
    assert (linked["type"], linked["name"], linked["user_id"]) == ("identify", "alias", "u-3")
    assert linked["properties"] == {"previous_id": "anon-3"}
    assert (joined["type"], joined["name"]) == ("identify", "group")
    assert joined["properties"] == {"plan": "enterprise", "group_id": "acme"}


def test_a_segment_message_over_32_kb_is_rejected_alone(collector: Settings) -> None:
    small = {"type": "track", "event": "Small", "anonymousId": "a-32k"}
    ids = [str(uuid.uuid4()) for _ in range(3)]
    batch = [
        {**small, "messageId": ids[0]},
        {**small, "messageId": ids[1], "properties": {"blob": "x" * 40_000}},
        {**small, "messageId": ids[2]},
    ]
    response = httpx.post(
        f"{base_url(collector)}/v1/batch", json={"batch": batch}, auth=SEGMENT_AUTH
    )
    assert response.status_code == 200, response.text
    answer = response.json()
    assert (answer["accepted"], answer["rejected"]) == (2, 1)
    [error] = answer["errors"]
    assert error["reason"] == "too_large"
    assert error["detail"].startswith("item 1: the message")
    assert set(collected(collector, {ids[0], ids[2]})) == {ids[0], ids[2]}


def test_a_page_that_is_not_on_the_web_is_a_schema_violation_of_its_url(
    collector: Settings,
) -> None:
    response = httpx.post(
        f"{base_url(collector)}/api/event",
        headers={"user-agent": VISITOR_UA, "content-type": "application/json"},
        json={"name": "pageview", "url": "javascript:alert(1)", "domain": "docs.example"},
    )
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "schema_violation"
    assert response.json()["detail"].startswith("url: ")


def test_a_segment_batch_body_over_500_kb_is_refused_413(collector: Settings) -> None:
    """A request its parse refused whole for too_large (or too_many_events) answers 413, as
    Segment's API does (Outcome.status)."""
    filler = {"type": "track", "event": "Filler", "anonymousId": "a", "properties": {}}
    filler["properties"] = {"blob": "z" * 20_000}
    body = json.dumps({"batch": [filler] * 26}).encode()
    assert 500 * 1024 < len(body) < collector.collector.max_body_bytes
    response = httpx.post(f"{base_url(collector)}/v1/batch", content=body, auth=SEGMENT_AUTH)
    assert response.status_code == 413
    assert response.json()["error"] == "too_large"


def test_a_segment_batch_is_bounded_by_bytes_not_by_count(collector: Settings) -> None:
    """collector.max_events_per_batch is not applied to Segment, whose adapter bounds a batch
    by bytes; analytics-python sends up to upload_size messages within 475,000 bytes."""
    batch = [
        {"type": "track", "event": "Tick", "anonymousId": "a-many", "messageId": str(uuid.uuid4())}
        for _ in range(1_200)
    ]
    segment_post(SEGMENT_AUTH[0], host=base_url(collector), batch=batch)  # raises on 4xx
    assert len(collected(collector, {m["messageId"] for m in batch})) == 1_200


def test_every_rejection_in_a_batch_answer_carries_its_item_index(collector: Settings) -> None:
    """Each error names its item's position in the request's batch, whichever step refused
    it (collector.model.Parsed carries the item of each event and of each parse bad row)."""
    good = {"type": "track", "event": "Fine", "anonymousId": "a-index"}
    batch = [
        good,
        {"type": "track", "anonymousId": "a-index"},  # no event: parse
        good,
        "not a message",  # parse
        {"type": "page", "anonymousId": "a-index", "properties": {"url": "data:,x"}},  # validate
    ]
    response = httpx.post(
        f"{base_url(collector)}/v1/batch", json={"batch": batch}, auth=SEGMENT_AUTH
    )
    assert response.status_code == 200, response.text
    assert [e["index"] for e in response.json()["errors"]] == [1, 3, 4]


def test_an_unknown_snowplow_app_is_answered_200_and_kept_as_a_bad_row(
    collector: Settings,
) -> None:
    """Snowplow's own collector answers 200 for an app it does not know, and its trackers
    would retry a 404 for ever; the bad row (unknown_site) is routed to events.bad as for
    every refusal."""
    event_id = str(uuid.uuid4())
    response = httpx.get(
        f"{base_url(collector)}/i", params={"e": "pv", "aid": "no-such-app", "eid": event_id}
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/gif"
    [row] = consume(
        collector,
        collector.kafka.bad_topic,
        done=lambda kept: True,
        keep=lambda message: event_id in message.value.get("payload", ""),
    )
    assert row.value["reason"] == "unknown_site"
    assert row.value["protocol"] == "snowplow"


def test_the_answer_counts_the_events_the_collector_cut(collector: Settings) -> None:
    """The answer says how many accepted events carry the _truncated property ("truncated":
    n, collector.protocols.fields.TRUNCATED_KEY); a counter of them is in /metrics."""
    event_id = str(uuid.uuid4())
    response = httpx.post(
        f"{base_url(collector)}/x/e",
        json={
            "event_id": event_id,
            "type": "track",
            "name": "wide",
            "site_id": "demo-shop",
            "client_ts": datetime.now(UTC).isoformat(),
            "properties": {f"k{n}": n for n in range(10_000)},
        },
    )
    assert response.status_code == 202, response.text
    assert response.json()["truncated"] == 1
    stored = collected(collector, {event_id})[event_id]
    assert stored["properties"]["_truncated"] == "properties"
    metrics = httpx.get(f"{base_url(collector)}/metrics").text
    assert 'collector_events_truncated_total{protocol="native"}' in metrics
