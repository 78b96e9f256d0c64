"""The collector's pipeline: parse -> authorize -> validate -> check_clock -> enrich -> route.

The request steps decide about a whole request: ``parse`` (its protocol's adapter) and
``authorize`` (:mod:`collector.authorize`: its sites, credentials and the site rate limit).
The event steps (:mod:`collector.steps`) run in order on each event and return the event or
a BadRow with a typed reason. ``route`` makes the Kafka records (:mod:`collector.records`)
and hands them to the sink, the one step with I/O. Each step is timed on its own
(``collector_step_seconds{step=...}``, once per request); every rejection is counted and
routed to ``events.bad``.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from collector.accepted_counts import AcceptedCounts
from collector.authorize import Authorizer
from collector.limits import Monotonic, RateLimit
from collector.metrics import Metrics
from collector.model import Hit, Parsed, bad_row_of
from collector.outcome import Outcome
from collector.protocols import BOUNDED_BY_BYTES
from collector.protocols.fields import TRUNCATED_KEY
from collector.records import bad_record, event_record
from collector.sink import Delivery, Sink
from collector.sites import SiteDirectory
from collector.steps import AUTHORIZE, PARSE, ROUTE, STEPS, StepTimes, run_event_steps
from lakehouse.bad_rows import BadReason, BadRow, Stage
from lakehouse.settings import Settings

ParseFn = Callable[[Hit], Parsed]
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class Pipeline:
    """Runs the steps for one request and routes the results to the sink."""

    def __init__(
        self,
        settings: Settings,
        sink: Sink,
        metrics: Metrics,
        secret: bytes,
        monotonic: Monotonic = time.monotonic,
        accepted: AcceptedCounts | None = None,
    ) -> None:
        self.settings = settings
        self.sink = sink
        self.metrics = metrics
        self.accepted = accepted
        limits = settings.collector
        self.authorizer = Authorizer(
            SiteDirectory(limits.sites),
            RateLimit(limits.rate_limits.site_rps, limits.rate_limits.site_burst, monotonic),
            secret,
            timedelta(hours=limits.max_event_age_hours),
            timedelta(seconds=limits.max_future_skew_s),
        )

    def run_steps(self, hit: Hit, parse: ParseFn) -> tuple[Outcome, list[dict[str, Any]]]:
        """Every step but routing: the outcome so far and the good events. Pure apart from
        the step timings it reports."""
        times = StepTimes()
        try:
            return self._run_steps(hit, parse, times)
        finally:
            self.metrics.observe_each("collector_step_seconds", STEPS, times.seconds)

    def _run_steps(
        self, hit: Hit, parse: ParseFn, times: StepTimes
    ) -> tuple[Outcome, list[dict[str, Any]]]:
        started = time.perf_counter()
        parsed = parse(hit)
        started = times.since(PARSE, started)
        too_many = self._too_many_events(hit, parsed)
        if too_many is not None:  # refused whole: one bad row, the body its payload
            return Outcome(bad=[(None, too_many)]), []
        outcome = Outcome(bad=parsed.indexed_bad())
        admitted = self.authorizer.authorize(hit, parsed, outcome)
        times.since(AUTHORIZE, started)
        good: list[dict[str, Any]] = []
        for index, event, context in admitted:
            result = run_event_steps(event, context, times)
            if isinstance(result, BadRow):
                outcome.bad.append((index, result))
            else:
                good.append(result)
        return outcome, good

    def _too_many_events(self, hit: Hit, parsed: Parsed) -> BadRow | None:
        """The bad row of a request with more items than ``collector.max_events_per_batch``
        (bad items count: each would be a bad row of its own), unless its protocol bounds
        batches by bytes (:data:`collector.protocols.BOUNDED_BY_BYTES`)."""
        limit = self.settings.collector.max_events_per_batch
        items = parsed.item_count
        if items <= limit or hit.protocol in BOUNDED_BY_BYTES:
            return None
        detail = f"{items} events in one request; the limit is {limit}"
        body = hit.body.decode(errors="replace")
        return bad_row_of(hit, Stage.COLLECTOR_PARSE, BadReason.TOO_MANY_EVENTS, detail, body)

    async def handle(self, hit: Hit, parse: ParseFn) -> Outcome:
        times = StepTimes()
        try:
            outcome, good = self._run_steps(hit, parse, times)
            started = time.perf_counter()
            kafka = self.settings.kafka
            records = [event_record(event, kafka.events_topic) for event in good]
            records += [bad_record(row, kafka.bad_topic) for _, row in outcome.bad]
            if records:
                outcome.delivery = await self.sink.deliver(records)
                times.since(ROUTE, started)
        finally:  # every step's time at once (docs/tuning.md)
            self.metrics.observe_each("collector_step_seconds", STEPS, times.seconds)
        self._count(hit, outcome, good)
        return outcome

    def _count(self, hit: Hit, outcome: Outcome, good: list[dict[str, Any]]) -> None:
        outcome.accepted = len(good)
        outcome.truncated = sum(TRUNCATED_KEY in event.get("properties", ()) for event in good)
        protocol = hit.protocol.value
        if good:
            self.metrics.count("collector_events_accepted_total", len(good), protocol=protocol)
        if good and self.accepted is not None and outcome.delivery is not Delivery.DISCARDED:
            for site_id, accepted in Counter(str(event["site_id"]) for event in good).items():
                self.accepted.add(site_id, hit.received_at, accepted)
        if outcome.truncated:
            self.metrics.count(
                "collector_events_truncated_total", outcome.truncated, protocol=protocol
            )
        for _, row in outcome.bad:
            self.metrics.count("collector_events_rejected_total", reason=row.reason.value)
        if outcome.throttled is not None:
            self.metrics.count("collector_rate_limited_total", limit=outcome.throttled.limit)
