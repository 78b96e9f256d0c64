"""Enrichment cost per event: each step and the whole enrich() over a realistic mix.

100,000 events from ~200 distinct user agents and ~2,000 addresses, with referrers and
campaign URLs as a site sees them. Prints microseconds per event for a cold pass (caches
empty: every distinct user agent and address parsed once) and a warm pass (cache hits).

    .venv/bin/python bench/enrich.py [--events N]
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from collector import enrich as steps
from collector.enrich import samples
from collector.model import Hit
from lakehouse.schema import Protocol

SECRET = b"bench-secret-0123456789"
REFERRERS = (
    None,
    None,
    None,
    "https://www.google.com/",
    "https://www.google.de/",
    "https://www.bing.com/search?q=shoes",
    "https://duckduckgo.com/",
    "https://l.facebook.com/l.php?u=https%3A%2F%2Fshop.example",
    "https://t.co/x1y2z3",
    "https://www.reddit.com/r/shoes/comments/abc/",
    "https://mail.google.com/mail/u/0/",
    "https://shop.example/",
    "https://shop.example/cart",
    "https://blog.example.org/review",
    "android-app://com.google.android.gm/",
)
PATHS = ("/", "/pricing", "/shoes", "/shoes/runner-2", "/cart", "/checkout", "/blog/spring")
CAMPAIGNS = ("", "", "", "?utm_source=newsletter&utm_medium=email&utm_campaign=spring")


def workload(count: int, seed: int = 11) -> list[tuple[dict[str, Any], Hit]]:
    rng = random.Random(seed)
    user_agents = samples.user_agent_mix(200)
    addresses = samples.public_ip_mix(2000)
    now = datetime(2025, 3, 14, 12, tzinfo=UTC)
    pairs = []
    for number in range(count):
        headers = {"user-agent": rng.choice(user_agents), "accept-language": "en-GB,en;q=0.8"}
        hit = Hit(Protocol.NATIVE, "POST", "/e", {}, headers, b"", rng.choice(addresses), now)
        event = {
            "event_id": f"e-{number}",
            "type": "page",
            "site_id": "demo-shop",
            "client_ts": now,
            "url": f"https://shop.example{rng.choice(PATHS)}{rng.choice(CAMPAIGNS)}",
            "referrer": rng.choice(REFERRERS),
        }
        if rng.random() < 0.3:
            event["anonymous_id"] = f"anon-{rng.randint(1, 5000)}"
        pairs.append((event, hit))
    return pairs


def clear_caches() -> None:
    for cached in (
        steps.parse_user_agent,
        steps.user_agent_bot_reason,
        steps.locate_ip,
        steps.registrable_domain,
    ):
        cached.cache_clear()


def per_event_us(step: Callable[[dict[str, Any], Hit], object], pairs: list[Any]) -> float:
    started = time.perf_counter()
    for event, hit in pairs:
        step(event, hit)
    return (time.perf_counter() - started) / len(pairs) * 1e6


STEPS: dict[str, Callable[[dict[str, Any], Hit], object]] = {
    "user_agent": lambda e, h: steps.parse_user_agent(h.headers.get("user-agent")),
    "bot": lambda e, h: steps.bot_reason(h.headers.get("user-agent"), h.headers, h.protocol, False),
    "geo": lambda e, h: steps.locate_ip(h.client_ip),
    "referrer+utm+path": lambda e, h: (
        steps.classify_referrer(e.get("referrer"), e["url"]),
        steps.campaign_from_url(e["url"]),
        steps.path_from_url(e["url"]),
    ),
    "visitor_id": lambda e, h: steps.visitor_id(
        e.get("anonymous_id"),
        SECRET,
        h.received_at,
        "demo-shop",
        h.client_ip,
        h.headers["user-agent"],
    ),
    "enrich (total)": lambda e, h: steps.enrich(e, h, SECRET),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    count = min(parser.parse_args().events, 1_000_000)
    pairs = workload(count)
    started = time.perf_counter()
    steps.warm_up()
    print(f"loading parsers and data: {time.perf_counter() - started:.2f} s")
    print(f"{count:,} events, 200 user agents, 2,000 addresses; microseconds per event")
    print(f"{'step':<20}{'cold':>10}{'warm':>10}")
    for name, step in STEPS.items():
        clear_caches()
        cold = per_event_us(step, pairs)
        warm = per_event_us(step, pairs)
        print(f"{name:<20}{cold:>10.2f}{warm:>10.2f}")
    events_per_s = 1e6 / per_event_us(STEPS["enrich (total)"], pairs)
    print(f"enrich throughput, one core, warm: {events_per_s:,.0f} events/s")


if __name__ == "__main__":
    main()
