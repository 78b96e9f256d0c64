"""Plausible Events API, with request bodies written as Plausible's public docs show them,
and the compact keys its own script sends."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from collector.model import Hit
from collector.protocols import plausible
from lakehouse.bad_rows import BadReason
from lakehouse.schema import ClientEventV1, Protocol
from tests.support.captured_requests import RECEIVED_AT, SequentialIds, make_hit

HEADERS = {
    "user-agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/104.0.5112.102 Safari/537.36 OPR/90.0.4480.84",
    "x-forwarded-for": "127.0.0.1",
    "content-type": "application/json",
}


def _hit(body: str) -> Hit:
    return make_hit(Protocol.PLAUSIBLE, "POST", "/api/event", body.encode(), headers=HEADERS)


def test_pageview_from_the_docs() -> None:
    parsed = plausible.parse(
        _hit('{"name":"pageview","url":"http://dummy.site","domain":"dummy.site"}'), SequentialIds()
    )
    assert parsed.credentials.site_ref == "dummy.site"
    assert parsed.credentials.write_key is None
    assert parsed.bad == []
    assert parsed.events == [
        {
            "event_id": "id-1",
            "type": "page",
            "name": "pageview",
            "client_ts": RECEIVED_AT,
            "url": "http://dummy.site",
        }
    ]


def test_custom_event_with_props_revenue_and_referrer() -> None:
    body = (
        '{"name":"Purchase","url":"https://shop.example/thanks?utm_campaign=bf","domain":"shop.example",'
        '"referrer":"https://duckduckgo.com/","props":{"plan":"pro","seats":3,"trial":false},'
        '"revenue":{"currency":"USD","amount":1322.22}}'
    )
    [event] = plausible.parse(_hit(body), SequentialIds()).events
    assert (event["type"], event["name"]) == ("track", "Purchase")
    assert event["referrer"] == "https://duckduckgo.com/"
    assert "utm_campaign=bf" in event["url"]
    assert event["properties"] == {
        "plan": "pro",
        "seats": "3",
        "trial": "false",
        "revenue_amount": "1322.22",
        "revenue_currency": "USD",
    }


def test_script_short_keys_rollup_domains_and_hash_routing() -> None:
    body = {
        "n": "pageview",
        "u": "https://app.example/#/settings/profile",
        "d": "app.example,rollup.example",
        "r": None,
        "p": json.dumps({"author": "Ada"}),  # older scripts send props JSON-encoded
        "h": 1,
        "i": False,
    }
    parsed = plausible.parse(_hit(json.dumps(body)))
    assert parsed.credentials.site_ref == "app.example"
    [event] = parsed.events
    assert event["path"] == "/#/settings/profile"
    assert event["properties"] == {"author": "Ada", "interactive": "false"}
    assert "referrer" not in event


def test_bad_requests_are_typed_and_keep_the_domain() -> None:
    site = '"url":"http://dummy.site","domain":"dummy.site"'
    cases = {
        '{"url":"http://dummy.site","domain":"dummy.site"}': "event without 'name'",
        '{"name":"pageview","domain":"dummy.site"}': "event without 'url'",
        '{"name":"x",' + site + ',"props":[1]}': "'props' is a JSON array",
        '{"name":"x",' + site + ',"props":"{oops"}': "'props' is a string",
        '{"name":"x",' + site + ',"revenue":12}': "'revenue' is a JSON number",
    }
    for body, detail in cases.items():
        parsed = plausible.parse(_hit(body))
        assert parsed.events == []
        assert parsed.credentials.site_ref == "dummy.site"
        [bad] = parsed.bad
        assert (bad.reason, bad.payload) == (BadReason.MALFORMED, body)
        assert bad.detail.startswith(detail), bad.detail
    [bad] = plausible.parse(_hit("name=pageview")).bad
    assert bad.reason is BadReason.MALFORMED
    assert bad.detail.startswith("body is not JSON")


def test_the_scripts_engagement_is_the_engagement_event_of_beacons_tracker() -> None:
    # What @plausible-analytics/tracker 0.4 sends when a page is hidden or left by SPA navigation
    body = {
        "n": "engagement",
        "sd": 73,
        "d": "shop.example",
        "u": "https://shop.example/product/42",
        "p": {"author": "ada"},
        "e": 4211,
        "v": 36,
    }
    [event] = plausible.parse(_hit(json.dumps(body)), SequentialIds()).events
    assert event == {
        "event_id": "id-1",
        "type": "track",
        "name": "engagement",
        "client_ts": RECEIVED_AT,
        "url": "https://shop.example/product/42",
        "properties": {"author": "ada", "engaged_ms": "4211", "scroll_pct": "73"},
        "library_name": "plausible-js",
        "library_version": "36",
    }
    # the deepest point seen over a page that has since shrunk is its bottom
    over = plausible.parse(_hit(json.dumps({**body, "sd": 140}))).events[0]
    assert over["properties"]["scroll_pct"] == "100"


def test_an_engagement_without_its_numbers_is_malformed() -> None:
    base = {"n": "engagement", "u": "https://shop.example/", "d": "shop.example"}
    cases: list[tuple[dict[str, Any], str]] = [
        ({"sd": 10}, "engagement event: 'e' is None"),
        ({"e": 10, "sd": "deep"}, "engagement event: 'sd' is 'deep'"),
        ({"e": -5, "sd": 10}, "engagement event: 'e' is -5"),
        ({"e": True, "sd": 10}, "engagement event: 'e' is True"),
    ]
    for changes, detail in cases:
        [bad] = plausible.parse(_hit(json.dumps({**base, **changes}))).bad
        assert bad.reason is BadReason.MALFORMED, bad.detail
        assert bad.detail.startswith(detail), bad.detail


def test_a_page_that_is_not_on_the_web_fails_the_contract_on_its_url() -> None:
    for url in ("javascript:alert(1)", "data:text/html,<b>x</b>", "file:///etc/passwd", "/docs"):
        body = json.dumps({"name": "pageview", "url": url, "domain": "dummy.site"})
        [event] = plausible.parse(_hit(body)).events
        with pytest.raises(ValidationError) as error:
            ClientEventV1.model_validate({**event, "site_id": "demo-shop"})
        [problem] = error.value.errors()
        assert problem["loc"] == ("url",), problem
    for url in ("https://dummy.site/", "HTTP://DUMMY.SITE/x"):
        [event] = plausible.parse(_hit(json.dumps({"n": "pageview", "u": url, "d": "x"}))).events
        ClientEventV1.model_validate({**event, "site_id": "demo-shop"})
