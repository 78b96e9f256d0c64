"""Enrichment of events.v1: user agent, bots, geolocation, referrer and campaign, visitor id.

:func:`enrich` is the collector pipeline's enrich step; each sub-step is a pure, cached
function that can be called on its own.
"""

from collector.enrich.bots import BotReason, bot_reason, user_agent_bot_reason
from collector.enrich.event import ENRICH_STEP, ENRICHED_FIELDS, enrich
from collector.enrich.geo import IpLocation, geo_database, locate_ip
from collector.enrich.referrer import (
    ReferrerClass,
    campaign_from_url,
    classify_referrer,
    path_from_url,
    registrable_domain,
)
from collector.enrich.user_agent import DeviceType, UserAgentInfo, parse_user_agent
from collector.enrich.visitor import daily_salt, utc_day, visitor_hash, visitor_id


def warm_up() -> None:
    """Load the parsers and data sets now rather than on the first event."""
    parse_user_agent.__wrapped__("Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0")
    user_agent_bot_reason.__wrapped__("Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0")
    geo_database()
    registrable_domain.__wrapped__("www.example.com")


__all__ = [
    "ENRICHED_FIELDS",
    "ENRICH_STEP",
    "BotReason",
    "DeviceType",
    "IpLocation",
    "ReferrerClass",
    "UserAgentInfo",
    "bot_reason",
    "campaign_from_url",
    "classify_referrer",
    "daily_salt",
    "enrich",
    "geo_database",
    "locate_ip",
    "parse_user_agent",
    "path_from_url",
    "registrable_domain",
    "user_agent_bot_reason",
    "utc_day",
    "visitor_hash",
    "visitor_id",
    "warm_up",
]
