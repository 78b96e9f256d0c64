"""Referrer class, campaign (utm_*) parameters and path, from the referrer and page URLs."""

from __future__ import annotations

import enum
from functools import cache, lru_cache
from urllib.parse import SplitResult, unquote_plus, urlsplit

from publicsuffixlist import PublicSuffixList

from collector.enrich import referrer_hosts as hosts
from lakehouse.schema import EVENT_FIELDS

HOST_CACHE_SIZE = 16384
URL_CACHE_SIZE = 16_384
_BOUNDS = {field.name: field.max_length or 0 for field in EVENT_FIELDS}
UTM_FIELDS = tuple(name for name in _BOUNDS if name.startswith("utm_"))
PATH_MAX_LENGTH = _BOUNDS["path"]
ANDROID_APP_SCHEME = "android-app://"
SEARCH_SUBDOMAINS = frozenset({"", "www", "m", "cn", "search"})


class ReferrerClass(enum.StrEnum):
    SEARCH = "search"
    SOCIAL = "social"
    EMAIL = "email"
    DIRECT = "direct"
    INTERNAL = "internal"
    OTHER = "other"


@cache
def _public_suffixes() -> PublicSuffixList:
    return PublicSuffixList()  # the list shipped inside the package; no download


@lru_cache(maxsize=URL_CACHE_SIZE)
def split_url(url: str) -> SplitResult | None:
    """``urlsplit`` of a stripped URL, cached: pages and referrers repeat across events, and
    the referrer, path and campaign steps each need the same split."""
    try:
        return urlsplit(url.strip())
    except ValueError:  # e.g. an unbalanced IPv6 bracket
        return None


@lru_cache(maxsize=URL_CACHE_SIZE)
def url_host(url: str | None) -> str | None:
    """Lower-case host of an absolute URL, without port; None if there is none."""
    if not url:
        return None
    parts = split_url(url)
    host = parts.hostname if parts is not None else None
    if not host:
        return None
    return host.rstrip(".") or None


@lru_cache(maxsize=HOST_CACHE_SIZE)
def registrable_domain(host: str) -> str:
    """The site a host belongs to: www.shop.example.co.uk -> example.co.uk.

    Hosts without a registrable part (localhost, IP addresses, a bare suffix) are their own.
    """
    return _public_suffixes().privatesuffix(host) or host


def _parents(host: str) -> list[str]:
    labels = host.split(".")
    return [".".join(labels[i:]) for i in range(len(labels))]


def _brand(host: str) -> tuple[str, str]:
    """The label left of the public suffix and the subdomain before it:
    uk.search.yahoo.com -> ("yahoo", "uk.search")."""
    site = registrable_domain(host)
    return site.split(".", 1)[0], host[: -len(site)].rstrip(".")


def _search_front_page(subdomain: str) -> bool:
    # google.de and www.google.de search; docs.google.de and maps.google.de do not.
    return subdomain in SEARCH_SUBDOMAINS or subdomain.rsplit(".", 1)[-1] == "search"


@lru_cache(maxsize=HOST_CACHE_SIZE)
def host_class(host: str) -> ReferrerClass:
    """Search, social, email or other, for a referring host from another site."""
    if host in hosts.EMAIL_HOSTS:
        return ReferrerClass.EMAIL
    for parent in _parents(host):
        if parent in hosts.SEARCH_HOSTS:
            return ReferrerClass.SEARCH
        if parent in hosts.SOCIAL_HOSTS:
            return ReferrerClass.SOCIAL
        if parent in hosts.EMAIL_HOSTS:
            return ReferrerClass.EMAIL
    brand, subdomain = _brand(host)
    if brand in hosts.SEARCH_BRANDS and _search_front_page(subdomain):
        return ReferrerClass.SEARCH
    if brand in hosts.SOCIAL_BRANDS:
        return ReferrerClass.SOCIAL
    return ReferrerClass.OTHER


@lru_cache(maxsize=HOST_CACHE_SIZE)
def _hosts_class(referrer_host: str, page_host: str | None) -> ReferrerClass:
    if page_host is not None and (
        referrer_host == page_host
        or registrable_domain(referrer_host) == registrable_domain(page_host)
    ):
        return ReferrerClass.INTERNAL
    return host_class(referrer_host)


def classify_referrer(
    referrer: str | None, page_url: str | None, utm_medium: str | None = None
) -> ReferrerClass:
    """Where a visit came from.

    email: utm_medium says a mailing, or the referrer is webmail; direct: no referrer;
    internal: the referrer is on the page's own site (same registrable domain); search and
    social: known hosts (:mod:`collector.enrich.referrer_hosts`); other: anything else.
    """
    if utm_medium and utm_medium.strip().lower() in hosts.EMAIL_MEDIUMS:
        return ReferrerClass.EMAIL
    if not referrer or not referrer.strip():
        return ReferrerClass.DIRECT
    if referrer.startswith(ANDROID_APP_SCHEME):
        package = referrer[len(ANDROID_APP_SCHEME) :].split("/", 1)[0]
        return ReferrerClass(hosts.ANDROID_APPS.get(package, ReferrerClass.OTHER))
    referrer_host = url_host(referrer)
    if referrer_host is None:
        return ReferrerClass.OTHER
    return _hosts_class(referrer_host, url_host(page_url))


def campaign_from_url(url: str | None) -> dict[str, str]:
    """The utm_* parameters of a page URL (first value of each, non-empty), by field name."""
    if not url or "utm_" not in url.lower():
        return {}
    parts = split_url(url)
    if parts is None:
        return {}
    query = parts.query
    found: dict[str, str] = {}
    # Decode only the utm_* pairs: most of a query is of no interest here.
    for pair in query.split("&"):
        if pair[:4].lower() != "utm_":
            continue
        key, _, raw = pair.partition("=")
        name = key.lower()
        if name in UTM_FIELDS and name not in found:
            value = (unquote_plus(raw) if "%" in raw or "+" in raw else raw).strip()
            if value:
                found[name] = value[: _BOUNDS[name]]
    return found


def path_from_url(url: str | None) -> str | None:
    """The path of a page URL ('/' for a bare host); None when there is no URL."""
    if not url or not url.strip():
        return None
    parts = split_url(url)
    if parts is None:
        return None
    if parts.path:
        return parts.path[:PATH_MAX_LENGTH]
    return "/" if parts.netloc else None
