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
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from collector.authorize import Authorizer
from collector.limits import Monotonic, RateLimit
from collector.metrics import Metrics
from collector.model import Hit, Parsed, bad_row_of
from collector.outcome import Outcome
from collector.records import bad_record, event_record
from collector.sink import Sink
from collector.sites import Refusal, SiteDirectory
from collector.steps import StepTimes, run_event_steps
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
    ) -> None:
        self.settings = settings
        self.sink = sink
        self.metrics = metrics
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
            for step, seconds in times.seconds.items():
                self.metrics.observe("collector_step_seconds", seconds, step=step)

    def _run_steps(
        self, hit: Hit, parse: ParseFn, times: StepTimes
    ) -> tuple[Outcome, list[dict[str, Any]]]:
        started = time.perf_counter()
        parsed = parse(hit)
        started = times.since("parse", started)
        outcome = Outcome(bad=[(None, row) for row in parsed.bad])
        too_many = self._too_many_events(hit, parsed)
        if too_many is not None:
            outcome.refusal, row = too_many
            outcome.bad.append((None, row))
            return outcome, []
        admitted = self.authorizer.authorize(hit, parsed, outcome)
        times.since("authorize", started)
        good: list[dict[str, Any]] = []
        for item in admitted:
            result = run_event_steps(item.event, item.context, times)
            if isinstance(result, BadRow):
                outcome.bad.append((item.index, result))
            else:
                good.append(result)
        return outcome, good

    def _too_many_events(self, hit: Hit, parsed: Parsed) -> tuple[Refusal, BadRow] | None:
        limit = self.settings.collector.max_events_per_batch
        if len(parsed.events) <= limit:
            return None
        detail = f"{len(parsed.events)} events in one request; the limit is {limit}"
        refusal = Refusal(BadReason.TOO_MANY_EVENTS, 413, detail)
        body = hit.body.decode(errors="replace")
        return refusal, bad_row_of(hit, Stage.COLLECTOR_PARSE, refusal.reason, detail, body)

    async def handle(self, hit: Hit, parse: ParseFn) -> Outcome:
        outcome, good = self.run_steps(hit, parse)
        started = time.perf_counter()
        kafka = self.settings.kafka
        records = [event_record(event, kafka.events_topic) for event in good]
        records += [bad_record(row, kafka.bad_topic) for _, row in outcome.bad]
        if records:
            outcome.delivery = await self.sink.deliver(records)
            routed = time.perf_counter() - started
            self.metrics.observe("collector_step_seconds", routed, step="route")
        outcome.accepted = len(good)
        protocol = hit.protocol.value
        if good:
            self.metrics.count("collector_events_accepted_total", len(good), protocol=protocol)
        for _, row in outcome.bad:
            self.metrics.count("collector_events_rejected_total", reason=row.reason.value)
        if outcome.throttled is not None:
            self.metrics.count("collector_rate_limited_total", limit=outcome.throttled.limit)
        return outcome
