"""Where a session comes from: search, social, email, direct or a referral, with the referrer
and utm_* tags each sends."""

from __future__ import annotations

import random
from dataclasses import dataclass

from traffic.draw import pick


@dataclass(frozen=True)
class Source:
    kind: str  # search | social | email | direct | referral
    referrer: str | None
    utm: tuple[tuple[str, str], ...] = ()


SEARCH_REFERRERS = (
    ("https://www.google.com/", 0.75),
    ("https://www.bing.com/", 0.12),
    ("https://duckduckgo.com/", 0.09),
    ("https://www.ecosia.org/", 0.04),
)
SOCIAL_REFERRERS = (
    ("https://t.co/", 0.3),
    ("https://l.facebook.com/", 0.25),
    ("https://www.reddit.com/", 0.25),
    ("https://www.linkedin.com/", 0.2),
)
REFERRAL_REFERRERS = (
    ("https://news.ycombinator.com/", 0.4),
    ("https://dev.to/", 0.3),
    ("https://github.com/", 0.3),
)
CAMPAIGNS = ("spring-sale", "product-update", "weekly-digest")
SOURCE_KINDS = (
    ("search", 0.35),
    ("direct", 0.25),
    ("social", 0.14),
    ("email", 0.14),
    ("referral", 0.12),
)


def draw_source(rng: random.Random) -> Source:
    kind = pick(rng, SOURCE_KINDS)
    if kind == "search":
        return Source(kind, pick(rng, SEARCH_REFERRERS))
    if kind == "social":
        referrer = pick(rng, SOCIAL_REFERRERS)
        if rng.random() < 0.4:  # a paid or tagged post
            network = referrer.split("//")[1].split(".")[-2]
            return Source(kind, referrer, (("utm_source", network), ("utm_medium", "social")))
        return Source(kind, referrer)
    if kind == "email":
        utm = (
            ("utm_source", "newsletter"),
            ("utm_medium", "email"),
            ("utm_campaign", rng.choice(CAMPAIGNS)),
        )
        return Source(kind, "https://mail.google.com/" if rng.random() < 0.3 else None, utm)
    if kind == "referral":
        return Source(kind, pick(rng, REFERRAL_REFERRERS))
    return Source(kind, None)
