"""Abuse limits in-process, on a clock the test moves: token buckets, the per-address and
per-site limits of the HTTP layer (429 with Retry-After, counted), and the body deadline."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import MutableMapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from collector.app import CollectorApp
from collector.limits import RateLimit, address_key
from collector.metrics import Metrics
from collector.sink import MemorySink
from lakehouse.settings import load_settings

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
BROWSER = {"user-agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0", "accept-language": "en"}


def event(**changes: Any) -> dict[str, Any]:
    base = {
        "type": "page",
        "name": "pageview",
        "site_id": "demo-shop",
        "url": "https://shop.example/",
    }
    return {"event_id": str(uuid.uuid4()), "client_ts": NOW.isoformat(), **base, **changes}


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_spends_its_burst_then_refills_at_its_rate() -> None:
    clock = FakeMonotonic()
    limit = RateLimit(rate=2, burst=3, monotonic=clock)
    assert [limit.take("a") for _ in range(3)] == [None, None, None]
    assert limit.take("a") == pytest.approx(0.5)  # one token comes in half a second
    assert limit.take("b") is None  # every key has its own bucket
    clock.now += 0.5
    assert limit.take("a") is None
    assert limit.take("a") is not None
    clock.now += 3600
    assert [limit.take("a") for _ in range(4)][-1] is not None  # refilled to the burst only


def test_a_rate_of_zero_is_no_limit_and_old_keys_are_forgotten() -> None:
    assert all(RateLimit(0, 1).take("a") is None for _ in range(1000))
    clock = FakeMonotonic()
    limit = RateLimit(rate=1, burst=1, monotonic=clock, max_keys=2)
    assert limit.take("a") is None
    assert limit.take("a") is not None
    limit.take("b")
    limit.take("c")  # "a", the least recently seen, goes
    assert limit.take("a") is None
    with pytest.raises(ValueError, match="at least 1"):
        RateLimit(rate=1, burst=0)


def test_an_ipv6_client_counts_with_its_slash_64() -> None:
    assert address_key("2001:db8:1:2:aaaa::1") == address_key("2001:db8:1:2:bbbb::2")
    assert address_key("2001:db8:1:3::1") != address_key("2001:db8:1:2::1")
    assert address_key("203.0.113.7") == "203.0.113.7"
    assert address_key("not an address: at all") == "not an address: at all"


def limited_app(tmp: Path, clock: FakeMonotonic, **limits: float) -> tuple[CollectorApp, Metrics]:
    settings = load_settings(state_dir=tmp, collector={"rate_limits": limits})
    metrics = Metrics()
    app = CollectorApp(
        settings, MemorySink(), b"s" * 32, metrics, clock=lambda: NOW, monotonic=clock
    )
    return app, metrics


def send(app: CollectorApp, body: Any, address: str, origin: str) -> httpx.Response:
    """A request relayed by a proxy on loopback (trusted) for the visitor at ``address``."""
    headers = {**BROWSER, "origin": origin, "x-forwarded-for": address}

    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://collector") as client:
            return await client.post("/x/e", content=json.dumps(body), headers=headers)

    return asyncio.run(call())


SHOP, DOCS = "https://shop.example", "https://docs.example"


def test_an_address_over_its_limit_gets_429_and_others_go_on(tmp_path: Path) -> None:
    clock = FakeMonotonic()
    app, metrics = limited_app(tmp_path, clock, address_rps=1, address_burst=2)
    statuses = [send(app, event(), "203.0.113.1", SHOP).status_code for _ in range(2)]
    refused = send(app, event(), "203.0.113.1", SHOP)
    assert statuses == [202, 202]
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "1"
    assert refused.json()["error"] == "rate_limited"
    assert "address" in refused.json()["detail"]
    assert refused.headers["access-control-allow-origin"] == SHOP  # the tracker can read it
    assert send(app, event(), "203.0.113.2", SHOP).status_code == 202
    assert metrics.value("collector_rate_limited_total", limit="address") == 1
    clock.now += 1
    assert send(app, event(), "203.0.113.1", SHOP).status_code == 202


def test_a_site_over_its_limit_gets_429_and_other_sites_go_on(tmp_path: Path) -> None:
    clock = FakeMonotonic()
    app, metrics = limited_app(tmp_path, clock, site_rps=1, site_burst=3)
    shop = [send(app, event(), f"203.0.113.{n}", SHOP).status_code for n in range(4)]
    assert shop == [202, 202, 202, 429]
    docs = send(app, event(site_id="demo-docs", url="https://docs.example/"), "203.0.113.9", DOCS)
    assert docs.status_code == 202
    assert metrics.value("collector_rate_limited_total", limit="site") == 1
    assert metrics.value("collector_events_rejected_total", reason="rate_limited") == 0
    clock.now += 1
    assert send(app, event(), "203.0.113.1", SHOP).status_code == 202


def test_a_body_that_does_not_arrive_in_time_gets_408(tmp_path: Path) -> None:
    settings = load_settings(state_dir=tmp_path, collector={"body_timeout_s": 0.05})
    app = CollectorApp(settings, MemorySink(), b"s" * 32, clock=lambda: NOW)
    sent: list[MutableMapping[str, Any]] = []
    first = {"type": "http.request", "body": b'[{"event_id":', "more_body": True}
    arrived = [first]
    stalled = asyncio.Event()  # never set: the rest of the body never comes

    async def receive() -> dict[str, Any]:
        if arrived:
            return arrived.pop()
        await stalled.wait()
        return {"type": "http.disconnect"}

    async def send_message(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/x/b",
        "headers": [(b"content-type", b"text/plain"), (b"content-length", b"500")],
        "client": ("198.51.100.20", 40000),
    }
    asyncio.run(asyncio.wait_for(app(scope, receive, send_message), timeout=10))
    start, body = sent
    assert start["status"] == 408
    assert (b"connection", b"close") in start["headers"]
    assert json.loads(body["body"])["error"] == "body_timeout"
