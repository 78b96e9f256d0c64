"""The ground truth is a recomputation from the generated events alone."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from lakehouse.schema import EventType
from traffic.model import SimEvent, Traffic, generate
from traffic.sites import SITES_BY_ID
from traffic.truth import COUNTS, ground_truth

NOW = datetime(2026, 3, 15, 0, 40, tzinfo=UTC)  # the span crosses midnight


GOAL_PAGES = {"demo-shop": ("checkout", "/checkout"), "demo-docs": ("pricing", "/pricing")}
"""The demo registry's page goals, written out: the event goal is the site's conversion."""


def recount(traffic: Traffic, site: str) -> dict[str, Any]:
    """The same numbers from the model's own session labels, by another route."""
    humans = [e for e in traffic.events if e.site_id == site and not traffic.visitor(e.visitor).bot]
    sessions: dict[tuple[str, int], list[SimEvent]] = defaultdict(list)
    for event in humans:
        sessions[(event.visitor, event.session)].append(event)
    conversion = SITES_BY_ID[site].conversion
    page_goal, goal_path = GOAL_PAGES[site]
    goals: Counter[str] = Counter()
    engaged = converted = 0
    for events in sessions.values():
        reached = {conversion for e in events if e.name == conversion} | {
            page_goal for e in events if e.type is EventType.PAGE and e.path == goal_path
        }
        goals.update(reached)
        converted += bool(reached)
        span = max(e.client_ts for e in events) - min(e.client_ts for e in events)
        pages = sum(e.type is EventType.PAGE for e in events)
        engaged += span > timedelta(seconds=10) or pages >= 2 or bool(reached)
    mine = [e for e in traffic.events if e.site_id == site]
    return {
        "visitors": len({e.visitor for e in humans}),
        "sessions": len(sessions),
        "pageviews": sum(e.type is EventType.PAGE for e in humans),
        "human_events": len(humans),
        "engaged_sessions": engaged,
        "bounces": len(sessions) - engaged,
        "single_page_sessions": sum(
            [e.type for e in events].count(EventType.PAGE) == 1 for events in sessions.values()
        ),
        "conversions": converted,
        "conversion_events": sum(e.name == conversion for e in humans),
        "sessions_across_midnight": sum(
            len({e.client_ts.date() for e in events}) > 1 for events in sessions.values()
        ),
        "goals": dict(sorted(goals.items())),
        "bounce_rate": (len(sessions) - engaged) / len(sessions),
        "conversion_rate": converted / len(sessions),
        "custom_events": sum(e.type is EventType.TRACK and e.name != conversion for e in humans),
        "bot_events": sum(traffic.visitor(e.visitor).bot for e in mine),
        "late_events": sum(e.late for e in mine),
        "events": len(mine),
        "events_by_protocol": dict(
            sorted(Counter(traffic.visitor(e.visitor).protocol.value for e in mine).items())
        ),
    }


def test_truth_equals_a_recount_of_the_events() -> None:
    traffic = generate(1500, 4, NOW)
    truth = ground_truth(traffic)
    assert json.loads(json.dumps(truth)) == truth
    for site in SITES_BY_ID:
        assert truth["sites"][site]["total"] == recount(traffic, site)


def test_days_add_up_to_the_total() -> None:
    truth = ground_truth(generate(600, 9, NOW, timedelta(days=2)))
    for numbers in truth["sites"].values():
        days = numbers["days"]
        assert len(days) == 3
        for count in COUNTS:
            if count == "visitors":  # a visitor may come back on another day
                assert sum(d[count] for d in days.values()) >= numbers["total"][count]
            else:
                assert sum(d[count] for d in days.values()) == numbers["total"][count]
