"""Simulated traffic as raw.events rows, written straight to the lake: for the batch layer's
tests and benchmark, which measure the batch jobs, not the collector. Pure.

Each row is what the collector and the streaming job would have stored, with the enrichment
taken from what the simulator knows (the device, the country, bot or not). A cookieless
visitor keeps one hash over the whole traffic, as when all of it is sent in one go (the
collector's hash changes with the UTC day of receipt). Some events arrive again (the same
event_id, hours later: a retry past the stream's dedupe window), and some arrive days late;
neither changes the ground truth.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from lakehouse.tables.raw import RAW_EVENTS
from traffic.model import SimEvent, Traffic
from traffic.visitors import Visitor

RECEIPT_DELAY = timedelta(seconds=1)
REPEAT_AFTER = timedelta(hours=2)
SEARCH_HOSTS = ("google.", "bing.", "duckduckgo.", "ecosia.")
SOCIAL_HOSTS = ("t.co", "facebook.", "reddit.", "linkedin.")


@dataclass(frozen=True)
class Arrival:
    """How the rows of a traffic arrive: the share repeated, and the share days late."""

    repeated_share: float = 0.01
    late_share: float = 0.01
    min_late: timedelta = timedelta(days=1)
    max_late: timedelta = timedelta(days=3)
    seed: int = 0


def referrer_class(referrer: str | None, own_host: str) -> str:
    if not referrer:
        return "direct"
    host = (urlsplit(referrer).hostname or "").lower()
    if host == own_host:
        return "internal"
    if host.startswith("mail."):
        return "email"
    if any(mark in host for mark in SEARCH_HOSTS):
        return "search"
    if any(host == mark or mark in host for mark in SOCIAL_HOSTS):
        return "social"
    return "other"


def raw_row(visitor: Visitor, event: SimEvent, received_at: datetime) -> dict[str, Any]:
    """One event as raw.events keeps it, received at ``received_at``."""
    url = urlsplit(event.url)
    utm = {k: v for k, v in parse_qsl(url.query) if k.startswith("utm_")}
    browser, _, os_name = visitor.device.name.partition("-")
    row: dict[str, Any] = dict.fromkeys(RAW_EVENTS.column_names)
    row.update(
        event_id=event.event_id,
        type=event.type.value,
        name=event.name,
        site_id=event.site_id,
        anonymous_id=visitor.anonymous_id,
        client_ts=event.client_ts,
        url=event.url,
        path=event.path,
        title=event.title,
        referrer=event.referrer,
        utm_source=utm.get("utm_source"),
        utm_medium=utm.get("utm_medium"),
        utm_campaign=utm.get("utm_campaign"),
        screen_width=visitor.device.screen[0],
        screen_height=visitor.device.screen[1],
        language=visitor.language,
        properties=dict(event.properties),
        received_at=received_at,
        protocol=visitor.protocol.value,
        visitor_id=visitor.anonymous_id or f"hash-{visitor.site_id}-{visitor.key}",
        browser=browser,
        os=os_name or None,
        device_type=visitor.device.kind,
        is_bot=visitor.bot,
        country=visitor.country,
        referrer_class=referrer_class(event.referrer, url.hostname or ""),
        event_date=event.client_ts.date(),
    )
    return row


def raw_rows(traffic: Traffic, arrival: Arrival = Arrival()) -> Iterator[dict[str, Any]]:
    """Every event of ``traffic`` as a raw row, with the repeats and late arrivals of
    ``arrival``; a late event is one whose receipt is still before ``traffic.now``."""
    rng = random.Random(f"beacon-raw-rows:{arrival.seed}")
    for event in traffic.events:
        visitor = traffic.visitor(event.visitor)
        received_at = event.send_at + RECEIPT_DELAY
        if rng.random() < arrival.late_share:
            late = arrival.min_late + (arrival.max_late - arrival.min_late) * rng.random()
            if event.client_ts + late <= traffic.now:
                received_at = event.client_ts + late
        row = raw_row(visitor, event, received_at)
        yield row
        if rng.random() < arrival.repeated_share:
            yield dict(row, received_at=received_at + REPEAT_AFTER)
