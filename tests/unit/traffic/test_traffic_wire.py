"""Every request the simulator plans is one the collector takes whole: its adapter parses it
without a bad row, its site admits it, and the collector's own steps (validate, clock,
enrich) accept every event, flagging exactly the simulated bots."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl

import httpx
import pytest

from collector.metrics import Metrics
from collector.model import Hit
from collector.pipeline import Pipeline
from collector.protocols import ROUTES
from collector.sink import NoopSink
from collector.sites import SiteDirectory, admit
from lakehouse.schema import ClientEventV1, Protocol
from lakehouse.settings import DEMO_SITES, SiteSettings, load_settings
from traffic.model import Traffic, generate
from traffic.wire import Delivery, UnknownSite, native_event, plan

NOW = datetime(2026, 3, 14, 15, 9, 26, tzinfo=UTC)
RECEIVED_AT = NOW + timedelta(minutes=2)


@pytest.fixture(scope="module")
def traffic() -> Traffic:
    return generate(400, 21, NOW)


@pytest.fixture(scope="module")
def deliveries(traffic: Traffic) -> list[Delivery]:
    return plan(traffic, DEMO_SITES)


def as_hit(delivery: Delivery) -> Hit:
    """The Hit the collector's HTTP layer makes of the request, query encoding included."""
    request = delivery.request
    encoded = httpx.Request(
        request.method, f"http://collector{request.path}", params=request.query or None
    )
    headers = dict(request.headers)
    return Hit(
        protocol=ROUTES[(request.method, request.path)].protocol,
        method=request.method,
        path=request.path,
        query=dict(parse_qsl(encoded.url.query.decode("latin-1"))),
        headers=headers,
        body=request.body,
        client_ip=headers.get("x-forwarded-for", "127.0.0.1"),
        received_at=RECEIVED_AT,
    )


def test_every_native_event_is_a_valid_client_event(deliveries: list[Delivery]) -> None:
    native = [d for d in deliveries if d.protocol == Protocol.NATIVE]
    assert native
    for delivery in native:
        body = json.loads(delivery.request.body)
        assert isinstance(body, list)
        assert len(body) == len(delivery.events)
        for item in body:
            ClientEventV1.model_validate(item)


def test_native_event_is_what_the_tracker_sends(traffic: Traffic) -> None:
    event = next(e for e in traffic.events if traffic.visitor(e.visitor).protocol.value == "native")
    sent = native_event(traffic.visitor(event.visitor), event)
    assert sent["library_name"] == "beacon-js"
    assert "anonymous_id" not in sent
    assert sent["client_ts"].endswith("Z")


def test_every_request_parses_with_its_adapter_and_is_admitted(
    deliveries: list[Delivery],
) -> None:
    directory = SiteDirectory(DEMO_SITES)
    protocols = set()
    for delivery in deliveries:
        route = ROUTES[(delivery.request.method, delivery.request.path)]
        assert route.protocol == delivery.protocol
        hit = as_hit(delivery)
        parsed = route.parse(hit)
        assert parsed.bad == [], (delivery.request, parsed.bad)
        assert len(parsed.events) == len(delivery.events)
        site_ref = parsed.events[0].get("site_id") or parsed.credentials.site_ref
        site = directory.resolve(site_ref, parsed.credentials.write_key)
        assert isinstance(site, SiteSettings)
        assert site.site_id == delivery.site_id
        origin = hit.headers.get("origin")
        assert admit(site, delivery.protocol, parsed.credentials.write_key, origin) is None
        protocols.add(delivery.protocol)
    assert protocols == set(Protocol)


def test_the_collector_steps_accept_every_event_and_flag_only_bots(
    traffic: Traffic, deliveries: list[Delivery]
) -> None:
    settings = load_settings()
    pipeline = Pipeline(settings, NoopSink(), Metrics(), b"a-test-secret-of-some-length")
    visitor_ids: dict[str, set[str]] = defaultdict(set)
    for delivery in deliveries:
        route = ROUTES[(delivery.request.method, delivery.request.path)]
        outcome, good = pipeline.run_steps(as_hit(delivery), route.parse)
        assert outcome.bad == [], outcome.bad
        assert outcome.refusal is None
        assert len(good) == len(delivery.events)
        visitor = traffic.visitor(delivery.visitor)
        for event, sent in zip(good, delivery.events, strict=True):
            assert event["is_bot"] is visitor.bot, (visitor, event)
            assert event["site_id"] == delivery.site_id
            assert event["type"] == sent.type.value
            assert event["name"] == sent.name
            if delivery.protocol is not Protocol.PLAUSIBLE:  # Plausible has no client time
                assert event["client_ts"] == sent.client_ts
            if not visitor.bot:
                assert event["country"] == visitor.country
                assert event["device_type"] == visitor.device.kind
            visitor_ids[delivery.visitor].add(event["visitor_id"])
    # one visitor id per simulated visitor, and no two visitors share one
    assert all(len(ids) == 1 for ids in visitor_ids.values())
    assert len({next(iter(ids)) for ids in visitor_ids.values()}) == len(visitor_ids)


def test_a_site_the_collector_lacks_is_named(traffic: Traffic) -> None:
    with pytest.raises(UnknownSite, match="demo-"):
        plan(traffic, DEMO_SITES[:1])
