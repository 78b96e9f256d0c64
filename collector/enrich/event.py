"""The enrich step: one events.v1 client event and its Hit in, the event with the
collector's enrichment fields out.

It fills visitor_id, browser, browser_version, os, device_type, is_bot, country, region and
referrer_class, and path and utm_* where the client left them out. received_at and protocol
belong to the pipeline. The client address is used here and goes nowhere else: no field of
the result holds it.
"""

from __future__ import annotations

from typing import Any

from collector.enrich.bots import BotReason, bot_reason
from collector.enrich.geo import locate_ip
from collector.enrich.referrer import campaign_from_url, classify_referrer, path_from_url
from collector.enrich.user_agent import DeviceType, parse_user_agent
from collector.enrich.visitor import visitor_id
from collector.model import Hit

ENRICH_STEP = "enrich"
ENRICHED_FIELDS = (
    "visitor_id",
    "browser",
    "browser_version",
    "os",
    "device_type",
    "is_bot",
    "country",
    "region",
    "referrer_class",
)


def _text(value: object) -> str | None:
    # Events are validated before this step; this keeps a stray type from raising here.
    return value if isinstance(value, str) else None


def enrich(event: dict[str, Any], hit: Hit, secret: bytes) -> dict[str, Any]:
    """A copy of ``event`` with the enrichment fields set; ``event`` is left as it was."""
    user_agent = hit.headers.get("user-agent") or ""
    enriched = dict(event)

    url = _text(enriched.get("url"))
    if url:
        if enriched.get("path") is None:
            enriched["path"] = path_from_url(url)
        for name, value in campaign_from_url(url).items():
            if enriched.get(name) is None:
                enriched[name] = value

    agent = parse_user_agent(user_agent)
    location = locate_ip(hit.client_ip)
    reason = bot_reason(user_agent, hit.headers, hit.protocol, location.datacenter)
    device_type = agent.device_type
    if reason is not None and reason is not BotReason.DATACENTER:
        # What the agent says of itself marks a bot; a hosting address alone may be a
        # person behind a VPN, so it keeps the device it claims.
        device_type = DeviceType.BOT

    enriched["visitor_id"] = visitor_id(
        enriched.get("anonymous_id"),
        secret,
        hit.received_at,
        str(enriched.get("site_id") or ""),
        hit.client_ip,
        user_agent,
    )
    enriched["browser"] = agent.browser
    enriched["browser_version"] = agent.browser_version
    enriched["os"] = agent.os
    enriched["device_type"] = str(device_type) if device_type is not None else None
    enriched["is_bot"] = reason is not None
    enriched["country"] = location.country
    enriched["region"] = location.region
    enriched["referrer_class"] = str(
        classify_referrer(_text(enriched.get("referrer")), url, _text(enriched.get("utm_medium")))
    )
    return enriched
