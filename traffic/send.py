"""Sending planned requests to a collector: the simulator's only network I/O.

Requests go out in plan order over keep-alive connections, at most ``concurrency`` at a
time, optionally held to ``rate`` events per second. One visitor's requests go strictly one
after the other, as its browser or library would send them, so a late event really arrives
after the later events of its visitor. 5xx, 429 and connection errors are retried a few
times with backoff; a 4xx, or an accepted request whose events were partly rejected, is a
failure of the simulator (it sends only valid traffic) and is reported with the
collector's reason.

Progress is the running :class:`SendReport`, handed to a :data:`SendProgress` callback before
the first request and after every request; :class:`ProgressLines` turns it into the periodic
text lines of a log.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import httpx

from traffic.wire import Delivery

RETRIES = 3
BACKOFF_S = 0.5
PROGRESS_EVERY_S = 3.0
MAX_FAILURES_KEPT = 20


class CollectorUnreachable(Exception):
    """The collector does not answer at the URL."""


@dataclass
class SendReport:
    planned_requests: int = 0
    planned_events: int = 0
    requests: int = 0  # requests answered or given up on, so far
    events: int = 0  # events in requests that succeeded
    statuses: Counter[int] = field(default_factory=Counter)  # final status per request
    retries: int = 0
    errors: int = 0  # requests that failed for good (retries exhausted, or refused)
    failures: list[str] = field(default_factory=list)  # the collector's reasons, first few
    seconds: float = 0.0  # since the send started, kept current while it runs

    @property
    def events_per_s(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else 0.0

    @property
    def done(self) -> bool:
        return self.requests >= self.planned_requests


SendProgress = Callable[[SendReport], None]
"""Called with the running report before the first request and after every request: keep it
cheap, it runs in the sender's event loop."""


class ProgressLines:
    """A :data:`SendProgress` that says a line of the report every ``every_s`` seconds of the
    send and once at its end, e.g. ``  sent 120/900 requests (800/6000 events), 950 events/s,
    0 errors``."""

    def __init__(
        self, say: Callable[[str], None] = print, every_s: float = PROGRESS_EVERY_S
    ) -> None:
        self.say = say
        self.every_s = every_s
        self.said_at = 0.0

    def __call__(self, report: SendReport) -> None:
        if not report.done and report.seconds - self.said_at < self.every_s:
            return
        self.said_at = report.seconds
        self.say(
            f"  sent {report.requests}/{report.planned_requests} requests "
            f"({report.events}/{report.planned_events} events), "
            f"{report.events_per_s:.0f} events/s, {report.errors} errors"
        )


def rejection(delivery: Delivery, response: httpx.Response) -> str | None:
    """Why the collector refused (part of) a request, or None if it took every event."""
    status = response.status_code
    summary: dict[str, object] = {}
    if response.headers.get("content-type", "").startswith("application/json"):
        try:
            loaded = json.loads(response.content)
        except ValueError:
            loaded = None
        summary = loaded if isinstance(loaded, dict) else {}
    rejected = summary.get("rejected")
    if 200 <= status < 300 and not (isinstance(rejected, int) and rejected > 0):
        return None
    detail = summary.get("detail") or summary.get("errors") or response.text[:300]
    reason = summary.get("error") or ("partly rejected" if status < 300 else "refused")
    request = delivery.request
    return (
        f"{request.method} {request.path} ({delivery.protocol.value}, visitor "
        f"{delivery.visitor}): {status} {reason}: {detail}"
    )


async def check_reachable(client: httpx.AsyncClient, url: str) -> None:
    try:
        response = await client.get(f"{url}/health", timeout=5.0)
    except httpx.TransportError as error:
        raise CollectorUnreachable(
            f"the collector is not reachable at {url} ({type(error).__name__}); "
            "start it with `beacon up collector` or pass --collector URL"
        ) from None
    if response.status_code != 200:
        raise CollectorUnreachable(
            f"the collector at {url} is not healthy (GET /health: {response.status_code})"
        )


class _RateLimit:
    """At most ``rate`` events per second, on average since the start."""

    def __init__(self, rate: float | None) -> None:
        self.rate = rate
        self.started = time.monotonic()
        self.granted = 0

    async def wait(self, events: int) -> None:
        if not self.rate:
            return
        self.granted += events
        due = self.started + self.granted / self.rate
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)


async def send_async(
    deliveries: Sequence[Delivery],
    url: str,
    *,
    concurrency: int = 8,
    rate: float | None = None,
    progress: SendProgress | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    backoff_s: float = BACKOFF_S,
) -> SendReport:
    """Send every delivery; ``progress`` (default: :class:`ProgressLines` to stdout) follows
    the running report."""
    url = url.rstrip("/")
    on_progress = ProgressLines() if progress is None else progress
    report = SendReport(
        planned_requests=len(deliveries), planned_events=sum(len(d.events) for d in deliveries)
    )
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    started = time.monotonic()
    async with httpx.AsyncClient(
        base_url=url, limits=limits, timeout=httpx.Timeout(10.0), transport=transport
    ) as client:
        await check_reachable(client, url)
        slots = asyncio.Semaphore(concurrency)
        rate_limit = _RateLimit(rate)
        previous: dict[str, asyncio.Task[None]] = {}
        tasks: list[asyncio.Task[None]] = []

        def report_progress() -> None:
            report.seconds = time.monotonic() - started
            on_progress(report)

        async def deliver(delivery: Delivery, before: asyncio.Task[None] | None) -> None:
            try:
                if before is not None:  # the visitor's previous request, however it ended
                    await asyncio.wait({before})
                await _send_one(client, delivery, report, backoff_s)
                report_progress()
            finally:
                slots.release()

        report_progress()

        for delivery in deliveries:
            await rate_limit.wait(len(delivery.events))
            await slots.acquire()
            task = asyncio.create_task(deliver(delivery, previous.get(delivery.visitor)))
            previous[delivery.visitor] = task
            tasks.append(task)
        await asyncio.gather(*tasks)
    report.seconds = time.monotonic() - started
    return report


async def _send_one(
    client: httpx.AsyncClient, delivery: Delivery, report: SendReport, backoff_s: float
) -> None:
    request = delivery.request
    for attempt in range(RETRIES + 1):
        try:
            response = await client.request(
                request.method,
                request.path,
                params=request.query or None,
                headers=dict(request.headers),
                content=request.body or None,
            )
        except httpx.TransportError as error:
            if attempt < RETRIES:
                report.retries += 1
                await asyncio.sleep(backoff_s * 2**attempt)
                continue
            report.requests += 1
            report.errors += 1
            report.statuses[0] += 1
            _keep(report, f"{request.method} {request.path}: {type(error).__name__}: {error}")
            return
        if (response.status_code >= 500 or response.status_code == 429) and attempt < RETRIES:
            report.retries += 1
            await asyncio.sleep(backoff_s * 2**attempt)
            continue
        report.requests += 1
        report.statuses[response.status_code] += 1
        refused = rejection(delivery, response)
        if refused is None:
            report.events += len(delivery.events)
        else:
            report.errors += 1
            _keep(report, refused)
        return


def _keep(report: SendReport, failure: str) -> None:
    if len(report.failures) < MAX_FAILURES_KEPT:
        report.failures.append(failure)


def send(
    deliveries: Sequence[Delivery],
    url: str,
    *,
    concurrency: int = 8,
    rate: float | None = None,
    progress: SendProgress | None = None,
) -> SendReport:
    """Send every delivery; see :func:`send_async`."""
    return asyncio.run(
        send_async(deliveries, url, concurrency=concurrency, rate=rate, progress=progress)
    )
