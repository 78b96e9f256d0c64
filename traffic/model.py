"""Simulated visitors and their events: pure and deterministic for a seed and a ``now``.

Each visitor belongs to one site, has one device (a real browser's User-Agent, or a crawler
or headless browser), one public address of a consumer network in one country, one
Accept-Language and one wire protocol, and makes 1-3 sessions separated by more than
:data:`SESSION_GAP` of silence. A session is a walk over the site's page graph from a
landing page its traffic source chose; it bounces (one pageview), browses, or converts.
A few events are sent late: after the visitor's next page, with their original time.

Visitor ``i`` of a seed depends on ``(seed, i, now)`` alone, so more visitors extend the same
traffic rather than reshuffling it; event ids differ for every ``now``, so that a rerun is
new traffic, never duplicates.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from lakehouse.schema import EventType, Protocol
from traffic.draw import new_uuid, pick
from traffic.sites import SITES_BY_ID, Page, SiteModel
from traffic.sources import Source, draw_source
from traffic.visitors import TIMED_PROTOCOLS, Visitor, draw_visitor

SESSION_GAP = timedelta(minutes=30)
"""Silence that ends a session: the batch layer's rule, and the truth's."""

MIN_SPAN = timedelta(minutes=45)  # room for one full session before ``now``
MAX_PAGE_DWELL_S = 240.0  # keeps every in-session gap far below SESSION_GAP
MAX_PAGES = 10
BOUNCE_RATE = 0.40
CONVERSION_RATE = 0.07  # of sessions that do not bounce: about 4% of all sessions
LATE_RATE = 0.04  # of the events that have a later page in their session


@dataclass(frozen=True)
class SimEvent:
    event_id: str
    visitor: str  # Visitor.key
    site_id: str
    type: EventType  # page or track
    name: str
    client_ts: datetime  # UTC, millisecond precision
    url: str
    path: str
    title: str
    referrer: str | None
    properties: Mapping[str, str]
    session: int  # the visitor's session number, 0-based
    session_start: datetime
    page: int  # the visitor's page number: a pageview and what follows it on that page
    late_by: timedelta | None = None  # sent this long after client_ts, behind later events

    @property
    def send_at(self) -> datetime:
        return self.client_ts + (self.late_by or timedelta(0))

    @property
    def late(self) -> bool:
        return self.late_by is not None


@dataclass(frozen=True)
class Traffic:
    seed: int
    now: datetime
    span: timedelta
    visitors: tuple[Visitor, ...]
    events: tuple[SimEvent, ...]  # by client_ts
    by_key: Mapping[str, Visitor] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_key", {v.key: v for v in self.visitors})

    def visitor(self, key: str) -> Visitor:
        return self.by_key[key]


@dataclass
class _Step:
    """One event of a session before it is placed in time: offset from the session start."""

    offset_s: float
    type: EventType
    name: str
    page: Page
    referrer: str | None
    query: str
    properties: dict[str, str]
    page_index: int


def _session_pages(rng: random.Random, site: SiteModel, bot: bool) -> tuple[list[str], bool]:
    """The page kinds of one session, and whether it converts."""
    if bot:
        kinds = [rng.choice(list(site.pages))]
        for _ in range(rng.randint(1, MAX_PAGES - 1)):
            kinds.append(rng.choice(list(site.pages)))
        return kinds, False
    kinds = [pick(rng, site.landing)]
    if rng.random() < BOUNCE_RATE:
        return kinds, False
    if rng.random() < CONVERSION_RATE:
        for _ in range(rng.randint(0, 2)):
            kinds.append(pick(rng, site.links[kinds[-1]]))
        kinds.extend(site.conversion_path)
        return kinds[-MAX_PAGES:], True
    for _ in range(1 + min(int(rng.expovariate(1 / 2.0)), MAX_PAGES - 2)):
        kinds.append(pick(rng, site.links[kinds[-1]]))
    return kinds, False


def _session_steps(
    rng: random.Random,
    site: SiteModel,
    visitor: Visitor,
    source: Source,
    first_page_index: int,
) -> list[_Step]:
    kinds, converts = _session_pages(rng, site, visitor.bot)
    steps: list[_Step] = []
    offset = 0.0
    previous_url = source.referrer
    for number, kind in enumerate(kinds):
        page = rng.choice(site.pages[kind])
        query = "&".join(f"{k}={v}" for k, v in source.utm) if number == 0 else ""
        index = first_page_index + number
        dwell = (
            rng.uniform(1.0, 8.0)
            if visitor.bot
            else min(max(rng.lognormvariate(3.3, 0.9), 4.0), MAX_PAGE_DWELL_S)
        )
        steps.append(
            _Step(offset, EventType.PAGE, "pageview", page, previous_url, query, {}, index)
        )
        if not visitor.bot:
            for custom in site.custom_events:
                if kind in custom.on and rng.random() < custom.probability:
                    properties = {key: rng.choice(values) for key, values in custom.properties}
                    at = offset + rng.uniform(0.2, 0.8) * dwell
                    steps.append(
                        _Step(
                            at, EventType.TRACK, custom.name, page, None, query, properties, index
                        )
                    )
            if converts and number == len(kinds) - 1:
                steps.append(
                    _Step(
                        offset + rng.uniform(0.3, 0.9) * dwell,
                        EventType.TRACK,
                        site.conversion,
                        page,
                        None,
                        query,
                        _conversion_properties(rng, site),
                        index,
                    )
                )
            if visitor.protocol is Protocol.NATIVE and rng.random() < 0.5:
                # The tracker reports the visible time on a page when the visitor leaves it.
                steps.append(
                    _Step(
                        offset + dwell * 0.97,
                        EventType.TRACK,
                        "engagement",
                        page,
                        None,
                        query,
                        {
                            "engaged_ms": str(int(dwell * 1000 * rng.uniform(0.5, 0.95))),
                            "scroll_pct": str(rng.randint(10, 100)),
                        },
                        index,
                    )
                )
        previous_url = site.url(page, query)
        offset += dwell
    steps.sort(key=lambda step: step.offset_s)
    return steps


def _conversion_properties(rng: random.Random, site: SiteModel) -> dict[str, str]:
    if site.conversion == "purchase":
        return {
            "order_id": f"NW-{rng.randint(100000, 999999)}",
            "revenue": f"{rng.uniform(19, 240):.2f}",
            "currency": "EUR",
            "items": str(rng.randint(1, 4)),
        }
    return {"plan": rng.choice(("free", "team", "business"))}


def _place_sessions(
    rng: random.Random,
    sessions: list[list[_Step]],
    now: datetime,
    span: timedelta,
    at_end: bool,
) -> list[datetime]:
    """Start times for the sessions: in order, each more than SESSION_GAP after the end of the
    one before, all within (now - span, now]. Sessions that do not fit are dropped."""
    durations = [timedelta(seconds=steps[-1].offset_s) for steps in sessions]
    gap_max = max(SESSION_GAP + timedelta(minutes=5), min(span / 3, timedelta(hours=8)))
    gaps = [
        timedelta(seconds=rng.uniform(SESSION_GAP.total_seconds() + 60, gap_max.total_seconds()))
        for _ in sessions[1:]
    ]
    while len(durations) > 1 and sum(durations, timedelta(0)) + sum(gaps, timedelta(0)) > span:
        durations.pop()
        gaps.pop()
        sessions.pop()
    needed = sum(durations, timedelta(0)) + sum(gaps, timedelta(0))
    latest_start = now - needed - timedelta(seconds=1)
    earliest_start = min(now - span, latest_start)
    if at_end:  # visitors on the site right now
        first = latest_start
    else:
        first = earliest_start + (latest_start - earliest_start) * rng.random()
    starts = [first]
    for duration, gap in zip(durations[:-1], gaps, strict=True):
        starts.append(starts[-1] + duration + gap)
    return starts


def _truncate_ms(moment: datetime) -> datetime:
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def generate_visitor(
    seed: int,
    index: int,
    now: datetime,
    span: timedelta,
    used_addresses: set[tuple[str, str, str]],
) -> tuple[Visitor, list[SimEvent]]:
    rng = random.Random(f"beacon-traffic:{seed}:{index}")
    # Event ids also depend on ``now``: a rerun of a seed is new traffic of the same shape,
    # not repeats that deduplication would drop.
    ids = random.Random(f"beacon-traffic-ids:{seed}:{now.isoformat()}:{index}")
    visitor = draw_visitor(rng, f"v{index:06d}", used_addresses)
    site = SITES_BY_ID[visitor.site_id]
    # Plausible events carry no time (the collector stamps them on receipt), so its visitors
    # are modelled as the ones on the site right now, in a single session.
    untimed = visitor.protocol is Protocol.PLAUSIBLE
    count = 1 if visitor.bot or untimed else pick(rng, ((1, 0.62), (2, 0.27), (3, 0.11)))
    sessions: list[list[_Step]] = []
    page_index = 0
    for _ in range(count):
        source = Source("direct", None) if visitor.bot else draw_source(rng)
        steps = _session_steps(rng, site, visitor, source, page_index)
        page_index = steps[-1].page_index + 1 if steps else page_index
        sessions.append(steps)
    starts = _place_sessions(rng, sessions, now, span, at_end=untimed)

    events: list[SimEvent] = []
    for number, (steps, start) in enumerate(zip(sessions, starts, strict=True)):
        session_start = _truncate_ms(start)
        for step in steps:
            events.append(
                SimEvent(
                    event_id=new_uuid(ids),
                    visitor=visitor.key,
                    site_id=site.site_id,
                    type=step.type,
                    name=step.name,
                    client_ts=_truncate_ms(start + timedelta(seconds=step.offset_s)),
                    url=site.url(step.page, step.query),
                    path=step.page.path,
                    title=step.page.title,
                    referrer=step.referrer if step.type is EventType.PAGE else None,
                    properties=step.properties,
                    session=number,
                    session_start=session_start,
                    page=step.page_index,
                )
            )
    if not visitor.bot and visitor.protocol in TIMED_PROTOCOLS:
        events = _make_some_late(rng, events)
    return visitor, events


def _make_some_late(rng: random.Random, events: list[SimEvent]) -> list[SimEvent]:
    """Delay a few events past the end of the visitor's next page in the same session (a
    tracker that was offline, a retried request): they arrive behind later events."""
    result = list(events)
    # Backwards, so the next page is settled first: it must arrive on time, ahead of this.
    for position in reversed(range(len(events))):
        event = events[position]
        later_pages = [e for e in result if e.session == event.session and e.page == event.page + 1]
        if not later_pages or any(e.late for e in later_pages) or rng.random() >= LATE_RATE:
            continue
        next_page_done = max(e.client_ts for e in later_pages)
        delay = (next_page_done - event.client_ts) + timedelta(seconds=rng.uniform(60, 480))
        result[position] = replace(event, late_by=delay)
    return result


def generate(
    visitors: int,
    seed: int,
    now: datetime,
    span: timedelta = timedelta(minutes=90),
) -> Traffic:
    """``visitors`` visitors (humans and bots) with their events in ``(now - span, now]``."""
    if visitors < 1:
        raise ValueError("visitors must be at least 1")
    if span < MIN_SPAN:
        raise ValueError(f"the span must be at least {MIN_SPAN}")
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    now = _truncate_ms(now.astimezone(UTC))
    used: set[tuple[str, str, str]] = set()
    people: list[Visitor] = []
    events: list[SimEvent] = []
    for index in range(visitors):
        visitor, visitor_events = generate_visitor(seed, index, now, span, used)
        people.append(visitor)
        events.extend(visitor_events)
    events.sort(key=lambda e: (e.client_ts, e.visitor, e.event_id))
    return Traffic(seed, now, span, tuple(people), tuple(events))
