"""The dimensions metrics are broken down by, and the values that stand for all or none."""

from __future__ import annotations

TOTAL_DIMENSION = "all"
"""The dimension whose one value, ``TOTAL_VALUE``, stands for all of a site's traffic."""
TOTAL_VALUE = "(all)"
MISSING_VALUE = "(none)"
"""The value of a dimension the event does not carry (no country, no utm_source ...)."""
METRIC_DIMENSIONS: tuple[str, ...] = (
    TOTAL_DIMENSION,
    "path",
    "referrer_class",
    "country",
    "device_type",
    "browser",
    "utm_source",
    "utm_medium",
    "utm_campaign",
)
"""Metrics are broken down by each of these (event fields, except the total)."""
