"""Settings of the reporting API's admin side and of erasure: the admin token and the key of
the audit's identifier hash. Outside the local profile both must be set; locally each is
generated once into the state dir (:mod:`lakehouse.state_secrets`)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ApiSettings(BaseModel):
    """The reporting API service (`beacon up api`)."""

    admin_token: str | None = Field(
        default=None,
        min_length=16,
        description="bearer token of the admin endpoints; generated into the state dir locally",
    )


class GdprSettings(BaseModel):
    """Erasure and access requests."""

    hash_secret: str | None = Field(
        default=None,
        min_length=16,
        description="key of the identifier hash in ops.gdpr_audit; generated locally",
    )
    schedule: str = Field(
        default="@hourly",
        min_length=1,
        description="cron or preset of the beacon_gdpr DAG (a new request also triggers a run)",
    )
    vacuum_retention_hours: float = Field(
        default=0.0,
        ge=0,
        le=168,
        description="files an erasure's VACUUM keeps: removed from the log less than this ago",
    )


REQUIRED_SECRETS = (
    ("api", "admin_token", "BEACON_API__ADMIN_TOKEN"),
    ("gdpr", "hash_secret", "BEACON_GDPR__HASH_SECRET"),
)
"""(section, setting, environment variable) of the secrets every non-local profile sets."""
