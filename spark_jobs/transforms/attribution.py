"""Where a session came from, as GA reports it: utm tags when the landing page has them,
else derived from the referrer (google / organic, t.co / social, (direct) / (none))."""

from __future__ import annotations

from pyspark.sql import Column
from pyspark.sql import functions as F

from lakehouse.dimensions import MISSING_VALUE

DIRECT_SOURCE = "(direct)"
NOT_SET = "(not set)"
HOST_PATTERN = r"^[A-Za-z][A-Za-z0-9+.-]*://(?:[^@/?#]*@)?([^/:?#]+)"


def referrer_host(referrer: Column) -> Column:
    """The referrer URL's host, lower case and without ``www.``; null without one."""
    host = F.lower(F.regexp_extract(referrer, HOST_PATTERN, 1))
    host = F.regexp_replace(host, r"^www\.", "")
    return F.when(host != "", host)


def _engine(host: Column) -> Column:
    """A search engine's name from its host: www.google.com -> google, duckduckgo.com ->
    duckduckgo (the label before the public suffix, for one- or two-label suffixes)."""
    labels = F.split(host, r"\.")
    count = F.size(labels)
    two_label_suffix = (count >= 3) & F.element_at(labels, -2).isin("co", "com", "org", "net")
    return F.when(two_label_suffix, F.element_at(labels, -3)).otherwise(
        F.when(count >= 2, F.element_at(labels, -2)).otherwise(host)
    )


def source_medium_campaign(
    utm_source: Column,
    utm_medium: Column,
    utm_campaign: Column,
    host: Column,
    referrer_class: Column,
) -> tuple[Column, Column, Column]:
    """(source, medium, campaign) of a session from its landing event's fields."""
    tagged = utm_source.isNotNull() & (utm_source != "")
    unreferred = host.isNull() | referrer_class.isin("direct", "internal")
    source = (
        F.when(tagged, utm_source)
        .when(unreferred, F.lit(DIRECT_SOURCE))
        .when(referrer_class == "search", _engine(host))
        .otherwise(host)
    )
    medium = (
        F.when(tagged, F.coalesce(utm_medium, F.lit(NOT_SET)))
        .when(unreferred, F.lit(MISSING_VALUE))
        .when(referrer_class == "search", F.lit("organic"))
        .when(referrer_class == "social", F.lit("social"))
        .when(referrer_class == "email", F.lit("email"))
        .otherwise(F.lit("referral"))
    )
    campaign = F.when(tagged, F.coalesce(utm_campaign, F.lit(NOT_SET))).otherwise(
        F.lit(MISSING_VALUE)
    )
    return source, medium, campaign
