"""The traffic model: deterministic per seed, sessions that the 30-minute rule finds again,
realistic rates, visitors the collector's enrichment sees as intended."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest

from collector.enrich import locate_ip, parse_user_agent, user_agent_bot_reason
from lakehouse.schema import EventType, Protocol
from lakehouse.settings import DEMO_SITES
from traffic.model import SESSION_GAP, SimEvent, Traffic, generate
from traffic.sites import SITES_BY_ID
from traffic.visitors import Visitor
from traffic.wire import plan

NOW = datetime(2026, 3, 14, 15, 9, 26, 535000, tzinfo=UTC)

# The digest of ``generate(200, 42, NOW)`` in the form of :func:`canonical`: a change to the
# model's tables or draws changes it, a refactoring must not.
GOLDEN_SHA256 = "a8ae555885b699f30374e621c233143d2c129dc871301d2e84e259875f9b9745"


@pytest.fixture(scope="module")
def large() -> Traffic:
    return generate(3000, 11, NOW)


def canonical(traffic: Traffic) -> str:
    """Every visitor, then every event, as one line of sorted-key JSON each."""
    records: list[Visitor | SimEvent] = [*traffic.visitors, *traffic.events]
    return "\n".join(
        json.dumps(dataclasses.asdict(record), sort_keys=True, default=str) for record in records
    )


def test_a_seed_gives_the_recorded_traffic() -> None:
    traffic = generate(200, 42, NOW)
    assert (len(traffic.visitors), len(traffic.events)) == (200, 1167)
    assert hashlib.sha256(canonical(traffic).encode()).hexdigest() == GOLDEN_SHA256


def test_same_seed_same_requests_other_seed_other_requests() -> None:
    first = plan(generate(120, 7, NOW), DEMO_SITES)
    again = plan(generate(120, 7, NOW), DEMO_SITES)
    other = plan(generate(120, 8, NOW), DEMO_SITES)
    assert [d.request for d in first] == [d.request for d in again]
    assert [d.request for d in first] != [d.request for d in other]


def test_more_visitors_extend_the_same_traffic() -> None:
    small, bigger = generate(50, 3, NOW), generate(80, 3, NOW)
    assert bigger.visitors[:50] == small.visitors
    keys = {v.key for v in small.visitors}
    assert [e for e in bigger.events if e.visitor in keys] == list(small.events)


def test_events_lie_in_the_span_in_client_time_order(large: Traffic) -> None:
    times = [e.client_ts for e in large.events]
    assert times == sorted(times)
    assert all(NOW - timedelta(minutes=90) < t <= NOW for t in times)
    assert len({e.event_id for e in large.events}) == len(large.events)


def test_sessions_are_what_the_thirty_minute_rule_finds(large: Traffic) -> None:
    by_visitor: dict[str, list[SimEvent]] = defaultdict(list)
    for event in large.events:
        by_visitor[event.visitor].append(event)
    multi_session = 0
    for events in by_visitor.values():
        for before, after in pairwise(events):
            gap = after.client_ts - before.client_ts
            if after.session == before.session:
                assert gap < SESSION_GAP
            else:
                assert after.session == before.session + 1
                assert gap > SESSION_GAP
                multi_session += 1
    assert multi_session > 300  # about a third of the visitors come back


def test_bounce_and_conversion_rates(large: Traffic) -> None:
    sessions: dict[tuple[str, int], list[SimEvent]] = defaultdict(list)
    for event in large.events:
        if not large.visitor(event.visitor).bot:
            sessions[(event.visitor, event.session)].append(event)
    bounces = sum(sum(e.type is EventType.PAGE for e in s) == 1 for s in sessions.values())
    conversions = sum(
        any(e.name == SITES_BY_ID[e.site_id].conversion for e in s) for s in sessions.values()
    )
    assert 0.35 <= bounces / len(sessions) <= 0.45
    assert 0.02 <= conversions / len(sessions) <= 0.06


def test_mix_of_devices_protocols_bots_and_late_events(large: Traffic) -> None:
    visitors = large.visitors
    bots = [v for v in visitors if v.bot]
    assert 0.05 <= len(bots) / len(visitors) <= 0.11
    assert {v.device.name for v in bots} == {"googlebot", "bingbot", "headless-chrome"}
    assert {v.device.kind for v in visitors} == {"desktop", "mobile", "tablet", "bot"}
    protocols = {v.protocol for v in visitors}
    assert protocols == set(Protocol)
    native = sum(v.protocol == Protocol.NATIVE for v in visitors) / len(visitors)
    assert native > 0.6
    late = [e for e in large.events if e.late]
    assert 0.005 <= len(late) / len(large.events) <= 0.05
    assert all(large.visitor(e.visitor).protocol is not Protocol.PLAUSIBLE for e in late)
    assert {e.name for e in large.events if e.type is EventType.TRACK} >= {
        "purchase",
        "signup",
        "add_to_cart",
        "copy_code",
        "engagement",
    }
    assert any("utm_medium=email" in e.url for e in large.events)


def test_late_events_arrive_after_later_events_of_their_visitor(large: Traffic) -> None:
    deliveries = plan(large, DEMO_SITES)
    seen_latest: dict[str, datetime] = {}
    late_seen = 0
    for delivery in deliveries:
        for event in delivery.events:
            if event.late:
                late_seen += 1
                assert seen_latest[event.visitor] > event.client_ts
            latest = seen_latest.get(event.visitor, event.client_ts)
            seen_latest[event.visitor] = max(latest, event.client_ts)
    assert late_seen == sum(e.late for e in large.events) > 0


def test_enrichment_sees_people_where_they_are_and_bots_as_bots(large: Traffic) -> None:
    for visitor in large.visitors[:600]:
        agent = parse_user_agent(visitor.device.user_agent)
        if visitor.bot:
            assert user_agent_bot_reason(visitor.device.user_agent) is not None
            continue
        location = locate_ip(visitor.ip)
        assert location.country == visitor.country, visitor
        assert not location.datacenter, visitor
        assert user_agent_bot_reason(visitor.device.user_agent) is None
        assert agent.device_type == visitor.device.kind, visitor.device
        assert visitor.accept_language


def test_cookieless_visitors_differ_in_address_or_user_agent(large: Traffic) -> None:
    seen = {(v.site_id, v.ip, v.device.user_agent) for v in large.visitors}
    assert len(seen) == len(large.visitors)
    assert all(not v.ip.startswith(("10.", "127.", "192.168.")) for v in large.visitors)


def test_a_span_of_days_spreads_visitors_over_days() -> None:
    traffic = generate(400, 5, NOW, timedelta(days=2))
    days = {e.client_ts.date() for e in traffic.events}
    assert len(days) == 3
    assert min(e.client_ts for e in traffic.events) > NOW - timedelta(days=2)


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="at least"):
        generate(10, 1, NOW, timedelta(minutes=10))
    with pytest.raises(ValueError, match="visitors"):
        generate(0, 1, NOW)
    with pytest.raises(ValueError, match="timezone"):
        generate(1, 1, datetime(2026, 1, 1))


def test_a_rerun_later_sends_new_event_ids() -> None:
    first, later = generate(30, 1, NOW), generate(30, 1, NOW + timedelta(hours=1))
    assert [v.key for v in first.visitors] == [v.key for v in later.visitors]
    assert not {e.event_id for e in first.events} & {e.event_id for e in later.events}
