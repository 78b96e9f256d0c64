"""The sender's rules against a scripted HTTP transport: order per visitor, retries on 5xx,
a refused or partly rejected request reported with the collector's reason, an unreachable
collector named, progress after every request and its periodic lines."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime

import httpx
import pytest

import traffic.send
from lakehouse.settings import DEMO_SITES
from traffic.model import generate
from traffic.send import (
    CollectorUnreachable,
    ProgressLines,
    SendProgress,
    SendReport,
    send_async,
)
from traffic.wire import Delivery, plan

NOW = datetime(2026, 3, 14, 15, 0, tzinfo=UTC)
URL = "http://collector.test"
SLEEP = asyncio.sleep


def deliveries(visitors: int = 40) -> list[Delivery]:
    return plan(generate(visitors, 2, NOW), DEMO_SITES)


def run(
    planned: list[Delivery],
    handler: httpx.MockTransport,
    rate: float | None = None,
    progress: SendProgress = lambda _: None,
) -> SendReport:
    return asyncio.run(
        send_async(
            planned,
            URL,
            concurrency=4,
            rate=rate,
            progress=progress,
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
    assert report.requests == len(planned)
    assert report.errors == 0
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
    assert report.errors == 0
    assert report.retries == len(planned)


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
    assert report.errors == len(planned)
    assert report.events == 0
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


class VirtualClock:
    """The sender's clock, which moves only while the sender sleeps: its rate is exact."""

    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await SLEEP(0)  # still a turn of the event loop for the other requests


def test_rate_limit_holds_events_per_second(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = VirtualClock()
    monkeypatch.setattr(traffic.send, "time", clock)
    monkeypatch.setattr(asyncio, "sleep", clock.sleep)
    planned = deliveries(4)[:6]
    events = sum(len(d.events) for d in planned)
    report = run(planned, httpx.MockTransport(accepted), rate=10)
    assert report.seconds == pytest.approx(events / 10)
    assert report.statuses == {202: len(planned)}


def test_progress_follows_every_request() -> None:
    planned = deliveries(5)
    seen: list[tuple[int, int, float]] = []

    def follow(report: SendReport) -> None:
        assert report.planned_requests == len(planned)
        seen.append((report.requests, report.events, report.seconds))

    report = run(planned, httpx.MockTransport(accepted), progress=follow)
    assert [requests for requests, _, _ in seen] == list(range(len(planned) + 1))
    assert seen[-1][1] == report.events == report.planned_events
    assert [seconds for *_, seconds in seen] == sorted(seconds for *_, seconds in seen)


def test_progress_lines_every_few_seconds_and_at_the_end() -> None:
    lines: list[str] = []
    say = ProgressLines(lines.append, every_s=3.0)
    for requests, seconds in [(0, 0.1), (1, 2.9), (2, 3.0), (3, 5.0), (4, 6.5), (5, 6.6)]:
        say(
            SendReport(
                planned_requests=5,
                planned_events=50,
                requests=requests,
                events=10 * requests,
                seconds=seconds,
            )
        )
    assert lines == [
        "  sent 2/5 requests (20/50 events), 7 events/s, 0 errors",
        "  sent 4/5 requests (40/50 events), 6 events/s, 0 errors",
        "  sent 5/5 requests (50/50 events), 8 events/s, 0 errors",
    ]


def test_nothing_to_send_is_one_line() -> None:
    lines: list[str] = []
    run([], httpx.MockTransport(accepted), progress=ProgressLines(lines.append))
    assert lines == ["  sent 0/0 requests (0/0 events), 0 events/s, 0 errors"]
