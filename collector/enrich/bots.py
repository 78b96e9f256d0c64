"""Bot, crawler and automation signals.

Crawlers are recognised by the crawler-user-agents pattern list (a community-maintained
list, released to PyPI with every change), automation by the markers headless browsers and
drivers leave in the user agent, and scripted traffic by a browser user agent that sends no
Accept-Language (every real browser does) or by an address in a cloud or hosting network.
Bots are flagged, never dropped: the reason tells the analyst why.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from functools import lru_cache

import crawleruseragents

from collector.enrich.user_agent import parse_user_agent
from lakehouse.schema import Protocol

BOT_CACHE_SIZE = 8192


class BotReason(enum.StrEnum):
    NO_USER_AGENT = "no_user_agent"
    CRAWLER = "crawler"  # on the crawler list, or ua-parser's own spider detection
    HEADLESS = "headless"  # a headless browser or a browser driven by automation
    NO_ACCEPT_LANGUAGE = "no_accept_language"  # a browser user agent without the header
    DATACENTER = "datacenter"  # the address is in a cloud or hosting network


# Markers automation tools put in the user agent (some are on the crawler list too).
HEADLESS_MARKERS = (
    "HeadlessChrome",
    "Headless",
    "PhantomJS",
    "SlimerJS",
    "Puppeteer",
    "Playwright",
    "Selenium",
    "WebDriver",
    "jsdom",
    "Cypress",
    "HtmlUnit",
)

# Protocols whose requests come straight from the visitor's browser, so the browser's own
# headers are there; server-side relays (GA4 Measurement Protocol, proxied Plausible) forward
# only some headers.
BROWSER_DIRECT_PROTOCOLS = frozenset({Protocol.NATIVE, Protocol.SEGMENT, Protocol.SNOWPLOW})


@lru_cache(maxsize=BOT_CACHE_SIZE)
def user_agent_bot_reason(user_agent: str | None) -> BotReason | None:
    """Why a user agent alone marks a bot (missing, crawler, headless), or None."""
    if not user_agent or not user_agent.strip():
        return BotReason.NO_USER_AGENT
    if any(marker in user_agent for marker in HEADLESS_MARKERS):
        return BotReason.HEADLESS
    if crawleruseragents.is_crawler(user_agent):
        return BotReason.CRAWLER
    if parse_user_agent(user_agent).device_type == "bot":
        return BotReason.CRAWLER
    return None


def _looks_like_browser(user_agent: str) -> bool:
    return user_agent.startswith("Mozilla/5.0 (") and parse_user_agent(user_agent).device_type in (
        "desktop",
        "mobile",
        "tablet",
    )


def bot_reason(
    user_agent: str | None,
    headers: Mapping[str, str],
    protocol: Protocol,
    datacenter: bool,
) -> BotReason | None:
    """Why a request looks automated, or None for a plausible human visitor.

    ``headers`` are the request's, with lower-case names; ``datacenter`` says whether the
    client address is in a cloud or hosting network (see :func:`collector.enrich.geo.locate_ip`).
    """
    reason = user_agent_bot_reason(user_agent)
    if reason is not None:
        return reason
    if (
        user_agent
        and protocol in BROWSER_DIRECT_PROTOCOLS
        and not headers.get("accept-language")
        and _looks_like_browser(user_agent)
    ):
        return BotReason.NO_ACCEPT_LANGUAGE
    if datacenter:
        return BotReason.DATACENTER
    return None
