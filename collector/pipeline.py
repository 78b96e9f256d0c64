"""The collector's pipeline: parse -> authorize -> validate -> check_clock -> enrich -> route.

Request steps decide about a whole request (its protocol parse, its site and credentials);
event steps run in order on each event and return the event or a BadRow with a typed
reason. Every step is timed; every rejection is counted and routed to ``events.bad``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from pydantic import ValidationError

from collector.enrich import enrich
from collector.metrics import Metrics
from collector.model import FORWARDED_CLIENT, ForwardedClient, Hit, Parsed, bad_row_of
from collector.sink import Delivery, Sink
from collector.sites import Refusal, SiteDirectory, admit
from collector.spool import Record
from lakehouse.bad_rows import BadReason, BadRow, Stage
from lakehouse.schema import ClientEventV1
from lakehouse.settings import Settings, SiteSettings

ParseFn = Callable[[Hit], Parsed]
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Context:
    """What the event steps may know about the request an event came in."""

    hit: Hit
    site: SiteSettings
    secret: bytes
    max_age: timedelta
    max_future_skew: timedelta


def validate(event: dict[str, Any], ctx: Context) -> dict[str, Any] | BadRow:
    """The event against the events.v1 client contract, for the site that admitted it."""
    candidate = {**event, "site_id": ctx.site.site_id}
    try:
        model = ClientEventV1.model_validate(candidate)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "event"
        problems = f" (+{error.error_count() - 1} more)" if error.error_count() > 1 else ""
        return bad_row_of(
            ctx.hit,
            Stage.COLLECTOR_VALIDATE,
            BadReason.SCHEMA_VIOLATION,
            f"{where}: {first['msg']}{problems}",
            event,
            ctx.site.site_id,
        )
    # The validated values as they are: for these flat models, what model_dump(exclude_none
    # =True) gives, without its per-field serializers (a tenth of the collector's time).
    return {name: value for name, value in model.__dict__.items() if value is not None}


def check_clock(event: dict[str, Any], ctx: Context) -> dict[str, Any] | BadRow:
    """Future timestamps are clamped to the receipt time; too old ones are bad rows."""
    client_ts: datetime = event["client_ts"]
    if client_ts.tzinfo is None:
        client_ts = client_ts.replace(tzinfo=UTC)
    received = ctx.hit.received_at
    if client_ts > received + ctx.max_future_skew:
        client_ts = received
    elif received - client_ts > ctx.max_age:
        return bad_row_of(
            ctx.hit,
            Stage.COLLECTOR_CHECK_CLOCK,
            BadReason.TOO_OLD,
            f"client_ts {client_ts.isoformat()} is older than {ctx.max_age}",
            event,
            ctx.site.site_id,
        )
    event["client_ts"] = client_ts.astimezone(UTC)
    return event


def enrich_event(event: dict[str, Any], ctx: Context) -> dict[str, Any] | BadRow:
    """Receipt time, protocol and every enrichment (user agent, bot, geo, referrer, visitor)."""
    enriched = enrich(event, ctx.hit, ctx.secret)
    enriched["received_at"] = ctx.hit.received_at
    enriched["protocol"] = ctx.hit.protocol.value
    return enriched


EventStep = Callable[[dict[str, Any], Context], dict[str, Any] | BadRow]
EVENT_STEPS: tuple[tuple[str, EventStep], ...] = (
    ("validate", validate),
    ("check_clock", check_clock),
    ("enrich", enrich_event),
)


def forwarded_hit(hit: Hit, client: ForwardedClient, event: dict[str, Any]) -> Hit:
    """The hit as the visitor a server-side sender speaks for would have made it. Such
    senders send no Accept-Language of the visitor's; the event's language stands in, so the
    browser-request rule that flags a missing one does not mark every forwarded visitor."""
    headers = dict(hit.headers)
    if client.user_agent:
        headers["user-agent"] = client.user_agent
        headers.setdefault("accept-language", str(event.get("language") or "*"))
    return replace(hit, headers=headers, client_ip=client.ip or hit.client_ip)


def run_event_steps(event: dict[str, Any], context: Context) -> dict[str, Any] | BadRow:
    for _name, step in EVENT_STEPS:
        result = step(event, context)
        if isinstance(result, BadRow):
            return result
        event = result
    return event


@dataclass
class Outcome:
    """What a request came to: accepted events, bad rows, and a request-level refusal."""

    accepted: int = 0
    bad: list[tuple[int | None, BadRow]] = field(default_factory=list)  # (event index, row)
    refusal: Refusal | None = None
    delivery: Delivery | None = None

    @property
    def status(self) -> int:
        """200 if anything was accepted; else the refusal's status, or 400 for bad events."""
        if self.accepted:
            return 200
        if self.refusal is not None:
            return self.refusal.status
        return 400 if self.bad else 200

    def summary(self) -> dict[str, Any]:
        body: dict[str, Any] = {"accepted": self.accepted, "rejected": len(self.bad)}
        if not self.accepted and (self.refusal is not None or self.bad):
            reason, detail = (
                (self.refusal.reason, self.refusal.detail)
                if self.refusal is not None
                else (self.bad[0][1].reason, self.bad[0][1].detail)
            )
            body["error"] = reason.value
            body["detail"] = detail
        if self.bad:
            body["errors"] = [
                {"index": index, "reason": row.reason.value, "detail": row.detail}
                for index, row in self.bad[:20]
            ]
        return body


