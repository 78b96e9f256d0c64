"""The sender's rules against a scripted HTTP transport: order per visitor, retries on 5xx,
a refused or partly rejected request reported with the collector's reason, an unreachable
collector named."""

from __future__ import annotations

import asyncio
import itertools
import json
from datetime import UTC, datetime

import httpx
import pytest

from lakehouse.settings import DEMO_SITES
from traffic.model import generate
from traffic.send import CollectorUnreachable, SendReport, send_async
from traffic.wire import Delivery, plan

NOW = datetime(2026, 3, 14, 15, 0, tzinfo=UTC)
URL = "http://collector.test"


def deliveries(visitors: int = 40) -> list[Delivery]:
    return plan(generate(visitors, 2, NOW), DEMO_SITES)


def run(
    planned: list[Delivery], handler: httpx.MockTransport, rate: float | None = None
) -> SendReport:
    return asyncio.run(
        send_async(
            planned,
            URL,
            concurrency=4,
            rate=rate,
            progress=lambda _: None,
            transport=handler,
            backoff_s=0.01,
        )
    )


def accepted(request: httpx.Request) -> httpx.Response:
    if request.url.path == "/health":
        return httpx.Response(200, json={"status": "ok"})
    return httpx.Response(202, json={"accepted": 1, "rejected": 0})


def test_everything_sent_once_in_order_per_visitor() -> None:
    planned = deliveries()
    seen: dict[str, list[int]] = {}
    count = itertools.count()

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path != "/health":
            key = f"{request.url}|{request.headers.get('x-forwarded-for', '')}|{request.content!r}"
            seen.setdefault(key, []).append(next(count))
        return accepted(request)

    report = run(planned, httpx.MockTransport(handler))
    assert report.requests == len(planned) and report.errors == 0
    assert report.events == sum(len(d.events) for d in planned)
    by_visitor: dict[str, list[int]] = {}
    for delivery in planned:
        request = delivery.request
        url = httpx.Request(request.method, URL + request.path, params=request.query or None).url
        forwarded = dict(request.headers).get("x-forwarded-for", "")
        positions = seen[f"{url}|{forwarded}|{request.body!r}"]
        by_visitor.setdefault(delivery.visitor, []).append(positions.pop(0))
    assert all(not positions for positions in seen.values())
    assert all(order == sorted(order) for order in by_visitor.values())


def test_server_errors_are_retried() -> None:
    planned = deliveries(3)
    failed_once: set[str] = set()

    def handler(request: httpx.Request) -> httpx.Response:
        key = f"{request.url}|{request.headers.get('x-forwarded-for')}|{request.content!r}"
        if request.url.path != "/health" and key not in failed_once:
            failed_once.add(key)
            return httpx.Response(503, json={"error": "spool_full"})
        return accepted(request)

    report = run(planned, httpx.MockTransport(handler))
    assert report.errors == 0 and report.retries == len(planned)


def test_a_refusal_is_a_failure_with_the_collectors_reason() -> None:
    planned = deliveries(3)

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/health":
            return accepted(request)
        if request.url.path == "/x/b":
            return httpx.Response(
                200, json={"accepted": 1, "rejected": 1, "errors": [{"reason": "too_old"}]}
            )
        return httpx.Response(
            400, json={"error": "schema_violation", "detail": "client_ts: invalid"}
        )

    report = run(planned, httpx.MockTransport(handler))
    assert report.errors == len(planned) and report.events == 0
    for failure in report.failures:
        assert "400 schema_violation: client_ts: invalid" in failure or (
            "200 partly rejected" in failure and "too_old" in failure
        ), failure
    assert report.statuses[400] + report.statuses[200] == len(planned)


def test_an_unreachable_collector_is_named() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused")

    with pytest.raises(CollectorUnreachable, match=r"not reachable at http://collector\.test"):
        run(deliveries(2), httpx.MockTransport(handler))


def test_rate_limit_holds_events_per_second() -> None:
    planned = deliveries(4)[:6]
    events = sum(len(d.events) for d in planned)
    report = run(planned, httpx.MockTransport(accepted), rate=events / 0.5)
    assert report.seconds >= 0.4
    assert json.dumps(dict(report.statuses))
