"""The ground truth of simulated traffic: what every layer downstream should count. Pure.

Counted per site, for the whole span and per UTC day of the events' client time. A session
is a visitor's run of events with gaps under :data:`traffic.model.SESSION_GAP` (the batch
layer's rule), recomputed here from the events alone; it belongs to the day it starts.
Humans only, except ``bot_events``, ``events`` and ``events_by_protocol``:

* visitors: distinct human visitors; pageviews, human_events: by the day they happened
* sessions (by the day they start), engaged_sessions (GA4: over 10 s, 2+ pageviews, or a
  goal reached), bounces (GA4: sessions not engaged), single_page_sessions (one pageview: the
  bounce of Universal Analytics and Plausible), conversions (sessions that reached a goal of
  the site registry) and per goal, bounce_rate and conversion_rate (per session)
* conversion_events: the site's conversion event (purchase, signup); custom_events: other
  tracks; sessions_across_midnight: sessions whose events span two UTC days
* bot_events: events of crawlers and headless browsers (the collector flags them is_bot)
* late_events: events sent after later events of their visitor
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from lakehouse.schema import EventType
from lakehouse.settings import DEMO_SITES, SiteSettings
from lakehouse.sites import SiteAnalytics, path_regex
from traffic.model import SESSION_GAP, SimEvent, Traffic
from traffic.sites import SITES_BY_ID

ENGAGED_AFTER = timedelta(seconds=10)
"""A session longer than this is engaged (GA4; the batch layer's batch.engaged_after_s)."""

COUNTS = (
    "visitors",
    "sessions",
    "pageviews",
    "human_events",
    "engaged_sessions",
    "bounces",
    "single_page_sessions",
    "conversions",
    "conversion_events",
    "sessions_across_midnight",
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
    human_events: int = 0
    engaged_sessions: int = 0
    bounces: int = 0
    single_page_sessions: int = 0
    conversions: int = 0
    conversion_events: int = 0
    sessions_across_midnight: int = 0
    goals: Counter[str] = field(default_factory=Counter)
    custom_events: int = 0
    bot_events: int = 0
    late_events: int = 0
    events: int = 0
    events_by_protocol: Counter[str] = field(default_factory=Counter)

    def per_session(self, count: int) -> float | None:
        return count / self.sessions if self.sessions else None

    def as_json(self) -> dict[str, Any]:
        counts: dict[str, Any] = {
            name: len(self.visitors) if name == "visitors" else getattr(self, name)
            for name in COUNTS
        }
        counts["events_by_protocol"] = dict(sorted(self.events_by_protocol.items()))
        counts["goals"] = dict(sorted(self.goals.items()))
        counts["bounce_rate"] = self.per_session(self.bounces)
        counts["conversion_rate"] = self.per_session(self.conversions)
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


def goals_reached(session: list[SimEvent], analytics: SiteAnalytics) -> list[str]:
    """The site's goals a session reached (the batch layer's rule, on the model's events)."""
    reached = []
    for goal in analytics.goals:
        if goal.path is not None:
            pattern = re.compile(path_regex(goal.path))
            hit = any(e.type is EventType.PAGE and pattern.match(e.path) for e in session)
        else:
            hit = any(e.type is EventType.TRACK and e.name == goal.event for e in session)
        if hit:
            reached.append(goal.name)
    return reached


def is_engaged(session: list[SimEvent], goals: list[str]) -> bool:
    duration = session[-1].client_ts - session[0].client_ts
    views = sum(e.type is EventType.PAGE for e in session)
    return duration > ENGAGED_AFTER or views >= 2 or bool(goals)


def ground_truth(traffic: Traffic, sites: Sequence[SiteSettings] = DEMO_SITES) -> dict[str, Any]:
    """The JSON-serialisable truth of ``traffic``; goals from the registry of ``sites``."""
    registry = {site.site_id: site.analytics for site in sites}
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
            tally.human_events += 1
            if event.type is EventType.PAGE:
                tally.pageviews += 1
            elif event.name == conversion:
                tally.conversion_events += 1
            else:
                tally.custom_events += 1
        if not visitor.bot:
            by_visitor[visitor.key].append(event)

    for events in by_visitor.values():
        for session in sessionize(events):
            first = session[0]
            goals = goals_reached(session, registry.get(first.site_id, SiteAnalytics()))
            engaged = is_engaged(session, goals)
            for tally in (totals[first.site_id], days[first.site_id][first.client_ts.date()]):
                tally.sessions += 1
                tally.engaged_sessions += engaged
                tally.bounces += not engaged
                tally.single_page_sessions += sum(e.type is EventType.PAGE for e in session) == 1
                tally.conversions += bool(goals)
                tally.goals.update(goals)
                tally.sessions_across_midnight += (
                    session[-1].client_ts.date() != first.client_ts.date()
                )

    return {
        "seed": traffic.seed,
        "now": traffic.now.isoformat(),
        "span_s": int(traffic.span.total_seconds()),
        "visitors_generated": len(traffic.visitors),
        "session_gap_s": int(SESSION_GAP.total_seconds()),
        "engaged_after_s": int(ENGAGED_AFTER.total_seconds()),
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
