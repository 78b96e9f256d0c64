"""The ground truth of simulated traffic: what every layer downstream should count. Pure.

Counted per site, for the whole span and per UTC day of the events' client time. A session
is a visitor's run of events with gaps under :data:`traffic.model.SESSION_GAP` (the batch
layer's rule), recomputed here from the events alone; it belongs to the day it starts.
Humans only, except ``bot_events``, ``events`` and ``events_by_protocol``:

* visitors: distinct human visitors
* sessions, pageviews, bounces (sessions with one pageview)
* conversions: the site's conversion event (purchase, signup); custom_events: other tracks
* bot_events: events of crawlers and headless browsers (the collector flags them is_bot)
* late_events: events sent after later events of their visitor
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from lakehouse.schema import EventType
from traffic.model import SESSION_GAP, SimEvent, Traffic
from traffic.sites import SITES_BY_ID

COUNTS = (
    "visitors",
    "sessions",
    "pageviews",
    "bounces",
    "conversions",
    "custom_events",
    "bot_events",
    "late_events",
    "events",
)


@dataclass
class Tally:
    visitors: set[str] = field(default_factory=set)
    sessions: int = 0
    pageviews: int = 0
    bounces: int = 0
    conversions: int = 0
    custom_events: int = 0
    bot_events: int = 0
    late_events: int = 0
    events: int = 0
    events_by_protocol: Counter[str] = field(default_factory=Counter)

    def as_json(self) -> dict[str, Any]:
        counts: dict[str, Any] = {
            name: len(self.visitors) if name == "visitors" else getattr(self, name)
            for name in COUNTS
        }
        counts["events_by_protocol"] = dict(sorted(self.events_by_protocol.items()))
        return counts


def sessionize(events: Iterable[SimEvent]) -> list[list[SimEvent]]:
    """One visitor's events in sessions: a gap of SESSION_GAP or more starts a new one."""
    sessions: list[list[SimEvent]] = []
    for event in sorted(events, key=lambda e: e.client_ts):
        if sessions and event.client_ts - sessions[-1][-1].client_ts < SESSION_GAP:
            sessions[-1].append(event)
        else:
            sessions.append([event])
    return sessions


def ground_truth(traffic: Traffic) -> dict[str, Any]:
    """The JSON-serialisable truth of ``traffic``."""
    totals: dict[str, Tally] = {site: Tally() for site in SITES_BY_ID}
    days: dict[str, dict[date, Tally]] = {site: defaultdict(Tally) for site in SITES_BY_ID}
    by_visitor: dict[str, list[SimEvent]] = defaultdict(list)

    for event in traffic.events:
        visitor = traffic.visitor(event.visitor)
        day = event.client_ts.date()
        conversion = SITES_BY_ID[event.site_id].conversion
        for tally in (totals[event.site_id], days[event.site_id][day]):
            tally.events += 1
            tally.events_by_protocol[visitor.protocol.value] += 1
            tally.late_events += event.late
            if visitor.bot:
                tally.bot_events += 1
                continue
            tally.visitors.add(visitor.key)
            if event.type is EventType.PAGE:
                tally.pageviews += 1
            elif event.name == conversion:
                tally.conversions += 1
            else:
                tally.custom_events += 1
        if not visitor.bot:
            by_visitor[visitor.key].append(event)

    for events in by_visitor.values():
        for session in sessionize(events):
            first = session[0]
            bounced = sum(e.type is EventType.PAGE for e in session) == 1
            for tally in (totals[first.site_id], days[first.site_id][first.client_ts.date()]):
                tally.sessions += 1
                tally.bounces += bounced

    return {
        "seed": traffic.seed,
        "now": traffic.now.isoformat(),
        "span_s": int(traffic.span.total_seconds()),
        "visitors_generated": len(traffic.visitors),
        "session_gap_s": int(SESSION_GAP.total_seconds()),
        "sites": {
            site: {
                "conversion": SITES_BY_ID[site].conversion,
                "total": totals[site].as_json(),
                "days": {
                    day.isoformat(): tally.as_json() for day, tally in sorted(days[site].items())
                },
            }
            for site in SITES_BY_ID
        },
    }