def event_record(event: dict[str, Any], topic: str) -> Record:
    key = f"{event['site_id']}:{event['visitor_id']}".encode()
    return Record(topic, key, orjson.dumps(event, option=orjson.OPT_UTC_Z))


def bad_record(row: BadRow, topic: str) -> Record:
    return Record(
        topic, (row.site_id or "-").encode(), orjson.dumps(row.record(), option=orjson.OPT_UTC_Z)
    )


class Pipeline:
    """Runs the steps for one request and routes the results to the sink."""

    def __init__(self, settings: Settings, sink: Sink, metrics: Metrics, secret: bytes) -> None:
        self.settings = settings
        self.sink = sink
        self.metrics = metrics
        self.secret = secret
        self.sites = SiteDirectory(settings.collector.sites)
        limits = settings.collector
        self.max_age = timedelta(hours=limits.max_event_age_hours)
        self.max_future_skew = timedelta(seconds=limits.max_future_skew_s)

    def _timed(self, step: str, started: float) -> float:
        now = time.perf_counter()
        self.metrics.observe("collector_step_seconds", now - started, step=step)
        return now

    def run_steps(self, hit: Hit, parse: ParseFn) -> tuple[Outcome, list[dict[str, Any]]]:
        """Every step but routing: pure apart from the metrics."""
        outcome = Outcome()
        started = time.perf_counter()
        parsed = parse(hit)
        started = self._timed("parse", started)
        outcome.bad.extend((None, row) for row in parsed.bad)
        limit = self.settings.collector.max_events_per_batch
        if len(parsed.events) > limit:
            outcome.refusal = Refusal(
                BadReason.TOO_MANY_EVENTS,
                413,
                f"{len(parsed.events)} events in one request; the limit is {limit}",
            )
            outcome.bad.append(
                (
                    None,
                    bad_row_of(
                        hit,
                        Stage.COLLECTOR_PARSE,
                        BadReason.TOO_MANY_EVENTS,
                        outcome.refusal.detail,
                        hit.body.decode(errors="replace"),
                    ),
                )
            )
            return outcome, []

        good: list[dict[str, Any]] = []
        contexts: dict[str, Context | Refusal] = {}
        origin = hit.headers.get("origin")
        for index, event in enumerate(parsed.events):
            site_ref = event.get("site_id") or parsed.credentials.site_ref
            context = contexts.get(str(site_ref))
            if context is None:
                context = self._admit(hit, site_ref, parsed.credentials.write_key, origin)
                contexts[str(site_ref)] = context
            if isinstance(context, Refusal):
                outcome.refusal = context
                outcome.bad.append(
                    (
                        index,
                        bad_row_of(
                            hit, Stage.COLLECTOR_AUTHORIZE, context.reason, context.detail, event
                        ),
                    )
                )
                continue
            forwarded = event.pop(FORWARDED_CLIENT, None)
            if forwarded is not None:
                context = replace(context, hit=forwarded_hit(hit, forwarded, event))
            result = run_event_steps(event, context)
            if isinstance(result, BadRow):
                outcome.bad.append((index, result))
            else:
                good.append(result)
        self._timed("validate_enrich", started)
        return outcome, good

    def _admit(
        self, hit: Hit, site_ref: Any, write_key: str | None, origin: str | None
    ) -> Context | Refusal:
        site = self.sites.resolve(str(site_ref) if site_ref else None, write_key)
        if isinstance(site, Refusal):
            return site
        refusal = admit(site, hit.protocol, write_key, origin)
        if refusal is not None:
            return refusal
        return Context(hit, site, self.secret, self.max_age, self.max_future_skew)

    async def handle(self, hit: Hit, parse: ParseFn) -> Outcome:
        outcome, good = self.run_steps(hit, parse)
        kafka = self.settings.kafka
        records = [event_record(event, kafka.events_topic) for event in good]
        records += [bad_record(row, kafka.bad_topic) for _, row in outcome.bad]
        if records:
            started = time.perf_counter()
            outcome.delivery = await self.sink.deliver(records)
            self._timed("route", started)
        outcome.accepted = len(good)
        protocol = hit.protocol.value
        if good:
            self.metrics.count("collector_events_accepted_total", len(good), protocol=protocol)
        for _, row in outcome.bad:
            self.metrics.count("collector_events_rejected_total", reason=row.reason.value)
        return outcome
