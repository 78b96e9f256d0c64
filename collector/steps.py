"""The event steps of the collector's pipeline: validate -> check_clock -> enrich.

Each is a pure function of one event and the :class:`Context` of the request it came in,
returning the event (changed) or a :class:`BadRow` with a typed reason; the first bad row
ends an event's run. :func:`run_event_steps` runs them in order and adds each one's time to
the request's :class:`StepTimes`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import ValidationError

from collector.enrich import enrich
from collector.model import Hit, bad_row_of
from lakehouse.bad_rows import BadReason, BadRow, Stage
from lakehouse.schema import ClientEventV1
from lakehouse.settings import SiteSettings


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
    # =True) gives, without its per-field serializers (see docs/tuning.md).
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


STEPS = ("parse", "authorize", *(name for name, _ in EVENT_STEPS), "route")
"""Every step of the pipeline, in order: the event steps between the request steps that
:mod:`collector.pipeline` runs and times itself."""
PARSE, AUTHORIZE, ROUTE = STEPS.index("parse"), STEPS.index("authorize"), STEPS.index("route")
_FIRST_EVENT_STEP = STEPS.index(EVENT_STEPS[0][0])


class StepTimes:
    """Seconds spent in each of :data:`STEPS` over one request (its events' runs added up),
    by position; None for a step that did not run."""

    __slots__ = ("seconds",)

    def __init__(self) -> None:
        self.seconds: list[float | None] = [None] * len(STEPS)

    def since(self, step: int, started: float) -> float:
        """Add the time from ``started`` (perf_counter) to now to the step at position
        ``step`` of :data:`STEPS`; now."""
        now = time.perf_counter()
        self.seconds[step] = (self.seconds[step] or 0.0) + (now - started)
        return now


def run_event_steps(
    event: dict[str, Any], context: Context, times: StepTimes
) -> dict[str, Any] | BadRow:
    # Each step's end is the next one's start: the timing is a small part of a step's cost.
    seconds = times.seconds
    position = _FIRST_EVENT_STEP
    started = time.perf_counter()
    for _, step in EVENT_STEPS:
        result = step(event, context)
        now = time.perf_counter()
        seconds[position] = (seconds[position] or 0.0) + (now - started)
        started = now
        if isinstance(result, BadRow):
            return result
        event = result
        position += 1
    return event
