"""The data-quality checks' bounds (expectations/): what a day's data may look like before
its expectations fail. The hard rules (contract, counts, reconciliation) take no setting."""

from __future__ import annotations

from pydantic import BaseModel, Field

Share = float


class DataQualitySettings(BaseModel):
    """Bounds of the warning-level checks, and the loss the collector reconciliation allows."""

    max_bot_share: Share = Field(
        default=0.5, ge=0, le=1, description="share of a day's raw events that are bots"
    )
    min_enriched_share: Share = Field(
        default=0.8,
        ge=0,
        le=1,
        description="share of a day's raw events with each enrichment (browser, os, ...) set",
    )
    max_repeat_share: Share = Field(
        default=0.05,
        ge=0,
        le=1,
        description="share of raw events that repeat an event_id past the dedupe window",
    )
    max_lost_share: Share = Field(
        default=0.001,
        ge=0,
        le=1,
        description="share of the collector's accepted events of a day missing from raw.events"
        " (a client's resend of an accepted event counts twice at the collector, once in raw)",
    )
    visitors_sigmas: float = Field(
        default=3.0,
        gt=0,
        description="live visitors may be this many sketch standard errors off the exact count",
    )
