from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from collector.enrich import ENRICHED_FIELDS, enrich, visitor_hash
from collector.enrich import samples as ua
from collector.model import Hit
from lakehouse.schema import EVENT_FIELDS, EventV1, Origin, Protocol

SECRET = b"a-secret-of-at-least-16-bytes"
RECEIVED = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)
IP = "81.2.69.160"


def hit(
    user_agent: str | None = ua.SAFARI_IPHONE,
    ip: str = IP,
    protocol: Protocol = Protocol.NATIVE,
    language: str | None = "en-GB",
) -> Hit:
    headers = {"content-type": "application/json"}
    if user_agent is not None:
        headers["user-agent"] = user_agent
    if language is not None:
        headers["accept-language"] = language
    return Hit(protocol, "POST", "/e", {}, headers, b"{}", ip, RECEIVED)


def page_event(**fields: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "event_id": "0b6c6a3e-5a43-4d7e-9a51-3b2f0f7b9d11",
        "type": "page",
        "name": "pageview",
        "site_id": "demo-shop",
        "client_ts": RECEIVED,
        "url": "https://shop.example/spring?utm_source=newsletter&utm_medium=email&utm_campaign=s1",
        "referrer": "https://mail.google.com/mail/u/0/",
    }
    event.update(fields)
    return event


def test_fills_the_enrichment_fields() -> None:
    enriched = enrich(page_event(), hit(), SECRET)
    assert {name: enriched[name] for name in ENRICHED_FIELDS} == {
        "visitor_id": visitor_hash(SECRET, date(2025, 3, 14), "demo-shop", IP, ua.SAFARI_IPHONE),
        "browser": "Mobile Safari",
        "browser_version": "17.4",
        "os": "iOS",
        "device_type": "mobile",
        "is_bot": False,
        "country": "GB",
        "region": None,
        "referrer_class": "email",
    }
    assert enriched["path"] == "/spring"
    assert (enriched["utm_source"], enriched["utm_medium"], enriched["utm_campaign"]) == (
        "newsletter",
        "email",
        "s1",
    )


def test_enrichment_fields_are_exactly_the_collectors_minus_the_pipelines() -> None:
    collector_fields = {f.name for f in EVENT_FIELDS if f.origin is Origin.COLLECTOR}
    assert set(ENRICHED_FIELDS) == collector_fields - {"received_at", "protocol"}


def test_the_result_is_a_valid_event_with_no_address_in_it() -> None:
    enriched = enrich(page_event(), hit(), SECRET)
    record = EventV1.model_validate(
        {**enriched, "received_at": RECEIVED, "protocol": "native"}
    ).model_dump_json()
    assert IP not in record
    assert IP not in repr(enriched)


def test_the_input_event_is_left_alone() -> None:
    event = page_event()
    before = dict(event)
    enrich(event, hit(), SECRET)
    assert event == before


def test_client_values_win_over_url_values() -> None:
    event = page_event(path="/given", utm_source="given-source", utm_medium="cpc")
    enriched = enrich(event, hit(), SECRET)
    assert enriched["path"] == "/given"
    assert enriched["utm_source"] == "given-source"
    assert enriched["utm_medium"] == "cpc"
    assert enriched["utm_campaign"] == "s1"
    # cpc is not a mailing: the webmail referrer still makes it email
    assert enriched["referrer_class"] == "email"


def test_anonymous_id_is_the_visitor_id() -> None:
    enriched = enrich(page_event(anonymous_id="anon-42"), hit(), SECRET)
    assert enriched["visitor_id"] == "anon-42"


def test_crawler_is_flagged_not_dropped() -> None:
    enriched = enrich(page_event(), hit(ua.GOOGLEBOT), SECRET)
    assert (enriched["is_bot"], enriched["device_type"], enriched["browser"]) == (
        True,
        "bot",
        "Googlebot",
    )
    assert enriched["event_id"] == page_event()["event_id"]


def test_datacenter_visitor_keeps_its_device() -> None:
    enriched = enrich(page_event(), hit(ip=ua.IP_AWS), SECRET)
    assert (enriched["is_bot"], enriched["device_type"], enriched["country"]) == (
        True,
        "mobile",
        "KR",
    )


def test_missing_user_agent_and_private_address() -> None:
    enriched = enrich(page_event(url=None), hit(None, ip="10.0.0.7"), SECRET)
    assert enriched["is_bot"] is True
    assert enriched["device_type"] == "bot"
    assert enriched["browser"] is None
    assert enriched["country"] is None
    assert enriched.get("path") is None
    assert len(enriched["visitor_id"]) == 32


def test_direct_visit() -> None:
    enriched = enrich(page_event(referrer=None, url="https://shop.example/"), hit(), SECRET)
    assert enriched["referrer_class"] == "direct"
    assert enriched["path"] == "/"
