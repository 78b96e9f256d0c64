"""Which site a request is for, and whether it may send for it."""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from lakehouse.bad_rows import BadReason
from lakehouse.schema import Protocol
from lakehouse.settings import SiteSettings

# Server-side protocols authenticate with a write key; browser ones are checked by Origin.
KEYED_PROTOCOLS = frozenset({Protocol.SEGMENT, Protocol.GA4})


@dataclass(frozen=True)
class Refusal:
    """Why a site refuses an event, with the HTTP status a whole request gets for it."""

    reason: BadReason
    status: int
    detail: str


class SiteDirectory:
    """The configured sites, looked up by id, domain or alias."""

    def __init__(self, sites: Iterable[SiteSettings]) -> None:
        self._by_ref: dict[str, SiteSettings] = {}
        self._by_write_key: dict[str, SiteSettings] = {}
        for site in sites:
            if site.write_key:
                self._by_write_key[site.write_key] = site
            for ref in (site.site_id, *site.domains, *site.aliases):
                self._by_ref[ref.lower()] = site

    def resolve(self, site_ref: str | None, write_key: str | None = None) -> SiteSettings | Refusal:
        """The site a request names; a Segment request names it by its write key alone."""
        if not site_ref and write_key:
            keyed = self._by_write_key.get(write_key)
            if keyed is None:
                return Refusal(BadReason.BAD_WRITE_KEY, 401, "unknown write key")
            return keyed
        if not site_ref:
            return Refusal(BadReason.UNKNOWN_SITE, 400, "the request names no site")
        site = self._by_ref.get(site_ref.strip().lower())
        if site is None:
            return Refusal(BadReason.UNKNOWN_SITE, 404, f"site {site_ref[:64]!r} is not configured")
        return site


def admit(
    site: SiteSettings, protocol: Protocol, write_key: str | None, origin: str | None
) -> Refusal | None:
    """None if ``site`` takes this request; else why not."""
    if protocol in KEYED_PROTOCOLS:
        if site.write_key is None:
            return Refusal(
                BadReason.BAD_WRITE_KEY, 403, f"site {site.site_id} has no write key configured"
            )
        if not write_key:
            return Refusal(BadReason.BAD_WRITE_KEY, 401, "missing write key")
        if not hmac.compare_digest(write_key.encode(), site.write_key.encode()):
            return Refusal(BadReason.BAD_WRITE_KEY, 401, "wrong write key for this site")
    if origin and not origin_allowed(site, origin):
        return Refusal(
            BadReason.ORIGIN_NOT_ALLOWED,
            403,
            f"origin {origin[:100]!r} may not send events for site {site.site_id}",
        )
    return None


def origin_allowed(site: SiteSettings, origin: str) -> bool:
    if origin in site.allowed_origins or "*" in site.allowed_origins:
        return True
    if site.allowed_origins:
        return False
    host = (urlsplit(origin).hostname or "").lower()
    return any(host == domain or host.endswith("." + domain) for domain in site.domains)
